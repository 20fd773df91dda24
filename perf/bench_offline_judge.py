"""Learned offline judges' throughput against the naive phrase loop, same process (issues 13 and 23).

The baseline is the naive refusal-phrase loop of ``bench_keyword_judge.py`` (lower-case, test each
phrase with ``in``; refusal yes/no only). The default offline judge (and every other registered
``refusal-lr`` version, timed in the same blocks) scores
the whole batch in one vectorised pass (word n-gram lookups summed with numpy) and then applies
its 5-way rules per response, returning a ``Verdict`` with a calibrated confidence for each.
Responses are XSTest's 900 human-labelled completions cycled (realistic lengths), or synthetic
ones when the shared data is absent. Target: >= 0.5x the naive loop. The two are timed in
alternating blocks of 5,000 responses, so that load from other processes hits both alike.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

NAME = "offline_judge"


def run(quick: bool) -> list[dict]:
    from bench_keyword_judge import NAIVE_PHRASES, corpus, corpus_source, naive_judge

    from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, available_judges, load_judge

    n = 10_000 if quick else 100_000
    block = 5_000
    responses = corpus(n)
    names = [DEFAULT_OFFLINE_JUDGE] + [j for j in available_judges()
                                       if j.startswith("refusal-lr@") and j != DEFAULT_OFFLINE_JUDGE]
    judges = [load_judge(name) for name in names]
    for judge in judges:
        judge.judge("warm up")  # load the model outside the timing
    # Interleave in blocks, so that load from other processes on a shared machine hits all alike
    # (one long run of each measured minutes apart swung the ratio from 0.2 to 0.55).
    t_naive = 0.0
    t_judge = [0.0] * len(judges)
    counts = [0] * len(judges)
    for start in range(0, n, block):
        part = responses[start:start + block]
        t0 = time.perf_counter()
        naive_judge(part)
        t_naive += time.perf_counter() - t0
        for k, judge in enumerate(judges):
            t1 = time.perf_counter()
            counts[k] += len(judge.judge_many(part))
            t_judge[k] += time.perf_counter() - t1
    assert counts == [n] * len(judges)
    naive_rate = n / t_naive
    rows = []
    for k, (name, judge) in enumerate(zip(names, judges)):
        rate = n / t_judge[k]
        default = name == DEFAULT_OFFLINE_JUDGE
        rows += [
            {"benchmark": NAME, "case": f"{n // 1000}k responses", "metric": f"{judge.name} judge",
             "value": rate, "unit": "resp/s", "target": None, "ok": None,
             "note": ("default; " if default else "") + "5 labels + confidence"},
            {"benchmark": NAME, "case": f"{n // 1000}k responses",
             "metric": f"{judge.name} vs naive `in` loop", "value": rate / naive_rate, "unit": "x",
             "target": ">= 0.5" if default else None,
             "ok": rate / naive_rate >= 0.5 if default else None,
             "note": f"naive {naive_rate:,.0f} resp/s ({len(NAIVE_PHRASES)} phrases, refusal only); "
                     f"{corpus_source()}"},
        ]
    return rows


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
