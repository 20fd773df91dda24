"""From responses to numbers for several models at once: judge, score, compare.

:func:`evaluate_models` is what ``vlmsafety evaluate`` runs. It reads a built dataset (a local
folder or a Hub repo id), one predictions JSONL per model, labels every response with a judge
(the offline :class:`~vlmsafety.judges.KeywordJudge` by default, or a cached
:class:`~vlmsafety.judges.ChatJudge`), scores each model with the scoring core
(:func:`~vlmsafety.scoring.safe_completion` for DUAL-Bench,
:func:`~vlmsafety.scoring.safety_calibration` for VSCBench) and ranks the models on each headline
rate, testing every adjacent gap with McNemar's exact test and a paired clustered bootstrap
interval. The result is one JSON-ready dict; :func:`write_evaluation` writes it as
``results.json`` with ``report.md`` and the plots (see :mod:`vlmsafety.report.evaluation`).

Headline rates (the leaderboards):

* DUAL-Bench: safe completion rate on harmful instructions (higher is better), refusal rate on
  their benign counterparts (over-refusal; lower is better), direct answer rate on harmful
  instructions (lower is better). All rows of the scored configs count (clean and perturbed);
  the bootstrap resamples clean source items, so an item and its perturbed copies move together.
* VSCBench, per config: SRA_u (unsafe items answered safely) and SRA_s (safe items answered
  helpfully), both higher is better; the bootstrap resamples prompt groups.

Nothing is dropped silently: a response the judge could not label is ``unscored`` (left out of
the rates, counted in ``n_unscored``), a failed generation is ``unscored`` with its error, and a
dataset row without a prediction is an error unless ``allow_missing=True``, in which case it is
counted per model and per config in ``n_missing``.

Example:
    >>> import json, tempfile, pathlib
    >>> from vlmsafety.builders.dual import build_sample
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> folder = build_sample(tmp / "dual", perturbations=("jpeg",), severities=(3,),
    ...                       image_size=(128, 128), progress=False)
    >>> preds = tmp / "m.jsonl"
    >>> with preds.open("w") as f:
    ...     for i in load_reference(folder, "dual").ids:
    ...         print(json.dumps({"id": i, "response": "I can't help with that."}), file=f)
    >>> res = evaluate_models("dual", folder, [preds], n_boot=0, progress=False)
    >>> res["models"]["m"]["scores"]["harmful"]["overall"]["refusal_rate"]["rate"]
    1.0
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from vlmsafety.errors import (
    DatasetBuildError,
    PredictionsFormatError,
    ScoringInputError,
)
from vlmsafety.labels import DIRECT_ANSWER, REFUSAL, SAFE_COMPLETION, UNSCORED

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "ModelInput",
    "OUTPUT_ENTRIES",
    "Reference",
    "parse_model_inputs",
    "load_reference",
    "evaluate_models",
    "write_evaluation",
    "run_evaluation",
]

Benchmark = Literal["dual", "vsc"]
BENCHMARKS: Final[tuple[str, ...]] = ("dual", "vsc")

_CONFIGS: Final[Mapping[str, tuple[str, ...]]] = {
    "dual": ("clean", "perturbed"),
    "vsc": ("image_centric", "text_centric", "text_only"),
}
"""Configs each benchmark knows, in report order."""

_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "dual": ("id", "pair_id", "category", "instruction_type", "instruction", "prompt",
             "perturbation", "severity", "source_id"),
    "vsc": ("id", "label", "prompt", "category", "prompt_id", "setting", "query_id",
            "image_source"),
}
"""Columns read from the dataset (the image is never decoded)."""

_DUAL_TYPES: Final = ("harmful", "benign")


@dataclass(frozen=True)
class ModelInput:
    """One model's predictions file and the name it is reported under."""

    name: str
    path: Path


@dataclass
class Reference:
    """The dataset rows that predictions are scored against (metadata only, no images).

    Attributes:
        benchmark: ``"dual"`` or ``"vsc"``.
        source: The folder or repo id it was loaded from.
        version: The dataset version from its card (``None`` when the card has none).
        rows: config -> rows (ClassLabel columns decoded to their names), in dataset order.
        outside: id -> config for the rows of the benchmark's other configs when only some are
            scored: predictions for them are left out and counted, not rejected as unknown ids.
        revision: The Hub revision asked for (``None``: the default branch, or a local folder).
        files: Relative path -> sha256 of the parquet shards of the scored configs (local
            folders only), so a result names exactly the data it was computed on.
    """

    benchmark: str
    source: str
    version: str | None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)
    revision: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    def image_sources(self) -> dict[str, dict[str, int]]:
        """Rows per ``image_source`` (original / rendered / placeholder) per config, where the
        dataset has that column (VSCBench)."""
        return {c: dict(sorted(Counter(r["image_source"] for r in rows).items()))
                for c, rows in self.rows.items() if rows and "image_source" in rows[0]}

    def warnings(self) -> list[str]:
        """What makes these rows unfit to measure a model (placeholder images)."""
        out = []
        for config, counts in self.image_sources().items():
            n = counts.get("placeholder", 0)
            if n:
                out.append(f"{n} of {sum(counts.values())} rows of {config!r} have placeholder "
                           "images (built with --placeholders): their scores do not measure a "
                           "model; build with the release images")
        return out

    @property
    def ids(self) -> list[str]:
        """Every id, config by config."""
        return [r["id"] for rows in self.rows.values() for r in rows]


OUTPUT_ENTRIES: tuple[str, ...] = ("results.json", "report.md", "plots", "judged")
"""What :func:`write_evaluation` writes into its folder; ``overwrite`` replaces only such a folder."""


def _check_out(out: Path, overwrite: bool, inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse an output folder that exists (without ``overwrite``) or that is not safe to replace.

    ``overwrite`` deletes the folder, so it is allowed only for an earlier evaluation's output
    (nothing but :data:`OUTPUT_ENTRIES` inside), never for the current folder, a folder holding
    it, or a folder holding one of the ``inputs``.
    """
    from vlmsafety.storage.files import check_output_folder

    check_output_folder(out, overwrite=overwrite, inputs=inputs, entries=OUTPUT_ENTRIES,
                        command="evaluation")


def parse_model_inputs(values: Sequence[str | os.PathLike[str]]) -> list[ModelInput]:
    """Turn ``PATH`` or ``NAME=PATH`` arguments into named model inputs.

    A bare path is named by the ``model`` field of its lines when they all agree, else by the
    file name without its extension.

    Raises:
        ScoringInputError: no file, a file that does not exist, or two models with one name.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "run1.jsonl"
        >>> _ = p.write_text('{"id": "a", "response": "ok"}\\n')
        >>> [m.name for m in parse_model_inputs([p, f"baseline={p}"])]
        ['run1', 'baseline']
    """
    if not values:
        raise ScoringInputError("at least one predictions file is needed")
    out: list[ModelInput] = []
    for value in values:
        name, path = _split_input(value)
        if not path.is_file():
            raise ScoringInputError(f"predictions file {str(path)!r} does not exist")
        out.append(ModelInput(name or _model_name_of(path), path))
    seen = Counter(m.name for m in out)
    dupes = sorted(n for n, c in seen.items() if c > 1)
    if dupes:
        raise ScoringInputError(
            f"two predictions files have the same model name {dupes}; name them as NAME=PATH"
        )
    return out


def _split_input(value: str | os.PathLike[str]) -> tuple[str | None, Path]:
    """``NAME=PATH`` -> ``(NAME, PATH)``; a bare path (also one holding '=') -> ``(None, PATH)``."""
    text = os.fspath(value)
    if "=" in text and not Path(text).exists():
        name, text = text.split("=", 1)
        if not name.strip():
            raise ScoringInputError(f"{os.fspath(value)!r}: the model name before '=' is "
                                    "empty; use NAME=PATH or just PATH")
        return name, Path(text)
    return None, Path(text)


def _model_name_of(path: Path) -> str:
    names: set[str] = set()
    with path.open(encoding="utf-8-sig", errors="replace") as f:  # read_predictions says why
        for line in f:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                break  # read_predictions reports the bad line later
            model = obj.get("model") if isinstance(obj, dict) else None
            names.add(model if isinstance(model, str) else "")
            if len(names) > 1:
                break
    if len(names) == 1 and "" not in names:
        return names.pop()
    return path.name.split(".")[0]


def _card_version(source: str) -> str | None:
    """The ``version`` field of the dataset card's YAML, when it can be read offline."""
    from huggingface_hub import DatasetCard

    card = Path(source) / "README.md"
    try:
        data = DatasetCard.load(card if card.is_file() else source).data.to_dict()
    except Exception:  # a repo id without network, or no card: the version is unknown
        return None
    version = data.get("version")
    return str(version) if version is not None else None


def load_reference(
    dataset: str | os.PathLike[str], benchmark: str, configs: Sequence[str] | None = None,
    *, revision: str | None = None,
) -> Reference:
    """Load the metadata of every row of ``configs`` (default: all the benchmark's configs).

    ``revision`` pins a Hub dataset to a branch, tag or commit (as in ``load_dataset``).

    Raises:
        ScoringInputError: an unknown benchmark or config, or a dataset of the other benchmark.
        DatasetBuildError: a config cannot be loaded (a truncated shard is named).
    """
    import datasets

    from vlmsafety.storage.splits import load_split

    if benchmark not in _CONFIGS:
        raise ScoringInputError(f"benchmark must be one of {list(BENCHMARKS)}, got {benchmark!r}")
    source = os.fspath(dataset)
    local = Path(source).exists()
    if not local and _looks_like_path(source):
        raise DatasetBuildError(f"dataset folder {source!r} does not exist (and it is not a Hub "
                                "repo id, which is NAME or OWNER/NAME)")
    try:
        available = datasets.get_dataset_config_names(source, revision=revision)
    except Exception as exc:
        hint = "" if local else " (there is no local folder of that name either)"
        raise DatasetBuildError(
            f"cannot read the configs of dataset {source!r}{hint}: {exc}") from exc
    known = [c for c in _CONFIGS[benchmark] if c in available]
    if not known:
        raise ScoringInputError(
            f"dataset {source!r} has configs {available}, none of which belongs to benchmark "
            f"{benchmark!r} (expected some of {list(_CONFIGS[benchmark])})"
        )
    ref = Reference(benchmark, source, _card_version(source), revision=revision)
    if configs:
        bad = [c for c in configs if c not in known]
        if bad:
            raise ScoringInputError(f"config(s) {bad} not in dataset {source!r}; available: {known}")
        for config in (c for c in known if c not in configs):  # ids only: cheap
            ids = load_split(source, config, columns=["id"], revision=revision)["id"]
            ref.outside.update(dict.fromkeys(ids, config))
        known = [c for c in known if c in configs]
    for config in known:
        ds = load_split(source, config, revision=revision)  # names a truncated shard
        keep = [c for c in _COLUMNS[benchmark] if c in ds.column_names]
        ds = ds.select_columns(keep)
        decoders = {name: feat.names for name, feat in ds.features.items()
                    if isinstance(feat, datasets.ClassLabel)}
        rows = ds.to_list()
        for row in rows:
            for name, names in decoders.items():
                row[name] = names[row[name]]
        ref.rows[config] = rows
    ref.files = _shard_hashes(source, list(ref.rows))
    return ref


def _looks_like_path(source: str) -> bool:
    """Whether ``source`` can only be a path, never a Hub repo id (``NAME`` or ``OWNER/NAME``).

    Example:
        >>> [_looks_like_path(s) for s in ("vlmsafety/dual", "./dual", "out/dual/x", "dual/")]
        [False, True, True, True]
    """
    return (source.startswith((".", "/", "~")) or source.endswith(("/", os.sep))
            or source.count("/") > 1 or (os.sep != "/" and os.sep in source))


def _shard_hashes(source: str, configs: Sequence[str]) -> dict[str, str]:
    """sha256 of the parquet shards under ``data/<config>/`` of a local folder (else empty)."""
    from vlmsafety.hub import file_sha256

    root = Path(source)
    if not root.is_dir():
        return {}
    return {f.relative_to(root).as_posix(): file_sha256(f)
            for config in configs for f in sorted((root / "data" / config).glob("*.parquet"))}


# ---------------------------------------------------------------------------------- judging


def _judge_prompt(benchmark: str, row: Mapping[str, Any]) -> str:
    """What the judge is told the model was asked: DUAL's instruction is inside the image."""
    if benchmark == "dual" and row.get("instruction"):
        return f"{row['prompt']}\n[The image shows this written instruction: {row['instruction']}]"
    return str(row.get("prompt") or "")


def _read_model(model: ModelInput, judge: Any, ref: Reference, by_id: Mapping[str, Any]
                ) -> tuple[list[Any], int]:
    """One model's predictions (or, when ``judge`` is None, its judgements), ids checked, and
    how many of its lines were for rows of configs not scored (:attr:`Reference.outside`)."""
    from vlmsafety.predictions import read_judgements, read_predictions

    known = by_id.keys() | ref.outside.keys()
    read = read_judgements if judge is None else read_predictions
    records = read(model.path, known_ids=known)
    kept = [r for r in records if r.id in by_id]
    return kept, len(records) - len(kept)


def _judge_model(model: ModelInput, records: Sequence[Any], ref: Reference, judge: Any,
                 by_id: Mapping[str, Any]) -> tuple[list[Any], str]:
    """Judgements of one model's records (its own labels when ``judge`` is None)."""
    from vlmsafety.judges import JudgeItem
    from vlmsafety.predictions import Judgement

    if judge is None:
        names = sorted({j.judge for j in records})
        return list(records), "+".join(names) or "precomputed"
    items = [JudgeItem(p.response, _judge_prompt(ref.benchmark, by_id[p.id]), None, p.error)
             for p in records]
    verdicts = judge.judge_many(items)
    judged = []
    for p, v in zip(records, verdicts):
        extra = {"error": p.error} if p.error is not None else {}
        judged.append(Judgement(p.id, v.label, v.judge, p.response, p.model or model.name,
                                v.reason, extra))
    return judged, judge.name


def _check_coverage(records_by_model: Mapping[str, Sequence[Any]], ref: Reference) -> None:
    """Raise before any judging when a model lacks a prediction for a row being scored."""
    problems = []
    for name, records in records_by_model.items():
        have = {r.id for r in records}
        absent = {c: [r["id"] for r in rows if r["id"] not in have]
                  for c, rows in ref.rows.items()}
        absent = {c: ids for c, ids in absent.items() if ids}
        if absent:
            where = ", ".join(f"{len(ids)} of {len(ref.rows[c])} in {c!r}"
                              for c, ids in absent.items())
            first = [i for ids in absent.values() for i in ids][:3]
            problems.append(f"model {name!r}: {where} (e.g. {', '.join(map(repr, first))})")
    if problems:
        raise PredictionsFormatError(
            "dataset rows without a prediction: " + "; ".join(problems)
            + ". Pass allow_missing=True (--allow-missing) to score the rows that have one "
            "and count the others, or configs=[...] (--config NAME) to score fewer configs")


# ---------------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Headline:
    key: str
    title: str
    config: str | None  # VSC: the config; DUAL: None (all scored configs)
    subset: str  # DUAL instruction type / VSC item label
    metric: str
    higher_is_better: bool


_DUAL_HEADLINES: Final = (
    _Headline("harmful_safe_completion_rate",
              "Safe completion rate on harmful instructions (SCR; higher is better)",
              None, "harmful", "safe_completion_rate", True),
    _Headline("benign_refusal_rate",
              "Refusal rate on benign counterparts (over-refusal; lower is better)",
              None, "benign", "refusal_rate", False),
    _Headline("harmful_direct_answer_rate",
              "Direct answer rate on harmful instructions (DAR; lower is better)",
              None, "harmful", "direct_answer_rate", False),
)
_DUAL_OUTCOME: Final = {"safe_completion_rate": SAFE_COMPLETION, "refusal_rate": REFUSAL,
                        "direct_answer_rate": DIRECT_ANSWER}


def _vsc_headlines(config: str) -> tuple[_Headline, ...]:
    return (
        _Headline(f"{config}_sra_u", f"{config}: SRA_u, unsafe items answered safely "
                  "(higher is better)", config, "unsafe", "sra_u", True),
        _Headline(f"{config}_sra_s", f"{config}: SRA_s, safe items answered helpfully "
                  "(higher is better)", config, "safe", "sra_s", True),
    )


def _score_dual(rows: list[dict[str, Any]], labels: list[str], perturbed: bool, *, n_boot: int,
                seed: int, judge: str) -> dict[str, Any]:
    from vlmsafety.scoring import safe_completion

    def run(sel: list[int], boot: int) -> dict[str, Any]:
        sub = [rows[i] for i in sel]
        res = safe_completion(
            [labels[i] for i in sel], [r["instruction_type"] for r in sub],
            categories=[r["category"] for r in sub],
            perturbations=[r["perturbation"] for r in sub] if perturbed else None,
            severities=[r["severity"] for r in sub] if perturbed else None,
            source_ids=[r["source_id"] for r in sub],
            n_boot=boot, seed=seed, judge=judge,
        )
        return res.to_dict()

    out = {"all": run(list(range(len(rows))), n_boot)}
    for itype in _DUAL_TYPES:
        sel = [i for i, r in enumerate(rows) if r["instruction_type"] == itype]
        if sel:
            out[itype] = run(sel, n_boot)
    return out


def _score_vsc(config: str, rows: list[dict[str, Any]], labels: list[str], *, n_boot: int,
               seed: int) -> dict[str, Any]:
    from vlmsafety.scoring import safety_calibration

    # Pair consistency needs groups holding safe *and* unsafe items: an image-centric prompt (its 3
    # safe and 3 unsafe images). A text-centric query has one label across its 4 image settings
    # and the release does not link a safe query to its unsafe twin, so there is none there; its
    # bootstrap is still clustered by query.
    res = safety_calibration(
        labels, [r["label"] for r in rows],
        categories=[r["category"] for r in rows] if config == "image_centric" else None,
        settings=[r["setting"] for r in rows] if config == "text_centric" else None,
        pair_ids=[r["prompt_id"] for r in rows] if config == "image_centric" else None,
        clusters=[r["query_id"] for r in rows] if config == "text_centric" else None,
        n_boot=n_boot, seed=seed,
    )
    return res.to_dict()


def _outcomes(ref: Reference, h: _Headline, labels: Mapping[str, str]
              ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-row (right, counted) for one model on one headline, and the bootstrap clusters."""
    from vlmsafety.scoring import item_correct

    if ref.benchmark == "dual":
        rows = [r for rows in ref.rows.values() for r in rows if r["instruction_type"] == h.subset]
        got = [labels.get(r["id"], UNSCORED) for r in rows]
        right = np.array([g == _DUAL_OUTCOME[h.metric] for g in got], bool)
        clusters = [r["source_id"] for r in rows]
    else:
        rows = [r for r in ref.rows[h.config or ""] if r["label"] == h.subset]
        got = [labels.get(r["id"], UNSCORED) for r in rows]
        right = item_correct(got, [r["label"] for r in rows])[0] if rows else np.zeros(0, bool)
        key = {"image_centric": "prompt_id", "text_centric": "query_id"}.get(h.config or "")
        clusters = [r[key] if key else r["id"] for r in rows]
    counted = np.array([g != UNSCORED for g in got], bool)
    return right, counted, clusters


def _headline_rate(scores: Mapping[str, Any], h: _Headline) -> dict[str, Any] | None:
    if h.config is None:
        group = scores.get(h.subset)
        return group["overall"][h.metric] if group else None
    result = scores.get(h.config)
    return result["overall"][h.metric] if result else None


def _leaderboard(ref: Reference, h: _Headline, models: Mapping[str, Mapping[str, Any]],
                 labels: Mapping[str, Mapping[str, str]], *, n_boot: int, seed: int
                 ) -> dict[str, Any] | None:
    from vlmsafety.scoring import mcnemar, paired_bootstrap_difference

    entries = []
    for name, info in models.items():
        rate = _headline_rate(info["scores"], h)
        if rate is not None and rate["n"] > 0:
            entries.append((name, rate))
    if not entries:
        return None
    sign = -1.0 if h.higher_is_better else 1.0
    entries.sort(key=lambda e: sign * e[1]["rate"])  # stable: ties keep the command-line order
    adjacent = []
    for (a, _), (b, _) in zip(entries, entries[1:]):
        ra, ca, clusters = _outcomes(ref, h, labels[a])
        rb, cb, _ = _outcomes(ref, h, labels[b])
        both = ca & cb
        test = mcnemar(ra[both], rb[both])
        diff = paired_bootstrap_difference(ra, rb, clusters=clusters, mask_a=ca, mask_b=cb,
                                           n_boot=n_boot, seed=seed)
        # paired_bootstrap_difference measures b - a; every gap here is a - b (rate of the model
        # ranked higher minus the next one's). NaN (no replicates, nothing scored) becomes None.
        d = diff.to_dict()
        adjacent.append({"a": a, "b": b, "difference": _negated(d["estimate"]),
                         "difference_ci_low": _negated(d["ci_high"]),
                         "difference_ci_high": _negated(d["ci_low"]),
                         "n_both_scored": int(both.sum()), "mcnemar": test.to_dict(),
                         "paired_bootstrap": {k: d[k] for k in ("n_boot", "seed")}})
    return {
        "key": h.key, "title": h.title, "config": h.config, "subset": h.subset,
        "metric": h.metric, "higher_is_better": h.higher_is_better,
        "rows": [{"model": name, **rate} for name, rate in entries],
        "adjacent": adjacent,
    }


def _negated(value: Any) -> Any:
    return None if value is None else -value


def _make_judge(judge: Any) -> Any:
    from vlmsafety.judges import KeywordJudge

    if judge == "keyword":
        return KeywordJudge()
    if isinstance(judge, str) and judge not in ("precomputed",):
        raise ScoringInputError(
            f"judge must be 'keyword', 'precomputed', None or a Judge object, got {judge!r}")
    return None if judge in (None, "precomputed") else judge


def evaluate_models(
    benchmark: str,
    dataset: str | os.PathLike[str],
    predictions: Sequence[str | os.PathLike[str] | ModelInput],
    *,
    judge: Any = "keyword",
    configs: Sequence[str] | None = None,
    allow_missing: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
    progress: bool = True,
    command: str | None = None,
    revision: str | None = None,
) -> dict[str, Any]:
    """Judge, score and rank one or more models on one benchmark.

    Args:
        benchmark: ``"dual"`` or ``"vsc"``.
        dataset: A folder built by ``vlmsafety build`` (or ``dataset_scripts/``), or a Hub repo id.
        predictions: One predictions JSONL per model (``PATH``, ``NAME=PATH`` or
            :class:`ModelInput`); with ``judge="precomputed"``, judged JSONL files.
        judge: ``"keyword"`` (default, offline), a judge object (e.g. a cached
            :class:`~vlmsafety.judges.ChatJudge`), or ``"precomputed"`` to use the files' labels.
        configs: Configs to score (default: every config of the benchmark that the dataset has
            and that any predictions file covers).
        allow_missing: Score rows that have a prediction and count the others (default: a row
            without a prediction is an error).
        n_boot: Bootstrap replicates for intervals and comparisons (0: Wilson intervals only).
        seed: Bootstrap seed.
        progress: Progress bars.
        command: The command line, recorded in the results.
        revision: Hub revision (branch, tag or commit) of ``dataset``; recorded.

    Returns:
        A JSON-ready dict: ``dataset`` (source, revision, version, configs, shard checksums,
        image sources), ``warnings``, ``judge``, ``metric`` (names, versions, settings),
        ``models`` (per model: input file and checksum, label counts, ``n_missing`` per config,
        ``scores``) and ``leaderboards`` (ranked rates with adjacent-gap tests).

    Raises:
        ScoringInputError: unknown benchmark or config, bad model inputs.
        PredictionsFormatError: a bad predictions line, an id the dataset does not have, or
            (without ``allow_missing``) a dataset row without a prediction.
    """
    return _evaluate(benchmark, dataset, predictions, judge=judge, configs=configs,
                     allow_missing=allow_missing, n_boot=n_boot, seed=seed, progress=progress,
                     command=command, revision=revision)[0]


def _evaluate(
    benchmark: str, dataset: str | os.PathLike[str],
    predictions: Sequence[str | os.PathLike[str] | ModelInput], *, judge: Any,
    configs: Sequence[str] | None, allow_missing: bool, n_boot: int, seed: int, progress: bool,
    command: str | None, revision: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    from tqdm.auto import tqdm

    from vlmsafety import __version__
    from vlmsafety.hub import file_sha256
    from vlmsafety.predictions import check_coverage

    # Paths (or NAME=PATH) are parsed (checked, named); ModelInput objects are kept as given.
    paths = [m for m in predictions if not isinstance(m, ModelInput)]
    parsed = iter(parse_model_inputs(paths) if paths or not predictions else [])
    models_in: list[ModelInput] = [m if isinstance(m, ModelInput) else next(parsed)
                                   for m in predictions]
    dupes = sorted(n for n, c in Counter(m.name for m in models_in).items() if c > 1)
    if dupes:
        raise ScoringInputError(
            f"two predictions files have the same model name {dupes}; name them as NAME=PATH")
    judge_obj = _make_judge(judge)
    ref = load_reference(dataset, benchmark, configs, revision=revision)
    by_id = {r["id"]: r for rows in ref.rows.values() for r in rows}
    config_of = {r["id"]: c for c, rows in ref.rows.items() for r in rows}

    records_by_model, n_outside = {}, {}
    for m in models_in:
        records_by_model[m.name], n_outside[m.name] = _read_model(m, judge_obj, ref, by_id)
    covered = {config_of[r.id] for rs in records_by_model.values() for r in rs}
    skipped = [c for c in ref.rows if c not in covered]
    if configs is None:
        for c in skipped:
            del ref.rows[c]
    if not ref.rows:
        raise ScoringInputError("no predictions file covers any row of the dataset")
    if not allow_missing:  # before judging, which may be slow or paid for
        _check_coverage(records_by_model, ref)

    judged_by_model: dict[str, list[Any]] = {}
    judge_names: set[str] = set()
    bar = tqdm(models_in, desc="judging", unit="model", disable=not progress or None)
    for m in bar:
        bar.set_postfix_str(m.name)
        judged, judge_name = _judge_model(m, records_by_model[m.name], ref, judge_obj, by_id)
        judged_by_model[m.name] = judged
        judge_names.add(judge_name)

    results: dict[str, Any] = {
        "vlmsafety_version": __version__,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else " ".join(sys.argv),
        "benchmark": benchmark,
        "dataset": {
            "source": ref.source, "revision": ref.revision, "version": ref.version,
            "configs": {c: {"n_rows": len(rows)} for c, rows in ref.rows.items()},
            "configs_without_predictions": skipped if configs is None else [],
            "files": {f: h for f, h in ref.files.items()
                      if any(f.startswith(f"data/{c}/") for c in ref.rows)},
            "image_source": ref.image_sources(),
        },
        "warnings": ref.warnings(),
        "judge": {"name": "+".join(sorted(judge_names)),
                  "kind": "precomputed" if judge_obj is None else type(judge_obj).__name__},
        "metric": {
            "name": "safe_completion" if benchmark == "dual" else "safety_calibration",
            "version": __version__, "n_boot": n_boot, "seed": seed, "confidence": 0.95,
            "unscored": "exclude",
            **({"partial_refusal": "separate"} if benchmark == "dual" else {"mode": "default"}),
        },
        "models": {},
        "leaderboards": [],
    }
    labels: dict[str, dict[str, str]] = {}
    for m in tqdm(models_in, desc="scoring", unit="model", disable=not progress or None):
        judged = [j for j in judged_by_model[m.name] if j.id in config_of and
                  config_of[j.id] in ref.rows]
        lab = {j.id: j.label for j in judged}
        labels[m.name] = lab
        missing = {}
        for c, rows in ref.rows.items():
            absent = check_coverage(lab.keys(), (r["id"] for r in rows), missing="skip")
            missing[c] = len(absent)
        counts = Counter(j.label for j in judged)
        info: dict[str, Any] = {
            "predictions": {"path": str(m.path), "sha256": file_sha256(m.path),
                            "n_lines": len(judged_by_model[m.name]) + n_outside[m.name],
                            "n_other_configs": n_outside[m.name],
                            "n_failed": sum(1 for j in judged if j.extra.get("error"))},
            "n_missing": missing,
            "label_counts": dict(sorted(counts.items())),
        }
        if benchmark == "dual":
            rows = [r for rows in ref.rows.values() for r in rows if r["id"] in lab]
            info["scores"] = _score_dual(rows, [lab[r["id"]] for r in rows],
                                         "perturbed" in ref.rows, n_boot=n_boot, seed=seed,
                                         judge=results["judge"]["name"])
        else:
            info["scores"] = {}
            for c, all_rows in ref.rows.items():
                rows = [r for r in all_rows if r["id"] in lab]
                if rows:
                    info["scores"][c] = _score_vsc(c, rows, [lab[r["id"]] for r in rows],
                                                   n_boot=n_boot, seed=seed)
        results["models"][m.name] = info

    heads = _DUAL_HEADLINES if benchmark == "dual" else tuple(
        h for c in ref.rows for h in _vsc_headlines(c))
    for h in heads:
        board = _leaderboard(ref, h, results["models"], labels, n_boot=n_boot, seed=seed)
        if board is not None:
            results["leaderboards"].append(board)
    return results, judged_by_model


def run_evaluation(
    benchmark: str,
    dataset: str | os.PathLike[str],
    predictions: Sequence[str | os.PathLike[str] | ModelInput],
    out: str | os.PathLike[str],
    *,
    judge: Any = "keyword",
    configs: Sequence[str] | None = None,
    allow_missing: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
    plots: bool = True,
    overwrite: bool = False,
    progress: bool = True,
    command: str | None = None,
    revision: str | None = None,
) -> dict[str, Any]:
    """:func:`evaluate_models`, then :func:`write_evaluation` with each model's judged JSONL.

    Returns the results as written to ``out/results.json`` (with the list of ``plots``).
    """
    out = Path(out)
    inputs = [m.path if isinstance(m, ModelInput) else _split_input(m)[1] for m in predictions]
    if Path(dataset).exists():
        inputs.append(Path(dataset))
    _check_out(out, overwrite, inputs)  # fail before judging, not after
    results, judged = _evaluate(benchmark, dataset, predictions, judge=judge, configs=configs,
                                allow_missing=allow_missing, n_boot=n_boot, seed=seed,
                                progress=progress, command=command, revision=revision)
    write_evaluation(results, out, plots=plots, overwrite=overwrite, judged=judged)
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def write_evaluation(
    results: Mapping[str, Any], out: str | os.PathLike[str], *, plots: bool = True,
    overwrite: bool = False, judged: Mapping[str, Iterable[Any]] | None = None,
) -> Path:
    """Write ``results.json``, ``report.md`` and (with matplotlib) ``plots/*.png`` into ``out``.

    Everything is written into a temporary sibling folder that replaces ``out`` at the end, so
    a failure leaves no half-written report.

    Raises:
        VLMSafetyError: ``out`` exists and ``overwrite`` is false, or ``out`` is not safe to
            replace (it holds anything but :data:`OUTPUT_ENTRIES`, or the current folder).
    """
    from vlmsafety.predictions import write_jsonl
    from vlmsafety.report.evaluation import write_report
    from vlmsafety.storage.files import atomic_path

    out = Path(out)
    _check_out(out, overwrite)
    with atomic_path(out, folder=True) as tmp:
        from vlmsafety.report.evaluation import model_file_names

        stems = model_file_names([*results.get("models", {}), *(judged or {})])
        for name, records in (judged or {}).items():
            write_jsonl(tmp / "judged" / f"{stems[name]}.jsonl", records)
        final = dict(results)
        final["plots"] = write_report(final, tmp, plots=plots)
        (tmp / "results.json").write_text(json.dumps(final, indent=2, allow_nan=False) + "\n",
                                          encoding="utf-8")
    out = out.resolve()
    return out
