"""Learned offline judge throughput against the naive phrase loop, same process (issue 13, item 8).

The baseline is the naive refusal-phrase loop of ``bench_keyword_judge.py`` (lower-case, test each
phrase with ``in``; refusal yes/no only). The learned judge (``RefusalLRJudge.judge_many``) scores
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
    from bench_keyword_judge import NAIVE_PHRASES, corpus, naive_judge

    from vlmsafety.judges import RefusalLRJudge

    n = 10_000 if quick else 100_000
    block = 5_000
    responses = corpus(n)
    judge = RefusalLRJudge()
    judge.judge("warm up")  # load the model outside the timing
    # Interleave the two in blocks, so that load from other processes on a shared machine hits
    # both alike (one long run of each measured minutes apart swung the ratio from 0.2 to 0.55).
    t_naive = t_judge = 0.0
    verdicts = []
    for start in range(0, n, block):
        part = responses[start:start + block]
        t0 = time.perf_counter()
        naive_judge(part)
        t1 = time.perf_counter()
        verdicts += judge.judge_many(part)
        t2 = time.perf_counter()
        t_naive += t1 - t0
        t_judge += t2 - t1
    assert len(verdicts) == n
    rate, naive_rate = n / t_judge, n / t_naive
    return [
        {"benchmark": NAME, "case": f"{n // 1000}k responses", "metric": "refusal-lr judge",
         "value": rate, "unit": "resp/s", "target": None, "ok": None,
         "note": f"{judge.name}; 5 labels + confidence"},
        {"benchmark": NAME, "case": f"{n // 1000}k responses",
         "metric": "speed vs naive `in` loop", "value": rate / naive_rate, "unit": "x",
         "target": ">= 0.5", "ok": rate / naive_rate >= 0.5,
         "note": f"naive {naive_rate:,.0f} resp/s ({len(NAIVE_PHRASES)} phrases, refusal only)"},
    ]


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
