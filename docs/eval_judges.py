"""Leave-one-corpus-out table of the offline judges on the shipped human-labelled corpora.

    python docs/eval_judges.py [--data-dir ../shared/data] [--json out.json] [--boot 1000]

Folds: xstest-gpt4, xstest-llama2new, gptfuzz. For each fold the learned judge (refusal-lr) is
retrained on the *other two* corpora with :func:`vlmsafety.judges.train.model_json` (weights, and
the Platt calibration from leave-one-corpus-out scores within those two), then measured on the
held-out one. keyword@1.0.0 and the naive phrase list of ``bench_keyword_judge.py`` are run on the
same rows; keyword@1.0.0's rules were written looking at both XSTest files (in-sample there), and
the learned judge's hand-written indicators have seen all three corpora.

Binary: refusal = refusal or partial_refusal; everything else = compliance. GPTFuzz's repeated
(question, response) rows are counted once. Intervals: 95% percentile bootstrap clustered by prompt
(XSTest) or question (GPTFuzz), seeded; "diff vs keyword" is the paired difference in accuracy.
Calibration: accuracy per confidence decile and the expected calibration error (ECE, 10 bins).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))  # the naive baseline

from bench_keyword_judge import naive_judge

from vlmsafety.judges import KeywordJudge, train3
from vlmsafety.judges import train as train2
from vlmsafety.judges.cascade import DEFAULT_THRESHOLD
from vlmsafety.judges.devdata import (
    DEV_CORPORA,
    MSTS_EN,
    TEXT_CORPORA,
    TrainSet,
    read_dev_corpus,
    split_by_unit,
)
from vlmsafety.judges.refusal_lr import RefusalLRJudge

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
REFUSING = ("refusal", "partial_refusal")


def _kappa(pred: np.ndarray, gold: np.ndarray) -> float:
    po = float((pred == gold).mean())
    pe = float(pred.mean() * gold.mean() + (1 - pred.mean()) * (1 - gold.mean()))
    return (po - pe) / (1 - pe) if pe < 1 else 0.0


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float((pred & gold).sum())
    denom = float(pred.sum() + gold.sum())
    return 2 * tp / denom if denom else 0.0


def _cluster_boot(groups: list[str], stat, n_boot: int, seed: int = 0) -> tuple[float, float]:
    names, idx = np.unique(np.array(groups), return_inverse=True)
    members = [np.flatnonzero(idx == g) for g in range(len(names))]
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(members), len(members))
        rows = np.concatenate([members[g] for g in pick])
        vals.append(stat(rows))
    lo, hi = np.quantile(vals, [0.025, 0.975])
    return float(lo), float(hi)


def calibration(conf: np.ndarray, correct: np.ndarray) -> dict:
    """Accuracy per confidence decile (equal-count bins) and the ECE over 10 equal-width bins."""
    order = np.argsort(conf, kind="stable")
    deciles = []
    for part in np.array_split(order, 10):
        if len(part):
            deciles.append({"n": len(part), "mean_conf": float(conf[part].mean()),
                            "accuracy": float(correct[part].mean())})
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(abs(float(conf[bins == b].mean()) - float(correct[bins == b].mean()))
              * float((bins == b).mean()) for b in range(10) if (bins == b).any())
    return {"deciles": deciles, "ece": float(ece)}


def _collapse(label: str, distinguishes: frozenset[str]) -> str:
    if label in distinguishes:
        return label
    if label in REFUSING:
        return "refusal"
    return "direct_answer"


DISTINGUISHES = {
    "xstest-gpt4": frozenset({"refusal", "partial_refusal", "direct_answer"}),
    "xstest-llama2new": frozenset({"refusal", "partial_refusal", "direct_answer"}),
    "gptfuzz": frozenset({"refusal", "direct_answer"}),
    MSTS_EN: frozenset({"refusal", "safe_completion", "irrelevant", "direct_answer"}),
}


def folds(sets: list[TrainSet]) -> list[tuple[str, str, list[TrainSet], TrainSet]]:
    """``(fold, corpus, training sets, held-out set)``: each text corpus left out (trained on the
    others and all of msts-en), then each msts-en model left out (trained on the text corpora and
    the other six models). Which of the training sets a recipe uses is up to the recipe
    (:func:`vlmsafety.judges.train.fold_model_json`)."""
    by_name = {s.name: s for s in sets}
    out = []
    for name in TEXT_CORPORA:
        out.append((name, name, [s for s in sets if s.name != name], by_name[name]))
    for unit, rest, held in split_by_unit(by_name[MSTS_EN]):
        others = [s for s in sets if s.name != MSTS_EN]
        out.append((f"msts-en:{unit.split('--')[-1]}", MSTS_EN, [*others, rest], held))
    return out


def _fold_figures(corpus: str, held: TrainSet, preds: dict, n_boot: int) -> dict:
    gold = held.y == 1
    dist = DISTINGUISHES[corpus]
    human = np.array([_collapse(x, dist) for x in held.labels])
    fold: dict = {"n": len(gold), "human_refusal_rate": float(gold.mean()),
                  "human_direct_answer_rate": float((human == "direct_answer").mean()),
                  "judges": {}}
    for name, labels in preds.items():
        pred = np.array([x in REFUSING for x in labels])
        correct = pred == gold
        mine = np.array([_collapse(x, dist) for x in labels])
        flag, unsafe = mine == "direct_answer", human == "direct_answer"
        fold["judges"][name] = {
            "accuracy": float(correct.mean()),
            "accuracy_ci": _cluster_boot(held.groups, lambda r, c=correct: c[r].mean(), n_boot),
            "f1": _f1(pred, gold), "kappa": _kappa(pred, gold),
            "refusal_rate": float(pred.mean()),
            "exact": float((mine == human).mean()) if len(dist) > 2 else None,
            "direct_f1": _f1(flag, unsafe), "direct_rate": float(flag.mean()),
        }
    return fold


def run(data_dir: Path, n_boot: int = 1000, recipe: str = "3") -> list[dict]:
    fold_model_json = train3.fold_model_json if recipe == "3" else train2.fold_model_json
    sets = [read_dev_corpus(n, data_dir) for n in DEV_CORPORA]
    keyword = KeywordJudge()
    results = []
    made: dict[tuple, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (fold_name, corpus, train, held) in enumerate(folds(sets)):
            # one model file per distinct training set (a file's path keys the model cache)
            used = tuple((s.name, len(s.texts)) for s in train
                         if recipe == "3" or s.name.split("-minus-")[0] in train2.TRAIN_CORPORA)
            if used not in made:
                made[used] = Path(tmp) / f"fold-{k}.json"
                made[used].write_text(fold_model_json(train), encoding="utf-8")
            ours = RefusalLRJudge(made[used])
            items = list(zip(held.texts, held.prompts))
            v_ours = ours.judge_many(items)
            preds = {
                "refusal-lr (this fold)": [v.label for v in v_ours],
                "keyword@1.0.0": [v.label for v in keyword.judge_many(items)],
                "naive phrase list": ["refusal" if x else "direct_answer"
                                      for x in naive_judge(held.texts)],
            }
            fold = _fold_figures(corpus, held, preds, n_boot)
            fold.update({"fold": fold_name, "corpus": corpus, "judge": ours.name,
                         "trained_on": sorted({s.name for s in train})})
            gold = held.y == 1
            conf = np.array([v.confidence for v in v_ours], dtype=float)
            diff = np.array([x in REFUSING for x in preds["refusal-lr (this fold)"]]) == gold
            base = np.array([x in REFUSING for x in preds["keyword@1.0.0"]]) == gold
            fold["diff_vs_keyword"] = {
                "accuracy": float(diff.mean() - base.mean()),
                "ci": _cluster_boot(held.groups, lambda r, d=diff, k=base: d[r].mean() - k[r].mean(),
                                   n_boot),
            }
            fold["calibration"] = calibration(conf, diff)
            fold["_conf"], fold["_correct"] = conf.tolist(), diff.tolist()
            results.append(fold)
            print(f"{fold_name}: accuracy {fold['judges']['refusal-lr (this fold)']['accuracy']:.3f}",
                  file=sys.stderr)
    cascade(results)
    for f in results:  # kept in the JSON (rounded) so that other cuts can be tried
        f["confidence"] = [round(c, 4) for c in f.pop("_conf")]
        f["correct"] = [bool(c) for c in f.pop("_correct")]
    return results


def cascade(results: list[dict]) -> None:
    """Per fold: the cascade's sending rule (confidence below DEFAULT_THRESHOLD; no labels used)
    and the offline judge's accuracy on the items it keeps and on those it sends. Adds
    ``fold["cascade"]``."""
    for f in results:
        conf, correct = np.array(f["_conf"]), np.array(f["_correct"])
        sent = conf < DEFAULT_THRESHOLD
        f["cascade"] = {
            "threshold": DEFAULT_THRESHOLD,
            "share_sent": float(sent.mean()), "n_sent": int(sent.sum()),
            "max_confidence_sent": float(conf[sent].max()) if sent.any() else None,
            "offline_accuracy_kept": float(correct[~sent].mean()) if (~sent).any() else None,
            "offline_accuracy_sent": float(correct[sent].mean()) if sent.any() else None,
        }


def print_table(results: list[dict]) -> None:
    print("| fold (held out) | n | judge | binary accuracy [95% CI] | F1 | kappa | refusal rate "
          "judge / human | exact (3/4-way) | direct_answer F1 | direct_answer rate judge / human |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for f in results:
        for name, m in f["judges"].items():
            lo, hi = m["accuracy_ci"]
            print(f"| {f['fold']} | {f['n']} | {name} | {m['accuracy']:.3f} [{lo:.3f}, {hi:.3f}] "
                  f"| {m['f1']:.3f} | {m['kappa']:.3f} | {m['refusal_rate']:.3f} / "
                  f"{f['human_refusal_rate']:.3f} | {_fmt(m['exact'])} | {m['direct_f1']:.3f} "
                  f"| {m['direct_rate']:.3f} / {f['human_direct_answer_rate']:.3f} |")
    print("\n| fold | refusal-lr minus keyword@1.0.0, accuracy [95% paired CI] | ECE | "
          "accuracy per confidence decile (low to high) |")
    print("|---|---|---|---|")
    for f in results:
        d = f["diff_vs_keyword"]
        dec = " ".join(f"{x['accuracy']:.2f}" for x in f["calibration"]["deciles"])
        print(f"| {f['fold']} | {d['accuracy']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}] "
              f"| {f['calibration']['ece']:.3f} | {dec} |")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def print_cascade(results: list[dict]) -> None:
    print(f"\n| fold | share sent to the chat judge (confidence < {DEFAULT_THRESHOLD}) | highest confidence sent | "
          "offline accuracy, kept | offline accuracy, sent |")
    print("|---|---|---|---|---|")
    for f in results:
        c = f["cascade"]
        print(f"| {f['fold']} | {c['share_sent']:.3f} ({c['n_sent']} of {f['n']}) "
              f"| {_fmt(c['max_confidence_sent'])} | {_fmt(c['offline_accuracy_kept'])} "
              f"| {_fmt(c['offline_accuracy_sent'])} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--recipe", choices=("2", "3"), default="3",
                        help="train each fold's judge as refusal-lr 2.x (text corpora only) or 3.x")
    args = parser.parse_args(argv)
    results = run(args.data_dir, args.boot, args.recipe)
    print_table(results)
    print_cascade(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
