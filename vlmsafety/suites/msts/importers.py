"""MSTS's released responses as vlmsafety files: predictions, human labels, the judges' verdicts.

:func:`import_annotations` reads a ``response_annotations`` file in the release format (any
number of models and rows) and writes, into one output folder::

    predictions/<model>.jsonl      {id, response, model}: one file per model
    human-labels/final.jsonl       the adjudicated label of each response (annotator msts-final)
    human-labels/annot<k>.jsonl    annotator k's own label (msts-annot<k>), for their agreement

Labels are mapped by :func:`~vlmsafety.suites.msts.labels.map_taxonomy`. Ids are the built
dataset's (``en`` config, :func:`~vlmsafety.suites.msts.release.item_id`), checked against it, and
each human label carries the dataset's revision, so ``vlmsafety evaluate --human-labels`` accepts
it for that dataset. ``sample=N`` keeps a seeded simple random sample of ``N`` labels per model
(the same items for every model that answered the same prompts), each with its sampling
probability ``N / N_model``: evaluate then *corrects* a judge from the sample, as a user with a
labelling budget would, rather than replacing it by every label.

:func:`import_autoeval` turns the release's autoeval file (one column per published judge, no key
column, rows aligned with the annotations file, models interleaved) into judged files,
``judged/<judge>/<model>.jsonl``, ready for ``evaluate --judge precomputed``. A verdict ``unsafe``
is ``direct_answer``; ``safe`` is written ``refusal``, since these judges only say safe or unsafe:
**only the unsafe rate is meaningful from them** (their "refusal rate" is one minus it). A
row-count mismatch is refused, and so is a file whose every judge agrees with the humans no
better than chance, which is what rows shifted against the annotations give. "Better than
chance" is tested, not read off the point estimate: a judge passes when the lower bound of its
Cohen's kappa's bootstrap interval, at the Bonferroni level ``1 - 0.05 / n_judges``, is above 0.
(Kappa <= 0 alone misses a shift: the shared file shifted by one row still gives GPT-4o a kappa
of 0.018 and LlavaGuard 0.009, by chance; no judge's lower bound is above 0 for any shift.)

File names of models and judges are the evaluation's own
(:func:`vlmsafety.report.common.model_file_names`: distinct stems, a short hash where two names
reduce to the same one).

Example:
    >>> from vlmsafety.report.common import model_file_names
    >>> model_file_names(["org/model v1.5"])
    {'org/model v1.5': 'org_model_v1.5'}
"""

from __future__ import annotations

import os
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Final

from vlmsafety.errors import InvalidArgumentError, SourceDataError
from vlmsafety.labels import DIRECT_ANSWER, REFUSAL
from vlmsafety.predictions import read_judgements, read_predictions, write_jsonl
from vlmsafety.report.common import model_file_names
from vlmsafety.storage.checksums import response_sha256
from vlmsafety.storage.files import atomic_path, check_output_folder
from vlmsafety.suites.msts.labels import map_taxonomy
from vlmsafety.suites.msts.release import Annotation, read_annotations, read_autoeval

__all__ = [
    "BENCHMARK",
    "FINAL_ANNOTATOR",
    "SAFE_VERDICT_LABEL",
    "MstsImport",
    "import_annotations",
    "import_autoeval",
    "judge_kappas",
]

BENCHMARK: Final = "msts"
FINAL_ANNOTATOR: Final = "msts-final"
"""Annotator name of the adjudicated labels."""
SAFE_VERDICT_LABEL: Final = REFUSAL
"""The label a published judge's ``safe`` verdict is written as (only the unsafe rate is
meaningful from these judges)."""
AUTOEVAL_JUDGE_PREFIX: Final = "msts-autoeval:"
KAPPA_N_BOOT: Final = 1000
"""Bootstrap replicates behind the alignment check's kappa intervals."""



@dataclass(frozen=True)
class MstsImport:
    """What an import wrote (printed as JSON by the CLI).

    Attributes:
        source: The file read.
        out: The folder written.
        files: Relative path -> lines written.
        models: Model -> responses in the source.
        n_rows: Rows of the source.
        sample: Human labels kept per model (``None``: all).
        seed: Seed of the sample.
        kappas: Judge -> Cohen's kappa against the humans' unsafe verdict and its lower bound
            (autoeval only; :func:`judge_kappas`).
    """

    source: str
    out: str
    files: dict[str, int]
    models: dict[str, int]
    n_rows: int
    sample: int | None = None
    seed: int | None = None
    kappas: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _by_model(records: Sequence[Annotation], known_ids: Collection[str], config: str,
              source: str) -> dict[str, list[Annotation]]:
    """Rows per model (file order), ids checked against the dataset and for repeats."""
    out: dict[str, list[Annotation]] = {}
    seen: set[tuple[str, str]] = set()
    unknown: list[str] = []
    for r in records:
        rid = r.item_id(config)
        if rid not in known_ids:
            unknown.append(rid)
        if (rid, r.model) in seen:
            raise SourceDataError(f"{source}:{r.row + 2}: model {r.model!r} answers {rid!r} "
                                  "twice")
        seen.add((rid, r.model))
        out.setdefault(r.model, []).append(r)
    if unknown:
        raise SourceDataError(
            f"{source}: {len(unknown)} response(s) answer prompts that are not in the dataset's "
            f"{config!r} config (first: {', '.join(map(repr, unknown[:5]))}); build the dataset "
            "from the same release (vlmsafety build msts)")
    return out


def _sample(rows: Sequence[Annotation], n: int | None, seed: int, config: str
            ) -> tuple[list[Annotation], float]:
    """A seeded simple random sample of ``n`` rows (all when ``n`` is None) and its probability.

    The draw orders the rows by item id first, so models that answered the same prompts get
    the same items.
    """
    if n is None or n >= len(rows):
        return list(rows), 1.0
    ordered = sorted(rows, key=lambda r: r.item_id(config))
    picked = random.Random(seed).sample(range(len(ordered)), n)
    return [ordered[i] for i in picked], n / len(rows)


def _human(r: Annotation, label: str, annotator: str, revision: str, prob: float, draw: int,
           config: str, time: str) -> dict[str, Any]:
    """One record of a human-labels file (docs/human-labels.md, "The file format")."""
    note = f"MSTS taxonomy {r.final_taxonomy}" if annotator == FINAL_ANNOTATOR else ""
    return {"id": r.item_id(config), "model": r.model, "label": label, "annotator": annotator,
            "benchmark": BENCHMARK, "dataset_revision": revision,
            "response_sha256": response_sha256(r.response), "stratum": "all",
            "sampling_prob": prob, "draw": draw, "time": time, "note": note, "action": "label"}


def import_annotations(
    annotations: str | os.PathLike[str], out: str | os.PathLike[str], *,
    known_ids: Collection[str], dataset_revision: str, config: str = "en",
    sample: int | None = None, seed: int = 0, overwrite: bool = False,
) -> MstsImport:
    """Predictions and human labels from a release-format annotations file (see the module).

    Args:
        annotations: A ``response_annotations`` CSV (any number of models and rows).
        out: The folder to write (refused if it exists, unless ``overwrite``).
        known_ids: The built dataset's ids of ``config`` (every response must answer one).
        dataset_revision: The dataset's revision
            (:func:`~vlmsafety.storage.splits.dataset_revision`), stamped on every human label.
        config: The dataset config the responses answer (the release's responses: ``en``).
        sample: Human labels kept per model (a seeded simple random sample); ``None``: all.
        seed: Seed of the sample.
        overwrite: Replace an existing ``out``.

    Raises:
        SourceDataError: a bad row (named with its line), an id not in the dataset, a model
            answering a prompt twice.
        InvalidArgumentError: ``sample`` below 2.
        OutputExistsError: ``out`` exists (without ``overwrite``) or is an input.
    """
    if sample is not None and sample < 2:
        raise InvalidArgumentError(f"--sample {sample}: need at least 2 labels per model")
    source = os.fspath(annotations)
    check_output_folder(out, overwrite=overwrite, inputs=(source,))
    known = known_ids if isinstance(known_ids, (set, frozenset)) else set(known_ids)
    models = _by_model(read_annotations(source), known, config, source)
    time = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    files: dict[str, int] = {}
    n_annotators = max((len(r.annotator_taxonomy) for rows in models.values() for r in rows),
                       default=0)
    with atomic_path(out, folder=True) as tmp:
        human: dict[str, list[dict[str, Any]]] = {"final": []}
        human.update({f"annot{k + 1}": [] for k in range(n_annotators)})
        stems = model_file_names(models)
        for model, rows in models.items():
            name = f"predictions/{stems[model]}.jsonl"
            preds = [{"id": r.item_id(config), "response": r.response, "model": model}
                     for r in rows]
            write_jsonl(tmp / name, preds)
            files[name] = len(preds)
            kept, prob = _sample(rows, sample, seed, config)
            for draw, r in enumerate(kept):
                human["final"].append(_human(r, map_taxonomy(r.final_taxonomy), FINAL_ANNOTATOR,
                                             dataset_revision, prob, draw, config, time))
                for k, code in enumerate(r.annotator_taxonomy):
                    if code is not None:
                        human[f"annot{k + 1}"].append(_human(
                            r, map_taxonomy(code), f"msts-annot{k + 1}", dataset_revision, prob,
                            draw, config, time))
        for stem, recs in human.items():
            name = f"human-labels/{stem}.jsonl"
            write_jsonl(tmp / name, recs)
            files[name] = len(recs)
        for name in files:  # read the predictions back as evaluate will
            if name.startswith("predictions/"):
                read_predictions(tmp / name, known_ids=known)
    return MstsImport(source, os.fspath(out), files, {m: len(r) for m, r in models.items()},
                      sum(len(r) for r in models.values()), sample, seed if sample else None)


def judge_kappas(records: Sequence[Annotation], verdicts: Sequence[Mapping[str, str]],
                 judges: Sequence[str], *, n_boot: int = KAPPA_N_BOOT, seed: int = 0
                 ) -> dict[str, dict[str, float | None]]:
    """Each judge's Cohen's kappa against the humans' unsafe verdict, with the lower bound of
    its bootstrap interval at the Bonferroni level ``1 - 0.05 / len(judges)`` (rows resampled;
    ``None``: undefined).

    Example:
        >>> from vlmsafety.suites.msts.release import Annotation
        >>> rows = [Annotation(i, "c", "assistance", "", "", "m", "", v, "1.1", (), "")
        ...         for i, v in enumerate(["unsafe", "safe", "safe", "unsafe"])]
        >>> judge_kappas(rows, [{"j": "unsafe"}, {"j": "safe"}, {"j": "safe"}, {"j": "safe"}],
        ...              ["j"], n_boot=0)
        {'j': {'kappa': 0.5, 'low': None}}
    """
    from vlmsafety.scoring.agreement import agreement

    human = [r.final_label for r in records]
    level = 1 - 0.05 / max(len(judges), 1)
    out: dict[str, dict[str, float | None]] = {}
    for judge in judges:
        res = agreement([v[judge] for v in verdicts], human, positive="unsafe",
                        labels=("safe", "unsafe"), n_boot=n_boot, seed=seed, confidence=level)
        out[judge] = {"kappa": res.binary_kappa.value, "low": res.binary_kappa.ci_low}
    return out


def _check_aligned(source: str, annotations: str, kappas: Mapping[str, Mapping[str, Any]]
                   ) -> None:
    """Refuse verdicts that no judge gives better than chance (see :func:`import_autoeval`)."""
    if any(k["low"] is not None and k["low"] > 0 for k in kappas.values()):
        return
    shown = ", ".join(f"{j} {'n/a' if k['kappa'] is None else format(k['kappa'], '.3f')}"
                      for j, k in kappas.items())
    raise SourceDataError(
        f"{source}: no judge agrees with the humans of {annotations} better than chance "
        f"(Cohen's kappa: {shown}; none has its interval above 0); the files are joined by "
        "row order only, so this is what rows shifted or reordered against the annotations "
        "give: use the autoeval file made for this annotations file")


def import_autoeval(
    autoeval: str | os.PathLike[str], annotations: str | os.PathLike[str],
    out: str | os.PathLike[str], *, known_ids: Collection[str], config: str = "en",
    overwrite: bool = False,
) -> MstsImport:
    """Judged files ``judged/<judge>/<model>.jsonl`` from the release's autoeval file.

    Raises:
        SourceDataError: a row count different from the annotations file's, a bad verdict, an
            id not in the dataset, or judges that all agree with the humans no better than
            chance (no kappa interval above 0: rows shifted against the annotations).
        OutputExistsError: ``out`` exists (without ``overwrite``) or is an input.
    """
    source = os.fspath(autoeval)
    check_output_folder(out, overwrite=overwrite, inputs=(source, annotations))
    records = read_annotations(os.fspath(annotations))
    judges, verdicts = read_autoeval(source, n_rows=len(records))
    known = known_ids if isinstance(known_ids, (set, frozenset)) else set(known_ids)
    models = _by_model(records, known, config, os.fspath(annotations))
    kappas = judge_kappas(records, verdicts, judges)
    _check_aligned(source, os.fspath(annotations), kappas)
    files: dict[str, int] = {}
    with atomic_path(out, folder=True) as tmp:
        stems, judge_stems = model_file_names(models), model_file_names(judges)
        for judge in judges:
            for model in models:
                name = f"judged/{judge_stems[judge]}/{stems[model]}.jsonl"
                lines = [{"id": r.item_id(config), "response": r.response, "model": model,
                          "label": DIRECT_ANSWER if v[judge] == "unsafe" else SAFE_VERDICT_LABEL,
                          "judge": f"{AUTOEVAL_JUDGE_PREFIX}{judge}"}
                         for r, v in zip(records, verdicts, strict=True) if r.model == model]
                write_jsonl(tmp / name, lines)
                read_judgements(tmp / name, known_ids=known)
                files[name] = len(lines)
    return MstsImport(source, os.fspath(out), files, {m: len(r) for m, r in models.items()},
                      len(records), kappas=kappas)
