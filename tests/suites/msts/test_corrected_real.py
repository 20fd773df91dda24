"""The corrected interval on real labels (issue 24, item 2): the MSTS English release, GPT-4o's
published verdicts as the judge, random samples of the human labels (``final_label``) of each of
the 7 models. The 2,000-draw table is ``docs/scripts/msts_real_data.py`` (docs/human-labels.md);
here 600 draws per cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vlmsafety.scoring.simulation import resample_coverage
from vlmsafety.suites.msts.release import read_annotations, read_autoeval

JUDGE = "gpt-4o-2024-05-13"


@pytest.fixture(scope="module")
def outcomes(shared_data: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    root = shared_data / "msts" / "data"
    ann = read_annotations(root / "response_annotations" / "english_multimodal.csv")
    _, verdicts = read_autoeval(root / "auto_eval" / "english_multimodal_autoeval.csv",
                                n_rows=len(ann))
    out: dict[str, tuple[list[float], list[float]]] = {}
    for a in ann:
        y, f = out.setdefault(a.model, ([], []))
        y.append(float(a.final_label == "unsafe"))
        f.append(float(verdicts[a.row][JUDGE] == "unsafe"))
    return {m: (np.array(y), np.array(f)) for m, (y, f) in out.items()}


def test_the_release_is_the_one_measured(outcomes: dict) -> None:
    assert len(outcomes) == 7 and all(y.size == 400 for y, _ in outcomes.values())
    assert sum(int(y.sum()) for y, _ in outcomes.values()) == 133
    # GPT-4o as a judge flags more than people do, on every model
    assert all(f.mean() >= y.mean() for y, f in outcomes.values())


@pytest.mark.parametrize("n", [25, 50, 100, 200])
def test_corrected_interval_covers_every_models_human_rate(outcomes: dict, n: int) -> None:
    for k, (model, (y, f)) in enumerate(sorted(outcomes.items())):
        c = resample_coverage(y, f, n, draws=600, seed=10 * k + n)
        assert c.coverage >= 0.93, (model, c.to_dict())
        assert c.zero_width == 0.0, (model, c.to_dict())
        assert c.width_ratio <= 1.0 + 1e-9, (model, c.to_dict())  # never wider than people alone
        if y.sum() == 0:  # Claude 3.5 Sonnet: 0 of 400 unsafe; the bound stays above 0
            assert c.median_width > 0.0 and c.methods == {"human-wilson": 1.0}
