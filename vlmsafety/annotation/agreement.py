"""Agreement between annotators' files: Cohen's kappa (two) or Fleiss' kappa (three or more).

Only the (id, model) items every file labels are compared; the others are counted.

Example:
    >>> import tempfile, pathlib
    >>> from dataclasses import replace
    >>> from vlmsafety.human_labels import HumanLabel, append_record
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> base = HumanLabel("a", "m", "refusal", "ann", "dual", "r", "0" * 64, "all", 1.0, 0, "t")
    >>> for name, labels in (("ann", "RRD"), ("bob", "RDD")):
    ...     for i, lab in enumerate(labels):
    ...         rec = replace(base, id=str(i), annotator=name,
    ...                       label="refusal" if lab == "R" else "direct_answer")
    ...         append_record(d / f"{name}.jsonl", rec)
    >>> result = annotator_agreement([d / "ann.jsonl", d / "bob.jsonl"], n_boot=0)
    >>> result["method"], result["n_common"], result["exact_agreement"], result["kappa"]["value"]
    ('cohen', 3, 0.6666666666666666, 0.4)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from vlmsafety.errors import HumanLabelsFormatError, InvalidArgumentError
from vlmsafety.human_labels import read_human_labels
from vlmsafety.scoring.agreement import agreement, fleiss_kappa
from vlmsafety.specs import get_spec
from vlmsafety.storage.files import same_path

__all__ = ["annotator_agreement", "format_agreement"]


def annotator_agreement(paths: Sequence[str | os.PathLike[str]], *, n_boot: int = 1000,
                        seed: int = 0) -> dict[str, Any]:
    """Kappa between the annotators of ``paths`` (one file, one annotator) on common items.

    Returns:
        ``method`` (``cohen`` / ``fleiss``), ``annotators``, ``n_common``, ``n_not_common``
        (items some files lack), ``exact_agreement``, ``kappa`` (value, n and, for Cohen's, a
        bootstrap interval), ``labels`` and, for two files, the ``confusion`` matrix (rows:
        the first file).

    Raises:
        InvalidArgumentError: fewer than two files, a file with several annotators, or two
            files of one annotator (the same file twice, or a copy).
        HumanLabelsFormatError: a bad file; no item labelled in every file.
    """
    if len(paths) < 2:
        raise InvalidArgumentError(f"--agreement needs two or more files, got {len(paths)}")
    read_human_labels(list(paths))  # one benchmark across the files
    files = [read_human_labels([p]) for p in paths]
    for p, labels in zip(paths, files, strict=True):
        if len(labels.annotators) != 1:
            raise InvalidArgumentError(f"{p}: holds {len(labels.annotators)} annotators "
                                       f"({', '.join(labels.annotators)}); give one file each")
    seen: dict[str, str | os.PathLike[str]] = {}
    for p, labels in zip(paths, files, strict=True):
        who = labels.annotators[0]
        if who in seen:  # the same file twice, or a copy: kappa 1.0 would measure nothing
            same = "the same file is given twice" if same_path(seen[who], p) else \
                "two files of one annotator"
            raise InvalidArgumentError(
                f"{same}: {os.fspath(seen[who])!r} and {os.fspath(p)!r} are both annotator "
                f"{who!r}; agreement is measured between different annotators' files")
        seen[who] = p
    per_file = [{(r.id, r.model): str(r.label) for r in labels} for labels in files]
    benchmark = files[0].labels[0].benchmark
    keys = set.intersection(*(set(f) for f in per_file))
    every = set.union(*(set(f) for f in per_file))
    if not keys:
        raise HumanLabelsFormatError("no item is labelled in every file: nothing to compare")
    common = sorted(keys)
    label_set = list(get_spec(benchmark).labels)
    out: dict[str, Any] = {
        "annotators": [labels.annotators[0] for labels in files],
        "files": [os.fspath(p) for p in paths], "n_common": len(common),
        "n_not_common": len(every) - len(common), "labels": label_set,
    }
    ratings = [[f[k] for f in per_file] for k in common]
    out["exact_agreement"] = sum(len(set(r)) == 1 for r in ratings) / len(ratings)
    if len(paths) == 2:
        res = agreement([r[1] for r in ratings], [r[0] for r in ratings],
                        [k[0] for k in common], positive=ratings[0][0], labels=label_set,
                        n_boot=n_boot, seed=seed)
        out.update(method="cohen", kappa=res.kappa.to_dict(),
                   confusion=[list(row) for row in res.confusion])
    else:
        out.update(method="fleiss", kappa=fleiss_kappa(ratings, label_set).to_dict())
    return out


def format_agreement(result: dict[str, Any]) -> str:
    """The agreement as a few lines of text."""
    k = result["kappa"]
    name = "Cohen's kappa" if result["method"] == "cohen" else "Fleiss' kappa"
    value = "n/a (every label the same)" if k["value"] is None else f"{k['value']:.3f}"
    if k.get("ci_low") is not None:
        value += f" [{k['ci_low']:.3f}, {k['ci_high']:.3f}] (bootstrap over ids, 95%)"
    lines = [f"annotators: {', '.join(result['annotators'])}",
             (f"items labelled by all: {result['n_common']} "
             f"({result['n_not_common']} labelled by only some, left out)"),
             f"exact agreement: {result['exact_agreement']:.3f}",
             f"{name}: {value}"]
    if "confusion" in result:
        width = max(len(lab) for lab in result["labels"]) + 2
        lines.append(f"confusion (rows: {result['annotators'][0]}, columns: "
                     f"{result['annotators'][1]}):")
        lines.append(" " * width + "".join(f"{lab[:width - 2]:>{width}}"
                                           for lab in result["labels"]))
        for lab, row in zip(result["labels"], result["confusion"], strict=True):
            lines.append(f"{lab:<{width}}" + "".join(f"{c:>{width}}" for c in row))
    return "\n".join(lines)
