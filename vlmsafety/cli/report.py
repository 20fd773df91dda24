"""``vlmsafety report RESULTS.json [--out DIR]``: render report.md and the plots again from a
results.json that ``vlmsafety evaluate`` (or ``demo``) wrote, without judging or scoring anything.

Also home of :func:`plots_available`, the one rule for plots of ``evaluate``, ``demo`` and
``report``: without matplotlib they are skipped with a one-line note naming the extra to install.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["plots_available", "register", "rerender", "run"]

_EPILOG = """\
The results are read as written (schema_version 2); nothing is judged or scored again. report.md
and plots/ are written into DIR (default: the folder of RESULTS.json), replacing an earlier
report.md and plots/ there; nothing else in DIR is touched. Without matplotlib the plots are
skipped with a note (pip install 'vlmsafety[plots]'), as in evaluate and demo.

examples:
  vlmsafety report results/results.json                  # report.md and plots/ beside it
  vlmsafety report results/results.json --out shared/    # into another folder
"""


def plots_available(command: str, wanted: bool = True) -> bool:
    """Whether to draw plots: ``wanted`` and matplotlib is installed. When it is not, a one-line
    note on stderr says the plots are skipped and how to get them (the same for every command)."""
    if not wanted:
        return False
    if importlib.util.find_spec("matplotlib") is None:
        print(f"vlmsafety {command}: note: plots skipped: matplotlib is not installed (pip install "
              "'vlmsafety[plots]'; --no-plots, where offered, silences this note)", file=sys.stderr)
        return False
    return True


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "report", help="render report.md and plots again from a results.json",
        description="Render report.md and plots/*.png again from a results.json written by "
        "`vlmsafety evaluate` or `vlmsafety demo`.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", type=Path, metavar="RESULTS.json", help="the results file")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder for report.md and plots/ (default: the results file's folder)")
    p.add_argument("--no-plots", action="store_true", help="write report.md only")
    p.set_defaults(handler=run)


def _read(path: Path) -> dict[str, Any]:
    from vlmsafety.errors import InputDataError
    from vlmsafety.evaluation.results import SCHEMA_VERSION

    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise InputDataError(f"{path}: no such results file (give the results.json that "
                             "`vlmsafety evaluate --out DIR` wrote)")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: not a JSON results file ({exc})") from None
    version = results.get("schema_version") if isinstance(results, dict) else None
    if version != SCHEMA_VERSION:
        raise InputDataError(f"{path}: schema_version {version!r}; this vlmsafety renders "
                             f"{SCHEMA_VERSION!r} (run the evaluation again with this version)")
    return results


def rerender(results_path: Path, out: Path | None = None, *, plots: bool = True) -> list[Path]:
    """Write report.md (and plots/ when ``plots``) for a results.json into ``out`` (default: its
    folder), replacing an earlier report.md and plots/ there; return the paths written.

    Raises:
        InputDataError: the file is missing, not JSON, or of another schema version.
    """
    from vlmsafety.report.document import write_report
    from vlmsafety.storage.files import public_modes, temp_prefix

    results = _read(results_path)
    folder = Path(out) if out is not None else (
        results_path if results_path.is_dir() else results_path.parent)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(folder / "report.md"), dir=folder))
    try:
        rel = write_report(results, tmp, plots=plots)
        public_modes(tmp)
        if (tmp / "plots").is_dir():
            if (folder / "plots").is_dir():
                shutil.rmtree(folder / "plots")
            (tmp / "plots").replace(folder / "plots")
        (tmp / "report.md").replace(folder / "report.md")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [folder / "report.md", *(folder / p for p in rel)]


def run(args: argparse.Namespace) -> int:
    written = rerender(args.results, args.out,
                       plots=plots_available("report", not args.no_plots))
    print(f"wrote {written[0]} and {len(written) - 1} plot(s)")
    return 0
