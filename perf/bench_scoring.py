"""Scoring core vs a straightforward pandas groupby/apply implementation of the same numbers.

Workload (DUAL-Bench shaped): judged rows of source items, each with one clean row and
9 perturbations x 5 severities (46 rows per source), 12 categories, two instruction types, labels
drawn from the vocabulary with ~2% unscored. Computed: RR, PRR, SCR, DAR, irrelevant rate overall,
per instruction type, per category, per perturbation and per perturbation x severity, the clean
rates, ΔIR (RR, DAR, SCR) per perturbation and per perturbation x severity paired by source, and a
1,000-replicate bootstrap clustered by source item of the overall / per-type rates and of every ΔIR.

Baseline: pandas - a DataFrame from the same lists, ``value_counts(normalize=True)`` per
``groupby``, ΔIR with ``groupby(...).apply`` pairing each perturbation's sources with their clean
rows, and the bootstrap on a per-source count table (``crosstab``) reweighted per replicate
(``DataFrame.mul(...).sum()``). Both start from Python lists (what ``evaluate`` hands a metric).
The point estimates of both are checked to be exactly equal before any figure is reported.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

NAME = "scoring"
ROWS_PER_SOURCE = 46
PERTURBATIONS = ("blur", "jpeg", "noise", "rotate", "contrast", "bright", "pixelate", "crop", "salt")
LABELS = ("refusal", "partial_refusal", "safe_completion", "direct_answer", "irrelevant", "unscored")
LABEL_P = (0.30, 0.05, 0.10, 0.45, 0.08, 0.02)
METRICS = ("refusal_rate", "direct_answer_rate", "safe_completion_rate")
METRIC_LABEL = {"refusal_rate": "refusal", "direct_answer_rate": "direct_answer",
                "safe_completion_rate": "safe_completion"}
N_BOOT = 1000


def make_rows(n: int, seed: int = 0) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    n_src = max(1, n // ROWS_PER_SOURCE)
    n = n_src * ROWS_PER_SOURCE
    src = np.repeat(np.arange(n_src), ROWS_PER_SOURCE)
    k = np.tile(np.arange(ROWS_PER_SOURCE), n_src)  # 0 = clean, then 9 x 5
    pert = np.array(("none",) + tuple(p for p in PERTURBATIONS for _ in range(5)), dtype=object)[k]
    sev = np.where(k == 0, 0, (k - 1) % 5 + 1)
    cats = np.array([f"cat{i:02d}" for i in range(12)], dtype=object)[rng.integers(0, 12, n_src)][src]
    types = np.array(["harmful", "benign"], dtype=object)[rng.integers(0, 2, n_src)][src]
    labels = np.array(LABELS, dtype=object)[rng.choice(6, size=n, p=LABEL_P)]
    return {
        "predictions": labels.tolist(), "references": types.tolist(), "categories": cats.tolist(),
        "perturbations": pert.tolist(), "severities": sev.tolist(),
        "source_ids": [f"s{i:07d}" for i in src],
    }


def ours(d: dict[str, list[Any]], n_boot: int = N_BOOT) -> dict[str, float]:
    from vlmsafety.suites.dual import score_dual

    r = score_dual(d["predictions"], d["references"], categories=d["categories"],
                   perturbations=d["perturbations"], severities=d["severities"],
                   source_ids=d["source_ids"], n_boot=n_boot, seed=0)
    return r.flatten()


def pandas_baseline(d: dict[str, list[Any]], n_boot: int = N_BOOT) -> dict[str, float]:
    import pandas as pd

    df = pd.DataFrame({"label": d["predictions"], "type": d["references"], "cat": d["categories"],
                       "pert": d["perturbations"], "sev": d["severities"], "src": d["source_ids"]})
    sc = df[df.label != "unscored"]
    out: dict[str, float] = {}
    rate_of = {"refusal_rate": "refusal", "partial_refusal_rate": "partial_refusal",
               "safe_completion_rate": "safe_completion", "direct_answer_rate": "direct_answer",
               "irrelevant_rate": "irrelevant"}

    def put(prefix: str, shares: pd.Series) -> None:
        for key, lab in rate_of.items():
            out[f"{prefix}{key}"] = float(shares.get(lab, 0.0))

    put("", sc.label.value_counts(normalize=True))
    for t, g in sc.groupby("type"):
        put(f"{t}_", g.label.value_counts(normalize=True))
    for c, g in sc.groupby("cat"):
        put(f"category_{c}_", g.label.value_counts(normalize=True))
    clean = sc[sc.pert == "none"]
    put("clean_", clean.label.value_counts(normalize=True))
    pert = sc[sc.pert != "none"]
    for p, g in pert.groupby("pert"):
        put(f"perturbation_{p}_", g.label.value_counts(normalize=True))
    for (p, s), g in pert.groupby(["pert", "sev"]):
        put(f"perturbation_{p}_severity_{s}_", g.label.value_counts(normalize=True))

    paired = pert[pert.src.isin(set(clean.src))]

    def delta(g: pd.DataFrame) -> pd.Series:
        base = clean[clean.src.isin(set(g.src))].label.value_counts(normalize=True)
        mine = g.label.value_counts(normalize=True)
        return pd.Series({m: float(mine.get(METRIC_LABEL[m], 0.0)) - float(base.get(METRIC_LABEL[m], 0.0))
                          for m in METRICS})

    for p, row in paired.groupby("pert").apply(delta).iterrows():
        for m in METRICS:
            out[f"delta_ir_{p}_{m}"] = row[m]
    for (p, s), row in paired.groupby(["pert", "sev"]).apply(delta).iterrows():
        for m in METRICS:
            out[f"delta_ir_{p}_severity_{s}_{m}"] = row[m]

    # Clustered bootstrap on a per-source count table, reweighted per replicate.
    parts = [pd.crosstab(sc.src, [sc.type, sc.label])]
    parts.append(pd.crosstab(paired.src, [paired.pert, paired.sev, paired.label]))
    clean_ct = pd.crosstab(clean.src, clean.label)
    for keys in (["pert"], ["pert", "sev"]):
        pairs = paired[["src", *keys]].drop_duplicates().join(clean_ct, on="src")
        parts.append(pairs.pivot_table(index="src", columns=keys, values=list(clean_ct.columns),
                                       aggfunc="sum", fill_value=0))
    sources = pd.Index(sorted(df.src.unique()))
    named = []
    for prefix, part in zip(("type", "pert", "clean_p", "clean_ps"), parts):
        part = part.reindex(sources, fill_value=0)
        part.columns = [prefix + "|" + "|".join(map(str, c if isinstance(c, tuple) else (c,)))
                        for c in part.columns]
        named.append(part)
    tab = pd.concat(named, axis=1).fillna(0)
    rng = np.random.default_rng(0)
    reps = []
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, len(sources), len(sources)), minlength=len(sources))
        reps.append(tab.mul(w, axis=0).sum())
    boot = pd.concat(reps, axis=1).T
    # Percentile interval of the overall refusal rate (the other intervals follow the same path).
    cols = boot.columns.str
    num = boot.loc[:, cols.startswith("type|") & cols.endswith("|refusal")].sum(axis=1)
    den = boot.loc[:, cols.startswith("type|") & ~cols.endswith("|unscored")].sum(axis=1)
    out["refusal_rate_boot_low"], out["refusal_rate_boot_high"] = np.nanquantile(num / den, [0.025, 0.975])
    return out


def check_equal(a: dict[str, Any], b: dict[str, Any]) -> int:
    """Every point estimate of the baseline equals ours exactly; returns how many were compared."""
    n = 0
    for k, v in b.items():
        if k.endswith(("_boot_low", "_boot_high")):
            continue
        if k not in a or not (a[k] == v or (np.isnan(a[k]) and np.isnan(v))):
            raise AssertionError(f"{k}: scoring core {a.get(k)!r} != pandas {v!r}")
        n += 1
    return n


REPEATS = 2  # best of 2: the first pass of either side pays page faults of fresh allocations


def best_of(k: int, fn: Any, data: dict[str, list[Any]], n_boot: int = N_BOOT) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(k):
        t0 = time.perf_counter()
        value = fn(data, n_boot)
        best = min(best, time.perf_counter() - t0)
    return best, value


def run(quick: bool, smoke: bool = False) -> list[dict[str, Any]]:
    sizes = (1_000, 10_000) if smoke else (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    # smoke: the same code paths at the least CPU (its figures mean nothing)
    n_boot, repeats = (100, 1) if smoke else (N_BOOT, REPEATS)
    rows: list[dict[str, Any]] = []
    per_row: dict[int, float] = {}
    for n in sizes:
        data = make_rows(n)
        m = len(data["predictions"])
        t_ours, a = best_of(repeats, ours, data, n_boot)
        t_pd, b = best_of(repeats, pandas_baseline, data, n_boot)
        compared = check_equal(a, b)
        per_row[n] = t_ours / m * 1e9
        case = f"{m:,} rows"
        note = (f"ours {t_ours:.2f} s, pandas {t_pd:.2f} s (best of {repeats}); {compared} point "
                f"estimates identical; {n_boot} clustered bootstrap replicates")
        rows.append({"benchmark": NAME, "case": case, "metric": "speed-up vs pandas groupby/apply",
                     "value": t_pd / t_ours, "unit": "x", "target": ">= 10",
                     "ok": t_pd / t_ours >= 10, "note": note})
        rows.append({"benchmark": NAME, "case": case, "metric": "time per row (scoring core)",
                     "value": per_row[n], "unit": "ns", "target": None, "ok": None,
                     "note": f"pandas {t_pd / m * 1e9:.0f} ns/row"})
    first, last = sizes[0], sizes[-1]
    scaling = per_row[last] / per_row[first]
    rows.append({"benchmark": NAME, "case": f"{last:,} vs {first:,} rows",
                 "metric": "time-per-row ratio (1 = linear)", "value": scaling, "unit": "x",
                 "target": "<= 1.5", "ok": scaling <= 1.5,
                 "note": "fixed per-call costs make small inputs dearer per row"})
    return rows


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
