"""ChatJudge throughput against a local server that answers after a fixed 20 ms.

For concurrency c the ideal rate is c / 20 ms; the figure is achieved / ideal (target >= 70 % at
64). Then the same items are judged again from the SQLite cache: speed-up of the fully cached
re-run over the uncached run at the default concurrency (8), target >= 100x. The server runs in a
separate process (``tests/chat_server.py``) so it does not compete for this process's GIL.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAME = "chat"
DELAY = 0.02
SERVER = Path(__file__).resolve().parents[1] / "tests" / "chat_server.py"


def _judge(url: str, concurrency: int, cache: Path | None):  # type: ignore[no-untyped-def]
    from vlmsafety.chat_client import RetryPolicy
    from vlmsafety.judges import ChatJudge

    return ChatJudge("dual", base_url=url, model="bench", cache=cache, concurrency=concurrency,
                     progress=False, retry=RetryPolicy(max_attempts=2, request_timeout=10))


def run(quick: bool) -> list[dict]:
    proc = subprocess.Popen([sys.executable, str(SERVER), "--delay", str(DELAY),
                             "--text", "Declines.\nVERDICT: REFUSAL"],
                            stdout=subprocess.PIPE, text=True)
    rows: list[dict] = []
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        rounds = 4 if quick else 12
        for c in (1, 8, 64):
            n = c * rounds if c > 1 else (10 if quick else 40)
            judge = _judge(url, c, None)
            judge.judge_many([f"warm {i}" for i in range(c)])
            items = [f"response {c}-{i}" for i in range(n)]
            t0 = time.perf_counter()
            out = judge.judge_many(items)
            dt = time.perf_counter() - t0
            assert [v.label for v in out] == ["refusal"] * n
            rate, ideal = n / dt, c / DELAY
            rows.append({"benchmark": NAME, "case": f"concurrency {c}, {n} items",
                         "metric": "achieved / ideal rate", "value": rate / ideal, "unit": "",
                         "target": ">= 0.7" if c == 64 else None,
                         "ok": rate / ideal >= 0.7 if c == 64 else None,
                         "note": f"{rate:,.0f} req/s of ideal {ideal:,.0f}"})
        with tempfile.TemporaryDirectory() as tmp:
            n = 200 if quick else 1000
            items = [f"cached {i}" for i in range(n)]
            judge = _judge(url, 8, Path(tmp) / "c.sqlite")
            t0 = time.perf_counter()
            first = judge.judge_many(items)
            t_first = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = judge.judge_many(items)
            t_again = time.perf_counter() - t0
            assert first == again
            judge.cache.close()  # type: ignore[union-attr]
        rows.append({"benchmark": NAME, "case": f"{n} items, concurrency 8",
                     "metric": "cached re-run speed-up", "value": t_first / t_again, "unit": "x",
                     "target": ">= 100", "ok": t_first / t_again >= 100,
                     "note": f"uncached {t_first:.2f}s, cached {t_again * 1000:.1f} ms"})
    finally:
        proc.terminate()
        proc.wait(10)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
