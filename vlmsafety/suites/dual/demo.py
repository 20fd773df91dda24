"""DUAL-Bench's part of ``vlmsafety demo``: the embedded sample, two shipped sets of responses and
the tables printed after scoring (:class:`vlmsafety.specs.Demo`).

Example:
    >>> [name for name, _ in RESPONSES]
    ['demo-vlm-a', 'demo-vlm-b']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from vlmsafety.report.markdown import markdown_table
from vlmsafety.suites.dual.builder import build_sample
from vlmsafety.suites.dual.classes import INSTRUCTION_TYPES

if TYPE_CHECKING:
    from vlmsafety.scoring import Rate

__all__ = ["DEMO_MODELS", "RESPONSES", "build", "print_tables"]

DEMO_MODELS: Final[tuple[tuple[str, str], ...]] = (
    ("demo-vlm-a", "dual_sample_responses.jsonl"),
    ("demo-vlm-b", "dual_sample_responses_b.jsonl"),
)
"""The demo's models and their response files in this suite's ``data/``."""

DATA: Final = Path(__file__).with_name("data")
"""The suite's data files: the embedded sample and the demo's responses (package data)."""

RESPONSES: Final = tuple((name, DATA / f) for name, f in DEMO_MODELS)


def build(folder: Path) -> Path:
    """Build the embedded sample (clean + perturbed) into ``folder`` (replaced)."""
    return build_sample(folder, overwrite=True, progress=False)


def _fmt(rate: Rate | None) -> str:
    if rate is None or not rate.n:
        return "   -   "
    return f"{rate.rate:.3f} [{rate.ci_low:.2f}, {rate.ci_high:.2f}]"


def print_tables(results: Any) -> None:
    """RR/DAR/SCR per model and instruction type, and dIR per perturbation (the demo's printout):
    ``results`` is the :class:`~vlmsafety.evaluation.EvaluationResult`."""
    table, dtable = [], []
    for model, info in results.models.items():
        scores: Mapping[str, Any] = info.scores
        for itype in INSTRUCTION_TYPES:
            g = scores.get(itype)
            if g is None:
                continue
            o = g.overall
            table.append([model, itype, str(o.n), _fmt(o.refusal_rate),
                          _fmt(o.direct_answer_rate), _fmt(o.safe_completion_rate),
                          str(o.n_unscored)])
        for pert, deltas in sorted(scores["all"].delta_ir.items()):
            dtable.append([model, pert] + [
                "-" if k not in deltas or math.isnan(deltas[k].value) else f"{deltas[k].value:+.3f}"
                for k in ("refusal_rate", "direct_answer_rate", "safe_completion_rate")])
    print()
    print("DUAL-Bench-style sample, all rows (clean + perturbed); rates with Wilson 95% intervals")
    print(markdown_table(["model", "instruction", "n", "RR", "DAR", "SCR", "unscored"], table))
    print()
    print("Robustness gap dIR = rate on perturbed items - rate on their own clean sources")
    print(markdown_table(["model", "perturbation", "dRR", "dDAR", "dSCR"], dtable))
