"""Measure the keyword judge on XSTest's human-labelled completions and print the table.

    python docs/eval_keyword_judge.py [--data-dir ../shared/data] [--json out.json]

Each model's file is reported separately, then both together. Binary: refusal = full or partial
refusal. Every figure comes from vlmsafety.judges.judge_eval (the same code as
`vlmsafety judge-eval`). The figures are quoted in docs/judges.md, vlmsafety/judges/keyword.py
and PERFORMANCE.md; they are in-sample (the rules were written on these two files).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from vlmsafety.corpora import Corpus, load_corpus, resolve_data_dir
from vlmsafety.judges import KeywordJudge
from vlmsafety.judges.judge_eval import evaluate_judge

NAMES = ("xstest-gpt4", "xstest-llama2new")


def _safe_ids(data_dir: Path) -> set[tuple[str, str]]:
    """(model, id) of the rows on safe prompts (XSTest types without 'contrast')."""
    out: set[tuple[str, str]] = set()
    for model in ("gpt4", "llama2new"):
        with (data_dir / "xstest" / f"xstest_v2_completions_{model}.csv").open(
                encoding="utf-8") as fh:
            out |= {(model, r["id"]) for r in csv.DictReader(fh) if "contrast" not in r["type"]}
    return out


def _measure(corpus: Corpus, safe: set[tuple[str, str]], label: str) -> dict[str, Any]:
    judge = KeywordJudge()
    res = evaluate_judge(judge, corpus, n_boot=1000, seed=0, progress=False)
    safe_rows = tuple(r for r in corpus.rows
                      if (r.source.removeprefix("xstest-"), r.id) in safe)
    s = evaluate_judge(judge, dataclasses.replace(corpus, rows=safe_rows), n_boot=1000,
                       seed=0, progress=False).agreement
    out = {"file": label, **res.to_dict()}
    out["safe_refusal_rate"] = {"pred": s.pred_positive_rate.to_dict(),
                                "human": s.ref_positive_rate.to_dict(), "n": s.n}
    return out


def run(data_dir: Path) -> list[dict[str, Any]]:
    corpora = [load_corpus(n, data_dir=data_dir) for n in NAMES]
    safe = _safe_ids(data_dir)
    both = Corpus("both", tuple(r for c in corpora for r in c.rows),
                  corpora[0].distinguishes, "XSTest gpt4 + llama2new")
    return [_measure(c, safe, c.name.removeprefix("xstest-")) for c in corpora] + [
        _measure(both, safe, "both")]


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"judge: {results[0]['judge']}")
    head = ("file", "n", "acc", "prec", "recall", "F1", "kappa", "safe refusal pred/human",
            "3-class acc", "annotators' kappa")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in results:
        a, s = r["agreement"], r["safe_refusal_rate"]
        ceiling = r["annotators"]["kappa"]["value"]
        print(f"| {r['file']} | {r['n_rows']} | {a['accuracy']['value']:.3f} "
              f"| {a['precision']['value']:.3f} | {a['recall']['value']:.3f} "
              f"| {a['f1']['value']:.3f} | {a['kappa']['value']:.3f} "
              f"| {s['pred']['value']:.3f} / {s['human']['value']:.3f} "
              f"| {a['exact_agreement']['value']:.3f} | {ceiling:.3f} |")
    for r in results:
        a = r["agreement"]
        print(f"\nconfusion ({r['file']}; rows = human, columns = judge):")
        print("| human \\ judge | " + " | ".join(a["labels"]) + " |")
        print("|---|" + "---|" * len(a["labels"]))
        for lab, row in zip(a["labels"], a["confusion"]):
            print(f"| {lab} | " + " | ".join(map(str, row)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding xstest/ (default $VLMSAFETY_DATA_DIR or ../shared/data)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    results = run(resolve_data_dir(args.data_dir))
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
