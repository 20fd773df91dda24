"""Coverage of the judge-corrected interval on the MSTS English release (issue 24, item 2).

For each of the 7 models of ``../shared/data/msts`` (400 responses each), GPT-4o's published
verdicts are the judge (unsafe vs not) on every response and ``n`` human labels (``final_label``)
are drawn at random; the corrected interval should hold the model's rate over all 400 human
labels. Writes a markdown table (coverage, median width, the human-only Wilson width at the same
``n``, the methods used) between the markers of ``docs/human-labels.md`` (``--print``: to stdout).

    python docs/scripts/msts_real_data.py [--draws 2000] [--data ../shared/data/msts] [--print]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from vlmsafety.scoring.simulation import resample_coverage
from vlmsafety.suites.msts.release import read_annotations, read_autoeval

JUDGE = "gpt-4o-2024-05-13"
SIZES = (25, 50, 100, 200)


def model_outcomes(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """model -> (human unsafe 0/1, GPT-4o unsafe 0/1) over its responses, in file order."""
    ann = read_annotations(root / "data/response_annotations/english_multimodal.csv")
    _, verdicts = read_autoeval(root / "data/auto_eval/english_multimodal_autoeval.csv",
                                n_rows=len(ann))
    out: dict[str, tuple[list[float], list[float]]] = {}
    for a in ann:
        y, f = out.setdefault(a.model, ([], []))
        y.append(float(a.final_label == "unsafe"))
        f.append(float(verdicts[a.row][JUDGE] == "unsafe"))
    return {m: (np.array(y), np.array(f)) for m, (y, f) in out.items()}


def table(root: Path, draws: int) -> str:
    lines = [("| model | human rate | GPT-4o rate | n | covers | median width | human-only "
             "Wilson width | methods |"), "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for k, (model, (y, f)) in enumerate(sorted(model_outcomes(root).items())):
        for n in SIZES:
            c = resample_coverage(y, f, n, draws=draws, seed=1000 * k + n)
            meth = ", ".join(f"{m} {s:.0%}" for m, s in c.methods.items())
            lines.append(f"| {model} | {y.mean():.4f} | {f.mean():.4f} | {n} | "
                         f"{c.coverage:.3f} | {c.median_width:.3f} | {c.human_wilson_width:.3f} "
                         f"| {meth} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "../shared/data/msts")
    ap.add_argument("--print", action="store_true", help="print the table, do not write the docs")
    args = ap.parse_args()
    text = table(args.data, args.draws)
    if args.print:
        print(text)
        return
    page = Path(__file__).parents[1] / "human-labels.md"
    doc = page.read_text(encoding="utf-8")
    begin, end = "<!-- msts-real:begin -->", "<!-- msts-real:end -->"
    start, stop = doc.index(begin) + len(begin), doc.index(end)
    page.write_text(doc[:start] + "\n" + text + "\n" + doc[stop:], encoding="utf-8")


if __name__ == "__main__":
    main()
