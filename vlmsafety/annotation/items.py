"""What there is to label: the dataset's rows, each model's responses, and the seeded sample.

Example:
    >>> stratum_of({"instruction_type": "harmful", "config": "clean"}, ["instruction_type"])
    'instruction_type=harmful'
    >>> stratum_of({"instruction_type": "harmful"}, [])
    'all'
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vlmsafety.errors import InvalidArgumentError, ScoringInputError
from vlmsafety.evaluation.inputs import parse_model_inputs
from vlmsafety.evaluation.reference import Reference, load_reference
from vlmsafety.human_labels import dataset_revision
from vlmsafety.labels import LABELS
from vlmsafety.predictions import read_predictions
from vlmsafety.scoring.sampling import draw_sample
from vlmsafety.specs import BenchmarkSpec, benchmarks, get_spec
from vlmsafety.storage.splits import load_split

__all__ = ["AnnotationSet", "ImageStore", "Item", "infer_benchmark", "load_annotation_set",
           "stratum_of"]


@dataclass(frozen=True)
class Item:
    """One (model, dataset row) pair in the draw: the sample first, then the reserve.

    Attributes:
        model: The model's name (as ``vlmsafety evaluate`` names it).
        id: The dataset row id.
        config: The row's config.
        row: The row's metadata (the spec's columns).
        response: The model's response.
        judge_label: The judge's label when the predictions file is judged, else ``None``.
        stratum: The sampling stratum.
        sampling_prob: ``n_h / N_h`` of its stratum for this model.
        draw: Its position in this model's draw order.
        in_sample: In the first ``--n`` (else reserve).
        dataset_revision: :func:`vlmsafety.human_labels.dataset_revision` of its config.
    """

    model: str
    id: str
    config: str
    row: Mapping[str, Any]
    response: str
    judge_label: str | None
    stratum: str
    sampling_prob: float
    draw: int
    in_sample: bool
    dataset_revision: str


@dataclass
class AnnotationSet:
    """Every model's draw over one dataset, and how it was made."""

    spec: BenchmarkSpec
    reference: Reference
    models: list[str]
    items: list[Item]
    n: int
    seed: int
    stratify: tuple[str, ...]
    n_failed: dict[str, int] = field(default_factory=dict)
    allocation: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)

    def sample(self) -> list[Item]:
        """The first-``n`` items of every model, in draw order within each model."""
        return [it for it in self.items if it.in_sample]


def stratum_of(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    """The stratum name of ``row``: ``col=value`` joined by ``|``, or ``all``."""
    return "|".join(f"{c}={row[c]}" for c in columns) if columns else "all"


def infer_benchmark(dataset: str | os.PathLike[str], revision: str | None = None) -> str:
    """The benchmark whose configs the dataset has (when exactly one matches).

    Raises:
        InvalidArgumentError: no benchmark or several match (pass ``--benchmark``).
    """
    import datasets

    try:
        configs = set(datasets.get_dataset_config_names(os.fspath(dataset), revision=revision))
    except Exception as exc:  # any failure: the user can still name the benchmark
        raise InvalidArgumentError(f"cannot tell the benchmark of {os.fspath(dataset)!r} ({exc}); "
                                   f"pass --benchmark ({', '.join(benchmarks())})") from exc
    found = [b for b in benchmarks() if configs & set(get_spec(b).config_names)]
    if len(found) != 1:
        raise InvalidArgumentError(
            f"dataset {os.fspath(dataset)!r} (configs {sorted(configs)}) matches "
            f"{found or 'no benchmark'}; pass --benchmark ({', '.join(benchmarks())})")
    return found[0]


def _rows(ref: Reference) -> list[dict[str, Any]]:
    return [{**r, "config": config} for config, rows in ref.rows.items() for r in rows]


def load_annotation_set(
    dataset: str | os.PathLike[str], predictions: Sequence[str | os.PathLike[str]], *,
    benchmark: str | None = None, n: int = 200, stratify: Sequence[str] = (), seed: int = 0,
    revision: str | None = None,
) -> AnnotationSet:
    """Load the rows and responses and draw each model's seeded sample (``n`` per model).

    Raises:
        InvalidArgumentError: ``n`` below 1, or a ``stratify`` column the rows lack.
        ScoringInputError, PredictionsFormatError, DatasetNotFoundError: bad inputs.
    """
    if n < 1:
        raise InvalidArgumentError(f"--n must be at least 1, got {n}")
    spec = get_spec(benchmark or infer_benchmark(dataset, revision))
    ref = load_reference(dataset, spec, revision=revision)
    rows = _rows(ref)
    if not rows:
        raise ScoringInputError(f"dataset {os.fspath(dataset)!r} has no rows")
    bad = [c for c in stratify if c not in rows[0]]
    if bad:
        raise InvalidArgumentError(f"--stratify column(s) {bad} are not in the rows; allowed: "
                                   + ", ".join(sorted(rows[0])))
    strata = [stratum_of(r, stratify) for r in rows]
    revisions = {c: dataset_revision(ref.files, c, revision=revision) for c in ref.rows}
    out = AnnotationSet(spec, ref, [], [], n, seed, tuple(stratify))
    known = set(ref.ids)
    for model in parse_model_inputs(list(predictions)):
        preds = {p.id: p for p in read_predictions(model.path, known_ids=known)}
        eligible = [r["id"] in preds and preds[r["id"]].response is not None for r in rows]
        out.n_failed[model.name] = sum(p.response is None for p in preds.values())
        design = draw_sample(strata, n, seed=seed, eligible=eligible)
        out.models.append(model.name)
        out.allocation[model.name] = design.allocation
        for i in sorted(range(len(rows)), key=lambda i: int(design.draw[i])):
            if design.draw[i] < 0:
                continue
            p = preds[rows[i]["id"]]
            label = p.extra.get("label")
            out.items.append(Item(
                model.name, rows[i]["id"], rows[i]["config"], rows[i], str(p.response),
                label if label in LABELS else None, strata[i], float(design.prob[i]),
                int(design.draw[i]), bool(design.in_sample[i]), revisions[rows[i]["config"]]))
    return out


class ImageStore:
    """The stored bytes of a row's image, read on demand (one dataset load per config)."""

    def __init__(self, source: str, revision: str | None = None) -> None:
        self.source, self.revision = source, revision
        self._splits: dict[str, tuple[Any, dict[str, int]]] = {}
        self._lock = threading.Lock()  # the page asks from worker threads: load a split once

    def get(self, config: str, row_id: str) -> tuple[bytes, str] | None:
        """``(bytes, mime type)`` of the row's image, or ``None`` when it has none."""
        import datasets

        with self._lock:
            if config not in self._splits:
                ds = load_split(self.source, config, revision=self.revision)
                if "image" not in ds.column_names:
                    self._splits[config] = (None, {})
                else:
                    if isinstance(ds.features["image"], datasets.Image):
                        ds = ds.cast_column("image", datasets.Image(decode=False))
                    self._splits[config] = (ds, {rid: i for i, rid in enumerate(ds["id"])})
            ds, index = self._splits[config]
        if ds is None or row_id not in index:
            return None
        value = ds[index[row_id]]["image"]
        data = value.get("bytes") if isinstance(value, dict) else None
        if not data and isinstance(value, dict) and value.get("path"):
            with open(value["path"], "rb") as fh:
                data = fh.read()
        return (data, _mime(data)) if data else None


def _mime(data: bytes) -> str:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return Image.MIME.get(im.format or "", "application/octet-stream")
    except Exception:  # noqa: BLE001 - an unreadable image is still served; the browser decides
        return "application/octet-stream"
