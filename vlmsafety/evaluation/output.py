"""The evaluation's output folder: ``results.json``, ``report.md``, ``plots/``, ``judged/``.

Written into a temporary sibling folder that replaces the output at the end, so a failure leaves
no half-written report; ``overwrite`` replaces only an earlier evaluation's folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vlmsafety.errors import OutputExistsError

__all__ = ["OUTPUT_ENTRIES", "check_out", "write_evaluation"]

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
    if not out.exists():
        return
    if not overwrite:
        raise OutputExistsError(f"output folder {str(out)!r} exists; pass overwrite=True "
                                "(--overwrite) to replace it")
    where = out.resolve()
    if not out.is_dir():
        raise OutputExistsError(f"output folder {str(out)!r} is a file; --overwrite replaces "
                                "only an earlier evaluation's folder")
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise OutputExistsError(f"output folder {str(out)!r} is (or holds) the current folder; "
                                "--overwrite would delete it: choose a folder of its own")
    for value in inputs:
        path = Path(value).resolve()
        if path == where or where in path.parents:
            raise OutputExistsError(f"output folder {str(out)!r} holds an input "
                                    f"({str(value)!r}); --overwrite would delete it: choose "
                                    "another folder")
    extra = sorted(e.name for e in out.iterdir() if e.name not in OUTPUT_ENTRIES)
    if extra:
        shown = ", ".join(map(repr, extra[:5])) + (f" and {len(extra) - 5} more"
                                                    if len(extra) > 5 else "")
        raise OutputExistsError(
            f"output folder {str(out)!r} is not an earlier evaluation's output: besides "
            f"{', '.join(OUTPUT_ENTRIES)} it holds {shown}; --overwrite would delete them, so "
            "choose another folder (or remove it yourself)")


def write_evaluation(
    results: Mapping[str, Any], out: str | os.PathLike[str], *, plots: bool = True,
    overwrite: bool = False, judged: Mapping[str, Iterable[Any]] | None = None,
) -> Path:
    """Write ``results.json``, ``report.md`` and (with matplotlib) ``plots/*.png`` into ``out``.

    Raises:
        OutputExistsError: ``out`` exists and ``overwrite`` is false, or ``out`` is not safe to
            replace (it holds anything but :data:`OUTPUT_ENTRIES`, or the current folder).
    """
    from vlmsafety.predictions import write_jsonl
    from vlmsafety.report.document import model_file_names, write_report

    out = Path(out)
    check_out(out, overwrite)
    out = out.resolve()  # "." and "dir/.." have no name to build a sibling from
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        stems = model_file_names([*results.get("models", {}), *(judged or {})])
        for name, records in (judged or {}).items():
            write_jsonl(tmp / "judged" / f"{stems[name]}.jsonl", records)
        final = dict(results)
        final["plots"] = write_report(final, tmp, plots=plots)
        (tmp / "results.json").write_text(json.dumps(final, indent=2, allow_nan=False) + "\n",
                                          encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
