"""Human labels in an evaluation: checked against what is scored, then each headline rate
corrected by PPI++ (:mod:`vlmsafety.scoring.ppi`) and the judge compared with people.

Every human label must have judged the very response text scored (``response_sha256``) of the same
dataset revision (:func:`vlmsafety.human_labels.dataset_revision`); a mismatch is refused, naming
the count. Several annotators' files are combined by
:func:`vlmsafety.human_labels.combine_annotators` (majority; ties left out and counted), and the
result says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vlmsafety.errors import HumanLabelsMismatchError
from vlmsafety.evaluation.reference import Reference
from vlmsafety.human_labels import (
    HumanLabel,
    HumanLabels,
    combine_annotators,
    dataset_revision,
    read_human_labels,
    response_sha256,
)
from vlmsafety.labels import LABELS, REFUSAL
from vlmsafety.scoring.agreement import agreement
from vlmsafety.scoring.corrected import CorrectedRate
from vlmsafety.specs import Headline, Scoring
from vlmsafety.storage.checksums import file_sha256

__all__ = ["HumanLabelsInfo", "ModelHumanCheck", "check_human_labels", "correct_model",
           "load_human_labels"]

COMBINE_RULE = "majority"


@dataclass(frozen=True)
class HumanLabelsInfo:
    """The human-labels files of an evaluation and how they were read and combined."""

    files: Mapping[str, str]  # path -> sha256
    annotators: list[str]
    rule: str | None
    n_records: int
    n_labels: int
    n_skipped: int
    n_retracted: int
    n_ties: int
    n_other_models: int

    def to_dict(self) -> dict[str, Any]:
        return {"files": dict(self.files), "annotators": list(self.annotators),
                "combined": self.rule or "single annotator", "n_records": self.n_records,
                "n_labels": self.n_labels, "n_skipped": self.n_skipped,
                "n_retracted": self.n_retracted, "n_ties": self.n_ties,
                "n_other_models": self.n_other_models}


@dataclass(frozen=True)
class ModelHumanCheck:
    """One model's human labels: each headline rate corrected, and the judge's agreement."""

    n_human: int
    corrected: Mapping[str, CorrectedRate]
    agreement: Mapping[str, Any] | None
    n_outside: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"n_human": self.n_human, "n_outside": self.n_outside,
                "corrected": {k: v.to_dict() for k, v in self.corrected.items()},
                "agreement": self.agreement}


def load_human_labels(paths: Sequence[str | os.PathLike[str]], benchmark: str,
                      models: Sequence[str]) -> tuple[HumanLabels, HumanLabelsInfo]:
    """Read the files (one per annotator), combine several annotators by majority.

    Raises:
        HumanLabelsFormatError: a bad file.
        HumanLabelsMismatchError: the labels are of another benchmark.
    """
    raw = read_human_labels(list(paths))
    bench = {r.benchmark for r in raw.labels}
    if bench and bench != {benchmark}:
        raise HumanLabelsMismatchError(
            f"human labels are of benchmark {', '.join(sorted(bench))}, not {benchmark!r}")
    several = any(len({r.annotator for r in raw.labels if r.model == m}) > 1 for m in raw.models)
    labels = combine_annotators(raw, COMBINE_RULE) if several else raw
    info = HumanLabelsInfo(
        {str(p): file_sha256(p) for p in paths}, list(raw.annotators), labels.rule,
        raw.n_records, len(labels), raw.n_skipped, raw.n_retracted, labels.n_ties,
        sum(1 for r in labels.labels if r.model not in models))
    return labels, info


def check_human_labels(labels: Mapping[str, HumanLabel], judged: Sequence[Any],
                       ref: Reference, model: str) -> None:
    """Refuse labels of another response text or dataset revision, naming the counts.

    Raises:
        HumanLabelsMismatchError: with the number of labels of each kind of mismatch.
    """
    responses = {j.id: j.response for j in judged}
    config_of = {r["id"]: c for c, rows in ref.rows.items() for r in rows}
    revisions = {c: dataset_revision(ref.files, c, revision=ref.revision) for c in ref.rows}
    text = [i for i, r in labels.items() if i in responses and (
        responses[i] is None or response_sha256(responses[i] or "") != r.response_sha256)]
    rev = [i for i, r in labels.items()
           if i in config_of and r.dataset_revision != revisions[config_of[i]]]
    problems = []
    if text:
        problems.append(f"{len(text)} judged another response text (response_sha256 differs; "
                        f"first id {text[0]!r})")
    if rev:
        problems.append(f"{len(rev)} are of another dataset revision (first id {rev[0]!r}: "
                        f"{labels[rev[0]].dataset_revision!r}, scored "
                        f"{revisions[config_of[rev[0]]]!r})")
    if problems:
        raise HumanLabelsMismatchError(
            f"human labels of model {model!r}: " + "; ".join(problems)
            + "; label the current predictions again (vlmsafety annotate)")


def correct_model(ref: Reference, scoring: Scoring, headlines: Sequence[Headline],
                  judge: Mapping[str, str], human: Mapping[str, HumanLabel], *,
                  responses: Mapping[str, str | None] | None = None, n_boot: int, seed: int,
                  confidence: float = 0.95) -> ModelHumanCheck:
    """Every headline corrected, and the judge against people on the labelled items.

    ``scoring`` (the spec bound to the evaluation's settings) counts both the judge's and the
    humans' labels, with the model's ``responses`` where the spec reads them, so a corrected
    rate's judge-only part is the headline rate.
    """
    scored = {r["id"] for rows in ref.rows.values() for r in rows}
    inside = {i: r for i, r in human.items() if i in scored and r.label is not None}
    labels = {i: str(r.label) for i, r in inside.items()}
    probs = {i: r.sampling_prob for i, r in inside.items()}
    strata = {i: r.stratum for i, r in inside.items()}
    corrected = {h.key: scoring.corrected(ref.rows, judge, labels, h, sampling_prob=probs,
                                          strata=strata, responses=responses,
                                          confidence=confidence)
                 for h in headlines}
    ids = sorted(inside)
    agree = None
    if ids:
        agree = agreement([judge.get(i, "unscored") for i in ids], [str(inside[i].label) for i in ids],
                          positive=REFUSAL, labels=LABELS, n_boot=n_boot, seed=seed,
                          confidence=confidence).to_dict()
    return ModelHumanCheck(len(inside), corrected, agree, len(human) - len(inside))
