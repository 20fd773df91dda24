"""ChatJudge and ``vlmsafety generate`` throughput against a local server that answers after 20 ms.

For concurrency c the ideal rate is c / 20 ms; the figure is achieved / ideal (target >= 70 % at
64). Then the same work is done again from the SQLite cache: speed-up of the fully cached re-run
over the uncached run, target >= 100x. The server runs in a separate process
(``tests/chat_server.py``) so it does not compete for this process's GIL.

Judge: ``ChatJudge("dual").judge_many`` on distinct text responses. Generate:
``vlmsafety.generate.generate`` on in-memory rows, each with its own 64x64 PNG image (sent as a
data URL, as for a real dataset) and written to a predictions JSONL.

Reference (no target): the same requests at concurrency 64 from a bare ``aiohttp`` client (one
session, JSON in and out, no retries, cache or progress bar): what this server and machine allow
the transport alone, so the gap to it is vlmsafety's own overhead.

Paired (issue 18 item 4, target >= 0.9): generate / judge rate at concurrency 64, the two run
alternately several times (a judge run, then a generate run making its own client as the CLI
does, then again), so both see the same load on the shared machine; the figure is the median of
the per-pair ratios, with their range in the note. At 768 rows generate reads one chunk; at 3,072
rows it reads three (default chunk 1,024 at 64), so the pause at chunk boundaries shows.

``python perf/bench_chat.py --profile DIR`` (or ``run.py --only chat --profile DIR``) also
writes a pyinstrument text profile of the judge at concurrency 64 to ``DIR/chat_c64.txt``.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAME = "chat"
DELAY = 0.02
SERVER = Path(__file__).resolve().parents[1] / "tests" / "chat_server.py"
CONCURRENCY = (1, 8, 64)
PROFILE_FILE = "chat_c64.txt"


def _retry() -> Any:
    from vlmsafety.chat_client import RetryPolicy

    # a safety net, not a measurement: a busy machine must slow the run down, not fail it
    return RetryPolicy(max_attempts=2, request_timeout=120)


def _judge(url: str, concurrency: int, cache: Path | None) -> Any:
    from vlmsafety.judges import ChatJudge

    return ChatJudge("dual", base_url=url, model="bench", cache=cache, concurrency=concurrency,
                     progress=False, retry=_retry())


def _png(i: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (i % 256, (i // 256) % 256, 128)).save(buf, format="PNG")
    return buf.getvalue()


def _gen_rows(tag: str, n: int) -> list[dict[str, Any]]:
    return [{"id": f"{tag}-{i}", "prompt": f"Describe picture {i} ({tag}).", "image": _png(i)}
            for i in range(n)]


def _generate(url: str, rows: list[dict[str, Any]], out: Path, concurrency: int,
              cache: Path | None = None) -> Any:
    from vlmsafety.generate import generate

    summary = generate(rows, out=out, base_url=url, model="bench", concurrency=concurrency,
                       retry=_retry(), cache=cache, overwrite=True, progress=False)
    assert summary.n_ok == len(rows), summary.format()
    return summary


def _repeats(quick: bool) -> int:
    """Timed repeats per rate case; the best is kept (a busy spell on the shared 2-core machine
    slows a CPU-bound run at 64 by up to a third)."""
    return 1 if quick else 3


def _sizes(quick: bool) -> dict[int, int]:
    rounds = 4 if quick else 12
    return {c: c * rounds if c > 1 else (10 if quick else 40) for c in CONCURRENCY}


def _rate_row(kind: str, c: int, n: int, dt: float, repeats: int = 1) -> dict[str, Any]:
    rate, ideal = n / dt, c / DELAY
    best = f", best of {repeats}" if repeats > 1 else ""
    return {"benchmark": NAME, "case": f"{kind}, concurrency {c}, {n} items",
            "metric": "achieved / ideal rate", "value": rate / ideal, "unit": "",
            "target": ">= 0.7" if c == 64 else None,
            "ok": rate / ideal >= 0.7 if c == 64 else None,
            "note": f"{rate:,.0f} req/s of ideal {ideal:,.0f}{best}"}


def _cached_row(kind: str, n: int, t_first: float, t_again: float, repeats: int
                ) -> dict[str, Any]:
    best = f" (best of {repeats})" if repeats > 1 else ""
    return {"benchmark": NAME, "case": f"{kind}, {n} items, concurrency 8",
            "metric": "cached re-run speed-up", "value": t_first / t_again, "unit": "x",
            "target": ">= 100", "ok": t_first / t_again >= 100,
            "note": f"uncached {t_first:.2f}s, cached {t_again * 1000:.1f} ms{best}"}


def _best_again(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Best time of ``repeats`` fully cached re-runs (the uncached first run cannot be repeated:
    it fills the cache), and the last result."""
    runs = [_timed(fn) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[-1][1]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _judge_rows(url: str, quick: bool, profile: Path | None) -> list[dict[str, Any]]:
    rows = []
    for c, n in _sizes(quick).items():
        judge = _judge(url, c, None)
        judge.judge_many([f"warm {i}" for i in range(c)])
        times = []
        for r in range(_repeats(quick)):
            items = [f"response {c}-{r}-{i}" for i in range(n)]
            dt, out = _timed(lambda: judge.judge_many(items))  # noqa: B023 - called at once
            assert [v.label for v in out] == ["refusal"] * n
            times.append(dt)
        rows.append(_rate_row("judge", c, n, min(times), len(times)))
        if c == 64 and profile is not None:
            _profile_judge(judge, n, profile)
    with tempfile.TemporaryDirectory() as tmp:
        n = 200 if quick else 1000
        items = [f"cached {i}" for i in range(n)]
        judge = _judge(url, 8, Path(tmp) / "c.sqlite")
        t_first, first = _timed(lambda: judge.judge_many(items))
        t_again, again = _best_again(lambda: judge.judge_many(items), _repeats(quick))
        assert first == again
        judge.cache.close()
    rows.append(_cached_row("judge", n, t_first, t_again, _repeats(quick)))
    return rows


def _profile_judge(judge: Any, n: int, out_dir: Path) -> None:
    """A pyinstrument text profile of one more concurrency-64 judge run (fresh items)."""
    from pyinstrument import Profiler

    items = [f"profiled {i}" for i in range(n)]
    profiler = Profiler(interval=0.0005, async_mode="disabled")

    async def profiled() -> None:
        # pyinstrument samples the thread that starts it: the judge runs on its client's loop
        # thread (judge_many -> client.run), so the profile is started there.
        profiler.start()
        try:
            await judge.ajudge_many(items)
        finally:
            profiler.stop()

    judge.client.run(profiled())
    out_dir.mkdir(parents=True, exist_ok=True)
    from pyinstrument.renderers import ConsoleRenderer

    session = profiler.last_session
    assert session is not None
    shown = {"show_regex": r".*(vlmsafety|aiohttp|yarl|multidict).*",
             "filter_threshold": 0.01}
    tree = ConsoleRenderer(processor_options=shown).render(session)
    flat = _self_time_table(session.root_frame(trim_stem=False))
    (out_dir / PROFILE_FILE).write_text(
        f"# ChatJudge.judge_many, {n} items, concurrency 64, server delay {DELAY * 1000:g} ms\n"
        f"# python perf/run.py --only chat --profile {out_dir}\n"
        f"# 1. Call tree (library frames shown, frames < 1 % hidden)\n{tree}\n"
        f"# 2. Self time (CPU samples not in a callee) by package, then by function\n{flat}\n")


def _package(path: str) -> str:
    """The package a profiled file belongs to: ``httpcore``, ``asyncio``, ``import machinery``."""
    if path.startswith("<frozen importlib"):
        return "import machinery"
    if path.startswith("<"):
        return "built-in"
    parts = Path(path).parts
    for marker in ("site-packages", "vlmsafety", "perf"):
        if marker in parts:
            rest = parts[parts.index(marker) + (marker == "site-packages"):]
            return rest[0].removesuffix(".py") if rest else marker
    return "stdlib " + Path(path).stem if "python3" in path else Path(path).stem


def _self_time_table(root: Any, top: int = 25) -> str:
    by_package: dict[str, float] = {}
    by_function: dict[str, float] = {}
    total = root.time if root is not None else 0.0
    stack = [(root, root)] if root is not None else []
    while stack:
        frame, parent = stack.pop()
        stack.extend((child, frame) for child in frame.children)
        own = frame.time - sum(c.time for c in frame.children)
        if own <= 0:
            continue
        if frame.is_synthetic_leaf:  # a "[self]" leaf holds its parent's own time
            frame = parent
        package = _package(frame.file_path or "<built-in>")
        by_package[package] = by_package.get(package, 0.0) + own
        name = f"{frame.function}  ({frame.file_path_short}:{frame.line_no})"
        by_function[name] = by_function.get(name, 0.0) + own
    lines = [f"total {total:.3f}s"]
    for title, table in (("package", by_package), ("function", by_function)):
        lines.append(f"\n{'seconds':>8}  {'share':>6}  {title}")
        for key, sec in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"{sec:8.3f}  {sec / total:6.1%}  {key}")
    return "\n".join(lines)


def _aiohttp_rows(url: str, quick: bool) -> list[dict[str, Any]]:
    try:
        import aiohttp
    except ImportError:
        return []
    import asyncio

    from vlmsafety.chat_client import chat_url

    c = 64
    n = _sizes(quick)[c]
    target = chat_url(url)

    async def fetch_all(tag: str) -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as session:
            todo = iter(range(n))

            async def worker() -> None:
                for i in todo:
                    message = {"role": "user", "content": f"{tag} {i}"}
                    payload = {"model": "bench", "messages": [message]}
                    async with session.post(target, json=payload,
                                            timeout=aiohttp.ClientTimeout(total=120)) as resp:
                        body = await resp.json()
                        assert body["choices"][0]["message"]["content"]

            await asyncio.gather(*(worker() for _ in range(c)))  # opens the connections
            times = []
            for _ in range(_repeats(quick)):
                todo = iter(range(n))
                t0 = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(c)))
                times.append(time.perf_counter() - t0)
            return min(times)

    row = _rate_row("reference: bare aiohttp client", c, n, asyncio.run(fetch_all("aiohttp")),
                    _repeats(quick))
    row["target"] = row["ok"] = None
    return [row]


def _generate_rows(url: str, quick: bool) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "preds.jsonl"
        for c, n in _sizes(quick).items():
            _generate(url, _gen_rows(f"warm{c}", c), out, c)
            times = []
            for r in range(_repeats(quick)):
                data = _gen_rows(f"c{c}-{r}", n)
                times.append(_timed(lambda: _generate(url, data, out, c))[0])  # noqa: B023
            rows.append(_rate_row("generate", c, n, min(times), len(times)))
        n = 200 if quick else 1000
        data = _gen_rows("cached", n)
        cache = Path(tmp) / "g.sqlite"
        t_first, first = _timed(lambda: _generate(url, data, out, 8, cache))
        first_lines = out.read_bytes()
        t_again, again = _best_again(lambda: _generate(url, data, out, 8, cache),
                                     _repeats(quick))
        assert first.n_sent == n and again.n_cached == n and again.n_sent == 0
        assert out.read_bytes() == first_lines
    rows.append(_cached_row("generate", n, t_first, t_again, _repeats(quick)))
    return rows


def _paired_rows(url: str, quick: bool) -> list[dict[str, Any]]:
    import statistics

    c, pairs = 64, 2 if quick else 7
    rows = []
    judge = _judge(url, c, None)
    judge.judge_many([f"warm {i}" for i in range(c)])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "preds.jsonl"
        for n in ((c * 4,) if quick else (c * 12, c * 48)):
            ratios, judged, generated = [], [], []
            for r in range(pairs):
                items = [f"paired {n}-{r}-{i}" for i in range(n)]
                t_judge = _timed(lambda: judge.judge_many(items))[0]  # noqa: B023 - called at once
                data = _gen_rows(f"p{n}-{r}", n)
                t_gen = _timed(lambda: _generate(url, data, out, c))[0]  # noqa: B023
                ratios.append(t_judge / t_gen)
                judged.append(n / t_judge / (c / DELAY))
                generated.append(n / t_gen / (c / DELAY))
            value = statistics.median(ratios)
            rows.append({
                "benchmark": NAME, "case": f"paired, concurrency 64, {n} items, {pairs} pairs",
                "metric": "generate / judge rate (median of pairs)", "value": value, "unit": "x",
                "target": ">= 0.9", "ok": value >= 0.9,
                "note": (f"pairs {min(ratios):.2f}-{max(ratios):.2f}; judge "
                         f"{min(judged):.2f}-{max(judged):.2f}, generate "
                         f"{min(generated):.2f}-{max(generated):.2f} of ideal")})
    return rows


def run(quick: bool, profile_dir: Path | None = None) -> list[dict[str, Any]]:
    proc = subprocess.Popen([sys.executable, str(SERVER), "--delay", str(DELAY),
                             "--text", "Declines.\nVERDICT: REFUSAL"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        return (_judge_rows(url, quick, profile_dir) + _generate_rows(url, quick)
                + _aiohttp_rows(url, quick) + _paired_rows(url, quick))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help=f"write a pyinstrument profile of the judge at 64 to "
                        f"DIR/{PROFILE_FILE}")
    args = parser.parse_args()
    for result in run(quick=args.quick, profile_dir=args.profile):
        print(result)
