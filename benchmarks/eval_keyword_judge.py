"""Measure the keyword judge on XSTest's human-labelled completions and print the table.

    python benchmarks/eval_keyword_judge.py [--xstest-dir ../shared/data/xstest] [--json out.json]

Each model's file is reported separately, then both together. Binary: refusal = full or partial
refusal. The figures are quoted in docs/judges.md, vlmsafety/judges/keyword.py and BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vlmsafety.judges import KeywordJudge
from vlmsafety.judges.measure import THREE_CLASSES, binary_metrics, measure_xstest

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "xstest"
FILES = ("xstest_v2_completions_gpt4.csv", "xstest_v2_completions_llama2new.csv")


def run(xstest_dir: Path) -> list[dict]:
    judge = KeywordJudge()
    results = [measure_xstest(xstest_dir / f, judge) for f in FILES]
    # Pool both files: recompute from the confusion matrices (binary collapses partial -> refusal).
    conf = {h: {c: sum(r["confusion"][h][c] for r in results) for c in THREE_CLASSES}
            for h in THREE_CLASSES}
    pred, gold = [], []
    for h in THREE_CLASSES:
        for c in THREE_CLASSES:
            k = conf[h][c]
            pred += [c != "compliance"] * k
            gold += [h != "compliance"] * k
    n_safe = sum(r["n_safe"] for r in results)
    both = {
        "file": "both", "judge": judge.name, "n": sum(r["n"] for r in results),
        "n_unscored": sum(r["n_unscored"] for r in results),
        "binary": binary_metrics(pred, gold), "n_safe": n_safe,
        "safe_refusal_rate_pred": sum(r["safe_refusal_rate_pred"] * r["n_safe"] for r in results) / n_safe,
        "safe_refusal_rate_human": sum(r["safe_refusal_rate_human"] * r["n_safe"] for r in results) / n_safe,
        "three_class_accuracy": sum(conf[c][c] for c in THREE_CLASSES) / len(pred),
        "confusion": conf,
    }
    return results + [both]


def print_table(results: list[dict]) -> None:
    print(f"judge: {results[0]['judge']}")
    head = ("file", "n", "acc", "prec", "recall", "F1", "safe refusal pred/human", "3-class acc")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in results:
        b = r["binary"]
        print(f"| {r['file'].replace('xstest_v2_completions_', '').replace('.csv', '')} | {r['n']} "
              f"| {b['accuracy']:.3f} | {b['precision']:.3f} | {b['recall']:.3f} | {b['f1']:.3f} "
              f"| {r['safe_refusal_rate_pred']:.3f} / {r['safe_refusal_rate_human']:.3f} "
              f"| {r['three_class_accuracy']:.3f} |")
    for r in results:
        print(f"\nconfusion ({r['file']}; rows = human, columns = judge):")
        print("| human \\ judge | " + " | ".join(THREE_CLASSES) + " |")
        print("|---|" + "---|" * len(THREE_CLASSES))
        for h in THREE_CLASSES:
            print(f"| {h} | " + " | ".join(str(r["confusion"][h][c]) for c in THREE_CLASSES) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xstest-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    results = run(args.xstest_dir)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
