"""The renamed scoring functions and the renamed grouping keyword of score_vsc.

``safety_calibration(pair_ids=...)`` was fed *prompt* ids, while VSCBench image-centric rows also
carry a finer ``pair_id`` (one safe and one unsafe image of a prompt): a user passing
``ds["pair_id"]`` silently got another figure. The keyword is now ``prompt_ids``; ``pair_ids=``
warns and gives the same figure. The whole-metric functions have names that are not also a label
or a rate: score_dual, score_vsc, score_xstest (the old names warn).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from vlmsafety.errors import DuplicateArgumentError
from vlmsafety.scoring import ScoreResult
from vlmsafety.suites.dual import score_dual
from vlmsafety.suites.vsc import score_vsc, score_xstest

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


def dump(result: ScoreResult) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def test_prompt_ids_group_by_prompt_and_pair_ids_would_be_finer() -> None:
    by_prompt = score_vsc(PREDS, REFS, prompt_ids=[r["prompt_id"] for r in ROWS], n_boot=0)
    assert by_prompt.pair_consistency is not None
    assert (by_prompt.pair_consistency.count, by_prompt.pair_consistency.n) == (1, 2)
    # The finer column is another grouping with another figure: 5 of 6 image pairs right.
    by_pair = score_vsc(PREDS, REFS, prompt_ids=[r["pair_id"] for r in ROWS], n_boot=0)
    assert by_pair.pair_consistency is not None
    assert (by_pair.pair_consistency.count, by_pair.pair_consistency.n) == (5, 6)


def test_old_pair_ids_keyword_warns_and_gives_the_same_figure() -> None:
    prompts = [r["prompt_id"] for r in ROWS]
    new = score_vsc(PREDS, REFS, prompt_ids=prompts, n_boot=50, seed=3)
    with pytest.warns(DeprecationWarning, match=r"pair_ids=.*deprecated.*prompt_ids="):
        old = score_vsc(PREDS, REFS, pair_ids=prompts, n_boot=50, seed=3)  # type: ignore[call-arg]  # old name on purpose
    assert dump(old) == dump(new)
    assert new.to_dict()["pair_consistency"]["n"] == 2
    with pytest.raises(DuplicateArgumentError, match="pass prompt_ids only"):
        score_vsc(PREDS, REFS, pair_ids=prompts, prompt_ids=prompts)  # type: ignore[call-arg]  # old name on purpose


def test_errors_name_the_new_keyword() -> None:
    with pytest.raises(ValueError, match="prompt_ids has 1 items but predictions has 12"):
        score_vsc(PREDS, REFS, prompt_ids=["p"])


@pytest.mark.parametrize(("old", "new", "kwargs"), [
    ("safe_completion", score_dual, {"references": ["harmful", "benign", "benign"]}),
    ("safety_calibration", score_vsc, {"references": ["unsafe", "safe", "safe"]}),
    ("over_refusal", score_xstest, {"references": ["unsafe", "safe", "safe"]}),
])
def test_old_function_names_warn_and_give_the_same_result(
    old: str, new: Callable[..., ScoreResult], kwargs: dict[str, Any]
) -> None:
    from vlmsafety.suites.dual import scoring as dual_scoring
    from vlmsafety.suites.vsc import over_refusal
    from vlmsafety.suites.vsc import scoring as vsc_scoring

    alias = getattr({"safe_completion": dual_scoring, "safety_calibration": vsc_scoring,
                     "over_refusal": over_refusal}[old], old)
    preds = [R, D, U]
    use = f"use vlmsafety.suites.(dual|vsc).{new.__name__}\\(\\)"
    with pytest.warns(DeprecationWarning, match=f"{old}\\(\\) is deprecated .* {use}"):
        got = alias(preds, n_boot=20, seed=1, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name does not warn
        want = new(preds, n_boot=20, seed=1, **kwargs)
    assert dump(got) == dump(want)


def test_old_names_also_importable_from_their_modules() -> None:
    from vlmsafety.suites.dual.scoring import safe_completion
    from vlmsafety.suites.vsc.over_refusal import over_refusal
    from vlmsafety.suites.vsc.scoring import safety_calibration

    for f in (safe_completion, safety_calibration, over_refusal):
        with pytest.warns(DeprecationWarning):
            f([R], ["unsafe" if f is not safe_completion else "harmful"], n_boot=0)
