"""MSTS: the human unsafe rate per model, each judge alone, and each judge corrected by a few labels.

    python docs/reproductions/reproduce_msts.py            # regenerates docs/reproductions/msts.md
    python docs/reproductions/reproduce_msts.py --quick    # test-sized (a few draws, no bootstrap)
    python docs/reproductions/reproduce_msts.py --draws 200 --n-boot 1000 --seed 0

Reads ``../shared/data/msts`` (``--data``): the release's response annotations (each response's
adjudicated taxonomy code, mapped by :mod:`vlmsafety.suites.msts.labels`: the human unsafe rate is
the share of 2.x codes, the ``direct_answer`` rate) and its autoeval file (the safe/unsafe verdicts
of the 8 published judges, row-aligned), through :func:`vlmsafety.suites.msts.corpus.msts_corpus`.
vlmsafety's default offline judge (``--judge``) judges every response too (told the prompt and the
image's description, as ``vlmsafety evaluate`` tells it).

For each judge and model: the judge's unsafe rate alone (Wilson interval), and the rate corrected
(:func:`vlmsafety.scoring.corrected.corrected_rate`, PPI++, items estimand) from a simple random
sample of n = 25, 50, 100, 200 human labels per model, redrawn ``--draws`` times (seeded; every
judge sees the same samples): how often the corrected 95% interval covers the model's full human
rate (all 400 labels), and its median width. Agreement with the humans over all responses
(unsafe F1, flag rate, Cohen's kappa) is bootstrapped over cases. Every figure on the page comes
from this script.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, load_judge
from vlmsafety.judges.base import JudgeItem
from vlmsafety.judges.eval_notes import training_overlap
from vlmsafety.scoring.agreement import agreement
from vlmsafety.scoring.corrected import corrected_rate
from vlmsafety.scoring.stats import wilson_interval
from vlmsafety.suites.msts.corpus import msts_corpus
from vlmsafety.suites.msts.release import ANNOTATIONS_FILE, AUTOEVAL_FILE

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "msts"
DEFAULT_PAGE = REPO / "docs" / "reproductions" / "msts.md"
DEFAULT_PLOT = REPO / "docs" / "images" / "msts-reproduction.png"
SAMPLE_SIZES = (25, 50, 100, 200)
PLOT_JUDGES = ("gpt-4o-2024-05-13", "Llama-Guard-3-11B-Vision")
PLOT_N = 50
UNSAFE = "direct_answer"
HUMANS_ALONE = "humans alone (the sample only)"
"""The row of the human-only estimate from the same sample (no judge), for comparison."""


@dataclass
class Cell:
    """One judge on one model at one sample size, over the draws."""

    covered: list[bool] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    lows: list[float] = field(default_factory=list)
    highs: list[float] = field(default_factory=list)
    no_unsafe: int = 0
    methods: Counter[str] = field(default_factory=Counter)

    def coverage(self) -> float:
        return float(np.mean(self.covered)) if self.covered else math.nan

    def median(self, values: Sequence[float]) -> float:
        return float(np.median(values)) if len(values) else math.nan

    def zero_width(self) -> int:
        return sum(w <= 1e-12 for w in self.widths)


@dataclass
class Inputs:
    """The responses, per model, with the humans' and every judge's unsafe verdicts."""

    models: list[str]
    rows: dict[str, list[int]]
    human: np.ndarray
    judges: dict[str, np.ndarray]
    groups: list[str]
    judge_name: str
    in_sample: str | None = None


def load(data: Path, judge_spec: str) -> Inputs:
    """The corpus of the shared files and every judge's verdict per response."""
    corpus = msts_corpus(data / ANNOTATIONS_FILE, autoeval=data / AUTOEVAL_FILE, name="msts-en")
    judge = load_judge(judge_spec)
    verdicts = judge.judge_many([JudgeItem(r.response, r.prompt) for r in corpus.rows])
    judges = {name: np.asarray(flags, bool) for name, flags in corpus.unsafe_flags.items()}
    name = verdicts[0].judge if verdicts else judge.name
    judges[name] = np.array([v.label == UNSAFE for v in verdicts], bool)
    rows: dict[str, list[int]] = {}
    for i, r in enumerate(corpus.rows):
        rows.setdefault(r.source, []).append(i)
    overlap = training_overlap(judge, "msts-en", [r.response for r in corpus.rows])
    return Inputs(list(rows), rows, np.array([r.human_label == UNSAFE for r in corpus.rows]),
                  judges, [r.group for r in corpus.rows], name, overlap)


def _in_sample_text(warning: str) -> str:
    """judge-eval's in-sample warning as a sentence of the page (the figures are below it)."""
    text = warning.removeprefix("WARNING: IN-SAMPLE: ")
    return text.replace("; the figures above overstate it. held-out", ", so they overstate it; its held-out") + "."


def _labels(flags: np.ndarray) -> list[str]:
    return [UNSAFE if f else "refusal" for f in flags]


def corrections(inp: Inputs, *, draws: int, seed: int
                ) -> dict[tuple[str, str, int], Cell]:
    """Every (judge, model, n) cell over ``draws`` seeded samples (the same for every judge)."""
    from tqdm.auto import tqdm

    cells: dict[tuple[str, str, int], Cell] = {}
    total = len(inp.models) * len(SAMPLE_SIZES) * draws
    with tqdm(total=total, desc="corrected", unit="sample", leave=False) as bar:
        for m_index, model in enumerate(inp.models):
            idx = np.asarray(inp.rows[model])
            truth = float(inp.human[idx].mean())
            human = _labels(inp.human[idx])
            judged = {j: _labels(flags[idx]) for j, flags in inp.judges.items()}
            for n in SAMPLE_SIZES:
                for draw in range(draws):
                    rng = np.random.default_rng([seed, m_index, n, draw])
                    keep = set(rng.choice(idx.size, size=min(n, idx.size), replace=False).tolist())
                    sample = [h if i in keep else None for i, h in enumerate(human)]
                    prob = [len(keep) / idx.size] * idx.size
                    none_unsafe = UNSAFE not in sample
                    for j, labels in judged.items():
                        c = corrected_rate(labels, sample, (UNSAFE,), sampling_prob=prob)
                        cell = cells.setdefault((j, model, n), Cell())
                        _add(cell, truth, c.rate, c.ci_low, c.ci_high, none_unsafe)
                        cell.methods[c.method] += 1
                    _add(cells.setdefault((HUMANS_ALONE, model, n), Cell()), truth, c.human_rate,
                         c.human_ci_low, c.human_ci_high, none_unsafe)
                    bar.update(1)
    return cells


def _add(cell: Cell, truth: float, rate: float, low: float, high: float,
         none_unsafe: bool) -> None:
    cell.covered.append(low <= truth <= high)
    cell.widths.append(high - low)
    cell.rates.append(rate)
    cell.lows.append(low)
    cell.highs.append(high)
    cell.no_unsafe += none_unsafe


def agreements(inp: Inputs, *, n_boot: int, seed: int) -> dict[str, Any]:
    """Each judge against the humans over all responses (unsafe positive; clustered by case)."""
    ref = _labels(inp.human)
    return {j: agreement(_labels(flags), ref, inp.groups, positive=UNSAFE,
                         labels=("refusal", UNSAFE), n_boot=n_boot, seed=seed)
            for j, flags in inp.judges.items()}


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _rate_cell(count: int, n: int) -> str:
    low, high = wilson_interval(count, n, 0.95)
    return f"{_pct(count / n)} [{_pct(low)}, {_pct(high)}]"


def short(name: str) -> str:
    """A model's name without its organisation (``org--model`` -> ``model``)."""
    return name.split("--", 1)[-1]


def _fig(f: Any) -> str:
    if f.value is None:
        return "n/a"
    ci = f" [{f.ci_low:.2f}, {f.ci_high:.2f}]" if f.ci_low is not None else ""
    return f"{f.value:.2f}{ci}"


def _judge_table(inp: Inputs) -> list[str]:
    models = sorted(inp.models, key=lambda m: inp.human[inp.rows[m]].mean())
    lines = ["| | " + " | ".join(short(m) for m in models) + " |",
             "| --- |" + " ---: |" * len(models)]

    def row(name: str, flags: np.ndarray) -> str:
        return f"| {name} | " + " | ".join(
            _rate_cell(int(flags[inp.rows[m]].sum()), len(inp.rows[m])) for m in models) + " |"

    lines.append(row("**humans (the target)**", inp.human))
    lines += [row(f"`{j}`" if j == inp.judge_name else j, flags)
              for j, flags in inp.judges.items()]
    return lines


def _agreement_table(inp: Inputs, agree: Mapping[str, Any]) -> list[str]:
    lines = [("| judge | flagged | flag rate % | unsafe F1 [95% CI] | precision | recall | "
             "Cohen's kappa [95% CI] |"), "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for j, a in agree.items():
        flagged = int(inp.judges[j].sum())
        lines.append(f"| {j} | {flagged} | {_pct(a.pred_positive_rate.value)} | {_fig(a.f1)} | "
                     f"{_fig(a.precision).split(' ')[0]} | {_fig(a.recall).split(' ')[0]} | "
                     f"{_fig(a.binary_kappa)} |")
    return lines


def _summary_tables(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell]) -> list[str]:
    head = "| judge | " + " | ".join(f"n = {n}" for n in SAMPLE_SIZES) + " |"
    rule = "| --- |" + " ---: |" * len(SAMPLE_SIZES)
    cov, width = [head, rule], [head, rule]
    for j in (*inp.judges, HUMANS_ALONE):
        c_cells, w_cells = [], []
        for n in SAMPLE_SIZES:
            per_model = [cells[(j, m, n)] for m in inp.models]
            pooled = [x for c in per_model for x in c.covered]
            worst = min(per_model, key=lambda c: c.coverage())
            c_cells.append(f"{_pct(float(np.mean(pooled)))} ({_pct(worst.coverage())})")
            w_cells.append(_pct(float(np.median([w for c in per_model for w in c.widths]))))
        cov.append(f"| {j} | " + " | ".join(c_cells) + " |")
        width.append(f"| {j} | " + " | ".join(w_cells) + " |")
    return [*cov, "", ("Median width of the corrected 95% interval (percentage points), over "
            "every model and draw:"), "", *width]


def _detail_table(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell], n: int) -> list[str]:
    models = sorted(inp.models, key=lambda m: inp.human[inp.rows[m]].mean())
    lines = ["| judge | " + " | ".join(short(m) for m in models) + " |",
             "| --- |" + " ---: |" * len(models)]
    for j in (*inp.judges, HUMANS_ALONE):
        shown = []
        for m in models:
            c = cells[(j, m, n)]
            mark = " ✗" if c.coverage() < 0.9 else ""
            shown.append(f"{_pct(c.coverage())} / {_pct(c.median(c.widths))}{mark}")
        lines.append(f"| {j} | " + " | ".join(shown) + " |")
    return lines


def failures(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell], draws: int) -> list[str]:
    """Where the corrected interval misses the human rate too often, in numbers."""
    lines = []
    for m in sorted(inp.models, key=lambda m: inp.human[inp.rows[m]].mean()):
        idx = inp.rows[m]
        count = int(inp.human[idx].sum())
        mine = {(j, n): c for (j, mm, n), c in cells.items() if mm == m and j != HUMANS_ALONE}
        bad = [(j, n, c) for (j, n), c in mine.items() if c.coverage() < 0.9]
        zero = sum(c.zero_width() for c in mine.values())
        empty = {n: cells[(HUMANS_ALONE, m, n)].no_unsafe for n in SAMPLE_SIZES}
        if not bad and not zero:
            continue
        n_cells = len(inp.judges) * len(SAMPLE_SIZES)
        text = (f"- **{short(m)}** (human rate {_pct(count / len(idx))}%, {count} of {len(idx)}): "
                f"coverage below 90% in {len(bad)} of {n_cells} (judge, n) cells")
        if bad:
            worst = min(bad, key=lambda t: t[2].coverage())
            text += (f", worst {worst[0]} at n = {worst[1]} ({_pct(worst[2].coverage())}% of "
                     f"{draws} draws)")
        if zero:
            text += (f"; {zero} of {n_cells * draws} corrected intervals have zero width (an "
                     "estimated variance of 0)")
        text += ("; samples holding no unsafe response: " + ", ".join(
            f"{empty[n]} of {draws} at n = {n}" for n in SAMPLE_SIZES))
        lines.append(text + ".")
    return lines or [("- none: every (judge, model, n) cell covers the human rate in at least "
                     "90% of the draws.")]


def _methods(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell]) -> list[str]:
    """Which interval the correction used (PPI++ or a fallback at the edges), and what the
    judges added over the humans alone, in numbers."""
    from vlmsafety.scoring.edges import METHODS, MIN_DISAGREEMENTS, MIN_POSITIVES

    lines = [("How the corrected intervals were made (`vlmsafety.scoring.edges`; share of all "
             "judges' corrected intervals, %):"), "",
             "| method | " + " | ".join(f"n = {n}" for n in SAMPLE_SIZES) + " |",
             "| --- |" + " ---: |" * len(SAMPLE_SIZES)]
    per_n = {n: sum((c.methods for (j, _, nn), c in cells.items()
                     if nn == n and j != HUMANS_ALONE), Counter()) for n in SAMPLE_SIZES}
    for method, text in METHODS.items():
        if any(per_n[n][method] for n in SAMPLE_SIZES):
            lines.append(f"| {method}: {text} | " + " | ".join(
                _pct(per_n[n][method] / max(sum(per_n[n].values()), 1)) for n in SAMPLE_SIZES)
                + " |")
    widths = {j: float(np.median([w for (jj, _, n), c in cells.items()
                                  if jj == j and n == SAMPLE_SIZES[-1] for w in c.widths]))
              for j in (*inp.judges, HUMANS_ALONE)}
    best = min(inp.judges, key=lambda j: widths[j])
    low, high = wilson_interval(0, PLOT_N, 0.95)
    lines += ["", ("The corrected interval is PPI++'s normal (t) interval only where its theory "
                   "holds; at rare rates a sample of n labels from a model with a few unsafe "
                   "responses often holds none or a handful, and there the interval is the human "
                   f"sample's own Wilson score interval (`human-wilson`: fewer than {MIN_POSITIVES} "
                   "unsafe or safe labels), or the judge's rate with a MOVER-Wilson interval of its "
                   f"error (`ppi-mover`: fewer than {MIN_DISAGREEMENTS} disagreements), never a "
                   f"point: 0 unsafe among {PLOT_N} labels gives [{_pct(low)}, {_pct(high)}]%. "
                   f"At n = {SAMPLE_SIZES[-1]} the narrowest median corrected interval is "
                   f"{best}'s, {_pct(widths[best])} pp, against {_pct(widths[HUMANS_ALONE])} pp "
                   "from the humans alone: at these rates no judge here is accurate enough to "
                   "save many labels, and at small n the corrected rows are the humans-alone row. "
                   "The method and its coverage across rates, sample sizes and judges: "
                   "[human-labels.md](../human-labels.md#intervals-at-the-edges).")]
    return lines


def render(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell], agree: Mapping[str, Any], *,
           draws: int, n_boot: int, seed: int, plot_rel: str | None, command: str) -> str:
    n_rows = int(inp.human.size)
    lines = [
        "# MSTS: human unsafe rates, the published judges, and the human-label correction", "",
        (f"Generated by `{command}` (do not edit by hand). Seed {seed}; {draws} random samples per "
        f"(model, n); agreement intervals from {n_boot} bootstrap replicates over cases; every "
        "interval is 95%."), "",
        ("MSTS (Röttger et al., [arXiv 2501.10057](https://arxiv.org/abs/2501.10057), CC BY 4.0) "
        f"released {n_rows} responses of {len(inp.models)} vision-language models to its 400 "
        "English image+text prompts, each labelled by two annotators and adjudicated by an "
        f"expert, and, row for row, the safe/unsafe verdicts of {len(inp.judges) - 1} automated "
        "judges. The human unsafe rate (the taxonomy's 2.x codes, `direct_answer` after the "
        "mapping in `vlmsafety.suites.msts.labels`) is the target. Beside it: each published "
        "judge and vlmsafety's [default offline judge](../judges.md#the-default-judge), run "
        f"here as `{inp.judge_name}` (text only: told the prompt and the image's description), "
        "alone, and each judge corrected with n human labels per model "
        "(`vlmsafety.scoring.corrected.corrected_rate`, PPI++ with its fallbacks at the edges, "
        "the estimand being the model's rate over its 400 responses). The same samples are used "
        "for every "
        f"judge; the row \"{HUMANS_ALONE}\" is the estimate from the sample's human labels "
        "without any judge."), "",
        *([("**The offline judge's figures on this page are in-sample**, read from its training "
            f"manifest: {_in_sample_text(inp.in_sample)} Its out-of-sample "
            "figures on these models are the leave-one-model-out rows of "
            "[the fold table](../judges.md#the-fold-table-leave-one-corpus-out-and-one-msts-en-model-out)."),
           ""] if inp.in_sample else []),
        "## Unsafe response rate per model (%): the humans and each judge alone", "",
        "Wilson 95% intervals; models ordered by their human rate.", "", *_judge_table(inp), "",
        f"## Agreement with the humans ({n_rows} responses, unsafe = positive)", "",
        *_agreement_table(inp, agree), "",
        "## Corrected with n human labels per model", "",
        ("How often the corrected 95% interval covers the model's full human rate, pooled over "
        "models and draws (%), and in brackets the model where it covers least (nominal: 95):"),
        "", *_summary_tables(inp, cells), "",
    ]
    for n in SAMPLE_SIZES:
        lines += [f"### n = {n}: coverage % / median width (pp) per model", "",
                  *_detail_table(inp, cells, n), ""]
    lines += ["✗: coverage below 90%.", "", "## Where the correction fails", "",
              *failures(inp, cells, draws), "", *_methods(inp, cells), ""]
    if plot_rel:
        lines += ["## Plot", "",
                  (f"![Unsafe rate per model: humans, judges alone and corrected with n = {PLOT_N}"
                  f"]({plot_rel})"), "",
                  (f"Per model: the human rate (black, Wilson interval); each judge alone "
                  f"(hollow) and corrected with n = {PLOT_N} labels (filled: the median "
                  "estimate and median interval over the draws)."), ""]
    return "\n".join(lines)


def plot(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell], path: Path) -> None:
    """Judge-only vs corrected vs human per model, for two published judges and ours."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = sorted(inp.models, key=lambda m: inp.human[inp.rows[m]].mean())
    judges = [j for j in (*PLOT_JUDGES, inp.judge_name) if j in inp.judges]
    x = np.arange(len(models))
    fig, ax = plt.subplots(figsize=(10, 4.8))
    rates = [inp.human[inp.rows[m]].mean() for m in models]
    lo_hi = [wilson_interval(int(inp.human[inp.rows[m]].sum()), len(inp.rows[m]), 0.95)
             for m in models]
    ax.errorbar(x, rates, yerr=[[r - lh[0] for r, lh in zip(rates, lo_hi)],
                                [lh[1] - r for r, lh in zip(rates, lo_hi)]],
                fmt="s", color="black", capsize=3, label="humans (target)")
    for k, (j, colour) in enumerate(zip(judges, ("tab:red", "tab:blue", "tab:green"))):
        off = 0.12 * (k + 1)
        alone = [inp.judges[j][inp.rows[m]].mean() for m in models]
        ax.plot(x - off, alone, "o", mfc="none", color=colour, label=f"{j} alone")
        cs = [cells[(j, m, PLOT_N)] for m in models]
        med = [c.median(c.rates) for c in cs]
        ax.errorbar(x + off, med, yerr=[[mm - c.median(c.lows) for mm, c in zip(med, cs)],
                                        [c.median(c.highs) - mm for mm, c in zip(med, cs)]],
                    fmt="o", color=colour, capsize=2, label=f"{j} corrected, n = {PLOT_N}")
    ax.set_xticks(x, [short(m) for m in models], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("unsafe response rate")
    ax.set_title("MSTS: unsafe rate per model, humans vs judges alone vs corrected")
    ax.legend(fontsize=7, ncol=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def to_json(inp: Inputs, cells: Mapping[tuple[str, str, int], Cell],
            agree: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of the page, JSON-ready."""
    return {
        "models": {m: {"n": len(inp.rows[m]), "human_unsafe": int(inp.human[inp.rows[m]].sum()),
                       "judges": {j: int(f[inp.rows[m]].sum()) for j, f in inp.judges.items()}}
                   for m in inp.models},
        "agreement": {j: a.to_dict() for j, a in agree.items()},
        "corrected": [{"judge": j, "model": m, "n": n, "coverage": c.coverage(),
                       "median_width": c.median(c.widths), "zero_width": c.zero_width()}
                      for (j, m, n), c in cells.items()],
        "default_judge": inp.judge_name,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the MSTS release folder")
    ap.add_argument("--judge", default=DEFAULT_OFFLINE_JUDGE, help="vlmsafety judge to run")
    ap.add_argument("--draws", type=int, default=200, help="random samples per (model, n)")
    ap.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (agreement)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="test-sized: 3 draws, no bootstrap")
    ap.add_argument("--page", type=Path, default=DEFAULT_PAGE)
    ap.add_argument("--plot", default=str(DEFAULT_PLOT), help="PNG ('' for none)")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure as JSON")
    args = ap.parse_args(argv)
    draws, n_boot = (3, 0) if args.quick else (args.draws, args.n_boot)
    inp = load(args.data, args.judge)
    cells = corrections(inp, draws=draws, seed=args.seed)
    agree = agreements(inp, n_boot=n_boot, seed=args.seed)
    plot_path = Path(args.plot) if args.plot else None
    if plot_path is not None:
        plot(inp, cells, plot_path)
    plot_rel = None if plot_path is None else _relative(plot_path, args.page.parent)
    command = "python docs/reproductions/reproduce_msts.py" + (" --quick" if args.quick else "")
    args.page.parent.mkdir(parents=True, exist_ok=True)
    args.page.write_text(render(inp, cells, agree, draws=draws, n_boot=n_boot, seed=args.seed,
                                plot_rel=plot_rel, command=command), encoding="utf-8")
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(inp, cells, agree), indent=1), encoding="utf-8")
    for m in inp.models:
        idx = inp.rows[m]
        print(f"{m}: human {int(inp.human[idx].sum())}/{len(idx)}; " + ", ".join(
            f"n={n} {j[:12]} cov {_pct(cells[(j, m, n)].coverage())}%"
            for j in PLOT_JUDGES for n in (50, 200) if j in inp.judges))
    print(f"wrote {args.page}" + (f" and {plot_path}" if plot_path else ""))
    return 0


def _relative(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path.resolve(), start.resolve()).replace(os.sep, "/")


if __name__ == "__main__":
    sys.exit(main())
