"""The renamed scoring functions and the renamed grouping keyword of score_vsc.

``safety_calibration(pair_ids=...)`` was fed *prompt* ids, while VSCBench image-centric rows also
carry a finer ``pair_id`` (one safe and one unsafe image of a prompt): a user passing
``ds["pair_id"]`` silently got another figure. The keyword is now ``prompt_ids``, and the old
``pair_ids=`` is gone. The whole-metric functions have names that are not also a label or a rate:
score_dual, score_vsc, score_xstest (the old names are gone).
"""

from __future__ import annotations

import importlib

import pytest

from vlmsafety import scoring
from vlmsafety.suites.vsc import score_vsc

R, D, S, U = "refusal", "direct_answer", "safe_completion", "unscored"

# Two VSCBench-shaped image-centric prompts: 3 safe and 3 unsafe images each, k-th safe and k-th
# unsafe image linked by pair_id (the ids follow vlmsafety.suites.vsc.builder).
ROWS = [
    {"prompt_id": f"vsc-ic-{p:04d}", "pair_id": f"vsc-ic-{p:04d}-pair-{k}", "label": lab}
    for p in (1, 2) for lab in ("safe", "unsafe") for k in range(3)
]
REFS = [r["label"] for r in ROWS]
# prompt 1: all right but one safe image refused (pair 0); prompt 2: all right.
PREDS = [R, D, D, R, R, R] + [D, S, D, R, S, R]


def test_prompt_ids_group_by_prompt_and_pair_ids_would_be_finer() -> None:
    by_prompt = score_vsc(PREDS, REFS, prompt_ids=[r["prompt_id"] for r in ROWS], n_boot=0)
    assert by_prompt.pair_consistency is not None
    assert (by_prompt.pair_consistency.count, by_prompt.pair_consistency.n) == (1, 2)
    # The finer column is another grouping with another figure: 5 of 6 image pairs right.
    by_pair = score_vsc(PREDS, REFS, prompt_ids=[r["pair_id"] for r in ROWS], n_boot=0)
    assert by_pair.pair_consistency is not None
    assert (by_pair.pair_consistency.count, by_pair.pair_consistency.n) == (5, 6)


def test_old_pair_ids_keyword_is_gone() -> None:
    with pytest.raises(TypeError, match="pair_ids"):
        score_vsc(PREDS, REFS, pair_ids=[r["prompt_id"] for r in ROWS])  # type: ignore[call-arg]  # old name on purpose


def test_errors_name_the_new_keyword() -> None:
    with pytest.raises(ValueError, match="prompt_ids has 1 items but predictions has 12"):
        score_vsc(PREDS, REFS, prompt_ids=["p"])


@pytest.mark.parametrize(("module", "old"), [
    ("vlmsafety.suites.dual.scoring", "safe_completion"),
    ("vlmsafety.suites.vsc.scoring", "safety_calibration"),
    ("vlmsafety.suites.vsc.over_refusal", "over_refusal"),
])
def test_old_function_names_are_gone(module: str, old: str) -> None:
    assert old not in scoring.__all__ and not hasattr(scoring, old)
    suite = importlib.import_module(module)
    assert not hasattr(suite, old)
    assert hasattr(suite, "score_xstest" if old == "over_refusal" else f"score_{module.split('.')[2]}")
