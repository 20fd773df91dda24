"""The evaluation's output folder: ``results.json``, ``report.md``, ``plots/``, ``judged/``.

Written into a temporary sibling folder that replaces the output at the end
(:func:`vlmsafety.storage.files.atomic_path`), so a failure leaves no half-written report;
``overwrite`` replaces only an earlier evaluation's folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vlmsafety.evaluation.results import EvaluationResult
from vlmsafety.storage.files import atomic_path, check_output_folder

__all__ = ["OUTPUT_ENTRIES", "check_out", "write_evaluation", "write_results"]

OUTPUT_ENTRIES: tuple[str, ...] = ("results.json", "report.md", "plots", "judged")
"""What :func:`write_evaluation` writes into its folder; ``overwrite`` replaces only such a folder."""


def check_out(out: Path, overwrite: bool, inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse an output folder that exists (without ``overwrite``) or that is not safe to replace.

    ``overwrite`` deletes the folder, so it is allowed only for an earlier evaluation's output
    (nothing but :data:`OUTPUT_ENTRIES` inside), never for the current folder, a folder holding
    it, or a folder holding one of the ``inputs``.

    Raises:
        OutputExistsError: as above; the message says why and what to do.
    """
    check_output_folder(out, overwrite=overwrite, inputs=inputs, entries=OUTPUT_ENTRIES,
                        command="evaluation")


def write_evaluation(
    results: EvaluationResult | Mapping[str, Any], out: str | os.PathLike[str], *,
    plots: bool = True, overwrite: bool = False,
    judged: Mapping[str, Iterable[Any]] | None = None,
) -> Path:
    """Write ``results.json``, ``report.md`` and (with matplotlib) ``plots/*.png`` into ``out``.

    ``results`` is an :class:`~vlmsafety.evaluation.EvaluationResult` (or its ``to_dict()``).
    Returns the folder written.

    Raises:
        OutputExistsError: ``out`` exists and ``overwrite`` is false, or ``out`` is not safe to
            replace (it holds anything but :data:`OUTPUT_ENTRIES`, or the current folder).
    """
    data = results if isinstance(results, Mapping) else results.to_dict()
    write_results(data, out, plots=plots, overwrite=overwrite, judged=judged)
    return Path(out).resolve()


def write_results(
    results: Mapping[str, Any], out: str | os.PathLike[str], *, plots: bool = True,
    overwrite: bool = False, judged: Mapping[str, Iterable[Any]] | None = None,
) -> list[str]:
    """:func:`write_evaluation` of a results dict; returns the plot files written (as listed in
    ``results.json``'s ``plots``)."""
    from vlmsafety.chat_client.redact import redact
    from vlmsafety.predictions import write_jsonl
    from vlmsafety.report.document import model_file_names, write_report

    out = Path(out)
    check_out(out, overwrite)
    with atomic_path(out, folder=True) as tmp:
        stems = model_file_names([*results.get("models", {}), *(judged or {})])
        for name, records in (judged or {}).items():
            write_jsonl(tmp / "judged" / f"{stems[name]}.jsonl", records)
        final = dict(results)
        if isinstance(final.get("command"), str):  # no key or URL password in the record
            final["command"] = redact(final["command"])
        final["plots"] = write_report(final, tmp, plots=plots)
        (tmp / "results.json").write_text(json.dumps(final, indent=2, allow_nan=False) + "\n",
                                          encoding="utf-8")
    return list(final["plots"])
