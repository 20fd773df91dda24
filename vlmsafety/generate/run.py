"""The :func:`generate` run: rows in chunks, the cache consulted, requests sent, lines written.

See :mod:`vlmsafety.generate` for the behaviour (output format, cache, memory, fail fast).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from vlmsafety.chat_client import ChatClient, ChatResult, RetryPolicy
from vlmsafety.errors import DatasetRowError, EndpointError, InvalidArgumentError
from vlmsafety.generate.items import Item, Row, as_item
from vlmsafety.generate.sources import Source, chunks, open_sources
from vlmsafety.generate.summary import (
    CACHE_NAMESPACE,
    DEFAULT_PARAMS,
    ENV_PREFIX,
    GenerateSummary,
)
from vlmsafety.storage.cache import SQLiteCache
from vlmsafety.storage.jsonl import jsonl_line

__all__ = ["generate"]

_KEY_VERSION = "generate/2"
_SHOW_ERRORS = 5


def generate(
    dataset: str | os.PathLike[str] | Iterable[Row] | Any,
    *,
    out: str | os.PathLike[str],
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    configs: Sequence[str] | None = None,
    revision: str | None = None,
    concurrency: int = 8,
    retry: RetryPolicy | None = None,
    params: Mapping[str, Any] | None = None,
    system: str | None = None,
    cache: SQLiteCache | str | os.PathLike[str] | None = None,
    limit: int | None = None,
    overwrite: bool = False,
    chunk_size: int | None = None,
    progress: bool = True,
    client: ChatClient | None = None,
    max_consecutive_failures: int | None = None,
) -> GenerateSummary:
    """Ask a model for a response to every row and write the predictions JSONL.

    Args:
        dataset: A dataset folder built by vlmsafety or a Hub repo id (every config's ``test``
            split is read), a ``datasets.Dataset``, or an iterable of rows: mappings with ``id``
            (str), ``prompt`` (str) and optionally ``image`` (PNG/JPEG bytes, a
            ``{"bytes", "path"}`` dict, a file path or a PIL image; absent or ``None``: text
            only) and ``config`` (copied to the output).
        out: The predictions JSONL to write.
        base_url, model, api_key: Endpoint settings; default ``$VLMSAFETY_GENERATE_BASE_URL``,
            ``$VLMSAFETY_GENERATE_MODEL``, ``$VLMSAFETY_GENERATE_API_KEY`` (then
            ``$OPENAI_API_KEY``; none is needed by local servers).
        configs: Configs to read (folder or repo id only); default all of them.
        revision: The Hub revision (commit sha or tag) to pin a repo id to.
        concurrency: Requests in flight at most.
        retry: Retry policy of each request (default :class:`RetryPolicy`).
        params: Extra request fields (``temperature``, ``max_tokens``, ``seed``...), part of
            the cache key; default :data:`DEFAULT_PARAMS` (temperature 0).
        system: A system prompt sent before each user message.
        cache: An :class:`SQLiteCache`, a path to one (see :func:`default_cache`), or ``None``
            (no cache).
        limit: Read only the first ``limit`` rows of each config (of the iterable).
        overwrite: Replace ``out`` when it exists.
        chunk_size: Rows read and looked up in the cache per step (default
            ``max(256, 16 * concurrency)``); at most ``2 * chunk_size`` rows are held at a time.
        progress: Show a progress bar.
        client: A ready :class:`ChatClient` (overrides the endpoint arguments, ``concurrency``,
            ``retry``, ``params`` and ``max_consecutive_failures``).
        max_consecutive_failures: Rows in a row whose request failed (after retries) that stop
            the run; default ``2 * concurrency``; 0 turns the probe and the breaker off.

    Returns:
        A :class:`GenerateSummary`.

    Raises:
        EndpointError: no endpoint or model (the message names the environment variable), a
            malformed endpoint URL (before any work), a failed probe, or the breaker tripped;
            ``out`` is not written, the replies received are in the cache.
        DatasetNotFoundError, UnknownNameError, DatasetRowError: unreadable dataset, unknown
            config (the allowed ones are named), a
            row without a string ``id``/``prompt``, an unreadable image, a duplicate id.
        OutputExistsError: ``out`` exists and ``overwrite`` is false, or ``out`` is the
            dataset or the cache.
    """
    # long: the docstring documents 18 arguments; the body itself is about 40 lines
    from vlmsafety.storage.files import atomic_write, check_output

    t0 = time.perf_counter()
    inputs = [os.fspath(dataset)] if isinstance(dataset, (str, os.PathLike)) else []
    if isinstance(cache, (str, os.PathLike)):
        inputs.append(os.fspath(cache))
    out_path = check_output(out, overwrite=overwrite, inputs=inputs)
    if limit is not None and limit < 0:
        raise InvalidArgumentError(f"limit must be >= 0, got {limit}")
    own_client = client is None
    if client is None:
        client = ChatClient(base_url, model, api_key, concurrency=concurrency, retry=retry,
                            params=dict(DEFAULT_PARAMS if params is None else params),
                            env_prefix=ENV_PREFIX, progress=False,
                            max_consecutive_failures=max_consecutive_failures)
    model_name = client.settings().model  # a missing setting raises before any work
    chunk = chunk_size or max(256, 16 * client.concurrency)
    if chunk < 1:
        raise InvalidArgumentError(f"chunk_size must be >= 1, got {chunk_size}")
    store = SQLiteCache(cache, namespace=CACHE_NAMESPACE) if isinstance(
        cache, (str, os.PathLike)) else cache
    run: _Run | None = None
    try:
        sources, total, config_names = open_sources(dataset, configs, revision, limit, chunk)
        run = _Run(client, store, model_name, system, total, out_path, progress)
        with atomic_write(out_path) as fh:
            client.run(run.pipeline(sources, chunk, fh))  # one client, one batch for the run
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM: say what the cache kept, how to resume
        said = "; ".join(t for t in (str(exc), run.stopped() if run is not None else "") if t)
        raise type(exc)(said) from None
    finally:
        if run is not None:
            run.bar.close()
        if store is not None and store is not cache:
            store.close()
        if own_client:
            client.close()
    c = run.counts
    return GenerateSummary(out_path, model_name, config_names, c["n"], c["ok"], c["failed"],
                           c["cached"], c["sent"], time.perf_counter() - t0, tuple(run.errors))


Reply = Mapping[str, Any] | ChatResult


class _Slot:
    """A row between being read and being written: what its output line needs, and its reply
    once known (the image is not kept: its request is sent by then)."""

    __slots__ = ("config", "id", "key", "prompt", "reply")

    def __init__(self, item: Item, key: str | None, reply: Reply | None) -> None:
        self.id, self.config, self.prompt = item.id, item.config, item.prompt
        self.key, self.reply = key, reply


class _Run:
    """One run on the client's loop: rows read a chunk at a time just ahead of the requests,
    sent as workers free up (no pause between chunks), written in dataset order as replies
    arrive. At most ``2 * chunk`` rows are between being read and being written."""

    def __init__(self, client: ChatClient, store: SQLiteCache | None, model: str,
                 system: str | None, total: int | None, out_path: Path, progress: bool) -> None:
        from tqdm.auto import tqdm

        self.client, self.store, self.model, self.system = client, store, model, system
        self.total, self.out_path = total, out_path
        self.params_json = json.dumps(client.params, sort_keys=True, default=str)
        self.counts = {"n": 0, "ok": 0, "failed": 0, "cached": 0, "sent": 0}
        self.errors: list[str] = []
        self.seen: set[str] = set()
        self.slots: deque[_Slot] = deque()
        self.bar = tqdm(total=total, desc=f"generate {model}", unit="row",
                        disable=not progress or None)
        self.breaker = client.breaker()  # one for the run: one probe, failures counted across it

    def key_of(self, item: Item) -> str:
        # Length-prefixed parts (no JSON of the message): the same request gives the same key.
        return SQLiteCache.make_key(_KEY_VERSION, self.model, self.params_json, self.system,
                                    *item.key_parts())

    def blocks(self, sources: Sequence[Source], chunk: int) -> Iterator[list[Item]]:
        """The rows, checked, ``chunk`` at a time, in dataset order."""
        position = 0
        for config, rows in sources:
            for block in chunks(rows, chunk):
                items = []
                for row in block:
                    item = as_item(row, config, position)
                    position += 1
                    if item.id in self.seen:
                        raise DatasetRowError(f"duplicate id {item.id!r} (row {position - 1}); "
                                              "ids are the join key")
                    self.seen.add(item.id)
                    items.append(item)
                yield items

    async def requests(self, sources: Sequence[Source], chunk: int, window: asyncio.Semaphore,
                       fh: IO[str]) -> AsyncIterator[tuple[_Slot, list[dict[str, Any]]]]:
        """The requests to send, each built (data URL included) when a worker is free for it;
        rows answered by the cache go straight to the output."""
        for items in self.blocks(sources, chunk):
            keys = [self.key_of(it) for it in items] if self.store is not None else None
            hits = self.store.get_many(keys) if self.store is not None and keys else {}
            for i, item in enumerate(items):
                await window.acquire()  # released when a row is written
                key = keys[i] if keys is not None else None
                slot = _Slot(item, key, hits.get(key) if key is not None else None)
                self.slots.append(slot)
                if slot.reply is None:  # one request per row, also when two ask the same
                    self.counts["sent"] += 1
                    yield slot, item.messages(self.system)
                else:
                    self.counts["cached"] += 1
                    self.bar.update(1)
                    self.flush(fh, window)

    def flush(self, fh: IO[str], window: asyncio.Semaphore) -> None:
        """Write the rows at the head of the queue that have their reply."""
        while self.slots and (reply := self.slots[0].reply) is not None:
            fh.write(jsonl_line(self.record(self.slots.popleft(), reply)))
            window.release()

    async def pipeline(self, sources: Sequence[Source], chunk: int, fh: IO[str]) -> None:
        """Read, send and write every row (runs on the client's loop)."""
        window = asyncio.Semaphore(2 * chunk)

        def done(slot: _Slot, res: ChatResult) -> None:
            if res.ok:
                slot.reply = {"text": res.text, "finish_reason": _finish_reason(res)}
                if self.store is not None and slot.key is not None:
                    self.store.put(slot.key, slot.reply)
            else:
                slot.reply = res
                self.bar.set_postfix_str(f"failed {self.breaker.failures}", refresh=False)
            self.bar.update(1)
            self.flush(fh, window)

        try:
            await self.client.acomplete_stream(self.requests(sources, chunk, window, fh),
                                               on_result=done, desc="generate",
                                               breaker=self.breaker)
        except EndpointError as exc:
            raise EndpointError(f"{exc}\n{self.stopped(dead=not self.breaker.successes)}"
                                ) from None
        self.flush(fh, window)

    def stopped(self, *, dead: bool = False) -> str:
        """What a stopped run kept, and how to resume it (for the breaker's error and Ctrl-C);
        ``dead``: the endpoint never answered, so the advice is to check it first."""
        kept = self.counts["ok"] + sum(isinstance(s.reply, Mapping) for s in self.slots)
        where = (f"in the cache {self.store.path}" if self.store is not None
                 else "nowhere: no cache")
        total = self.total if self.total is not None else "?"
        return (f"generate: {kept} of {total} rows had a reply when the run stopped (kept "
                f"{where}); {self.out_path} was not written. " + (
                    "No request succeeded: check that the server is running at --endpoint "
                    "and serves --model (e.g. `curl ENDPOINT/models`), then run the same command "
                    "again" if dead else "Run the same command again to resume"))

    def record(self, slot: _Slot, reply: Reply) -> dict[str, Any]:
        """The output line of one row."""
        rec: dict[str, Any] = {"id": slot.id}
        if isinstance(reply, Mapping):
            rec["response"] = reply["text"]
            self.counts["ok"] += 1
        else:
            err = reply.error or "not run"
            rec["response"] = None
            rec["error"] = err
            self.counts["failed"] += 1
            if len(self.errors) < _SHOW_ERRORS:
                self.errors.append(f"{slot.id}: {err}")
        rec["model"] = self.model
        if slot.config is not None:
            rec["config"] = slot.config
        rec["prompt"] = slot.prompt
        if isinstance(reply, Mapping) and reply.get("finish_reason"):
            rec["finish_reason"] = reply["finish_reason"]
        self.counts["n"] += 1
        return rec


def _finish_reason(res: ChatResult) -> str | None:
    try:
        reason = res.raw["choices"][0].get("finish_reason")  # type: ignore[index]  # raw is the parsed reply JSON, checked to hold choices
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None
