"""Collect a model's responses over a dataset from an OpenAI-compatible vision chat endpoint.

For every row (``id``, ``prompt``, ``image``) one request is sent: a user message whose content is
the image as a ``data:`` URL followed by the prompt text (rows without an image, such as VSCBench's
``text_only`` config, send the text alone), after an optional system message. The replies are
written as a predictions JSONL (:mod:`vlmsafety.predictions`), one line per row in dataset order::

    {"id": "...", "response": "...", "model": "m", "config": "clean", "prompt": "...",
     "finish_reason": "stop"}

A request that failed after the retries of :class:`vlmsafety.chat_client.ChatClient` is written as
``"response": null`` with an ``"error"`` saying why — never as an empty response.

* Endpoint, model and key come from arguments or ``VLMSAFETY_GENERATE_BASE_URL`` /
  ``VLMSAFETY_GENERATE_MODEL`` / ``VLMSAFETY_GENERATE_API_KEY`` (then ``OPENAI_API_KEY``), read
  when :func:`generate` is called; the key is never written anywhere.
* Resumable: with a cache (:class:`vlmsafety.judges.cache.SQLiteCache`, namespace
  ``"generate"``) each successful reply is stored as it arrives, keyed by the model, the whole
  request (system prompt, prompt, sha256 of the image bytes) and the parameters (temperature,
  max_tokens, seed...). Failures are not stored, so a re-run sends only what is missing or failed.
* Flat memory: rows are read in chunks; a data URL is built only when its request is sent, from
  the dataset's stored image bytes (no decoding and re-encoding).
* Atomic: the output is written to a temporary file and renamed at the end.
* Fail fast: the endpoint URL is checked before any work, the first row's request goes alone as
  a probe, and ``max_consecutive_failures`` rows in a row whose request failed stop the run (see
  :class:`vlmsafety.chat_client.CircuitBreaker`) with :class:`~vlmsafety.errors.EndpointError`:
  nothing is written to ``out``, the replies received so far stay in the cache, and the same
  call again resumes. Scattered failures are written as below.

Example (an unreachable endpoint: the probe fails at once, nothing is written):
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "preds.jsonl"
    >>> rows = [{"id": "a", "prompt": "What is shown?"}, {"id": "b", "prompt": "Hello"}]
    >>> generate(rows, out=out, base_url="http://127.0.0.1:9", model="m", progress=False)
    Traceback (most recent call last):
    ...
    vlmsafety.errors.EndpointError: the endpoint http://127.0.0.1:9/v1/chat/completions failed the first request (sent alone, as a probe): connection error: ...
    >>> out.exists()
    False

    With ``max_consecutive_failures=0`` (no probe, no breaker) every failure is recorded instead:

    >>> from vlmsafety.chat_client import RetryPolicy
    >>> s = generate(rows, out=out, base_url="http://127.0.0.1:9", model="m", progress=False,
    ...              retry=RetryPolicy(max_attempts=1, request_timeout=0.5),
    ...              max_consecutive_failures=0)
    >>> (s.n, s.n_ok, s.n_failed, s.n_sent)
    (2, 0, 2, 2)
    >>> from vlmsafety.predictions import read_predictions
    >>> p = read_predictions(out)[0]
    >>> (p.id, p.response, p.model, p.error.startswith("connection error"))
    ('a', None, 'm', True)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from vlmsafety.chat_client import ChatClient, ChatResult, RetryPolicy, image_data_url
from vlmsafety.errors import (
    DatasetNotFoundError,
    DatasetRowError,
    EndpointError,
    InvalidArgumentError,
    UnknownNameError,
)
from vlmsafety.judges.cache import SQLiteCache

__all__ = [
    "generate",
    "prompt_column",
    "GenerateSummary",
    "default_cache",
    "ENV_PREFIX",
    "CACHE_NAMESPACE",
    "DEFAULT_PARAMS",
]

ENV_PREFIX = "VLMSAFETY_GENERATE"
"""Environment variables: ``VLMSAFETY_GENERATE_BASE_URL``, ``_MODEL``, ``_API_KEY``."""

CACHE_NAMESPACE = "generate"
"""Namespace of the replies in the SQLite cache."""

DEFAULT_PARAMS: Mapping[str, Any] = {"temperature": 0.0}
"""Request parameters used when ``params`` is not given (greedy decoding)."""

_KEY_VERSION = "generate/2"
_SHOW_ERRORS = 5

Row = Mapping[str, Any]


def default_cache() -> Path:
    """The default cache file: ``$VLMSAFETY_CACHE_DIR/generate_cache.sqlite``, else
    ``~/.cache/vlmsafety/generate_cache.sqlite`` (beside the judge's cache).

    Example:
        >>> default_cache().name
        'generate_cache.sqlite'
    """
    root = os.environ.get("VLMSAFETY_CACHE_DIR") or Path.home() / ".cache" / "vlmsafety"
    return Path(root) / "generate_cache.sqlite"


@dataclass(frozen=True)
class GenerateSummary:
    """What a :func:`generate` run did.

    Attributes:
        out: The predictions file written.
        model: The model asked.
        configs: The dataset configs read (empty for in-memory rows).
        n: Rows written (one line each).
        n_ok: Rows with a response.
        n_failed: Rows written as ``response: null`` with an ``error``.
        n_cached: Rows answered from the cache (no request sent).
        n_sent: Requests sent (one per row not answered by the cache).
        elapsed: Wall-clock seconds.
        errors: The first few failures, as ``"<id>: <error>"``.
    """

    out: Path
    model: str
    configs: tuple[str, ...]
    n: int
    n_ok: int
    n_failed: int
    n_cached: int
    n_sent: int
    elapsed: float
    errors: tuple[str, ...] = field(default=())

    @property
    def requests_per_second(self) -> float:
        """Requests sent per wall-clock second (0 when nothing was sent)."""
        return self.n_sent / self.elapsed if self.n_sent and self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {"out": str(self.out), "model": self.model, "configs": list(self.configs),
                "n": self.n, "n_ok": self.n_ok, "n_failed": self.n_failed,
                "n_cached": self.n_cached, "n_sent": self.n_sent,
                "elapsed": round(self.elapsed, 3),
                "requests_per_second": round(self.requests_per_second, 2),
                "errors": list(self.errors)}

    def format(self) -> str:
        """A short human-readable report (what the CLI prints)."""
        lines = [
            f"wrote {self.n} lines to {self.out} (model {self.model}"
            + (f", configs {', '.join(self.configs)})" if self.configs else ")"),
            (f"  ok {self.n_ok}, failed {self.n_failed}, from cache {self.n_cached}, "
            f"requests sent {self.n_sent}"),
            f"  elapsed {self.elapsed:.1f}s, {self.requests_per_second:.1f} req/s",
        ]
        if self.n_failed:
            lines.append("  first failures (written as response null + error; a re-run "
                         "retries them):")
            lines += [f"    {e}" for e in self.errors]
        return "\n".join(lines)


# ------------------------------------------------------------------------------ images

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def _mime(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image_bytes(value: Any, row_id: str) -> tuple[bytes, str] | None:
    """``(bytes, mime)`` of an image given as bytes, ``{"bytes", "path"}``, a path or a PIL image.

    Formats other than PNG, JPEG, GIF and WebP are converted to PNG.
    """
    if value is None:
        return None
    data: bytes | None = None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, Mapping):
        if value.get("bytes") is not None:
            data = bytes(value["bytes"])
        elif value.get("path"):
            value = value["path"]
        else:
            raise DatasetRowError(f"row {row_id!r}: image has neither bytes nor path")
    if data is None and isinstance(value, (str, os.PathLike)):
        try:
            data = Path(value).read_bytes()
        except OSError as exc:
            raise DatasetRowError(f"row {row_id!r}: cannot read image {value!r}: {exc}") from None
    if data is None:
        if not hasattr(value, "save"):
            raise DatasetRowError(
                f"row {row_id!r}: image must be bytes, a {{'bytes', 'path'}} dict, a path or a "
                f"PIL image, got {type(value).__name__}")
        from vlmsafety.storage.images import png_bytes

        return png_bytes(value), "image/png"
    from vlmsafety.storage.images import image_problem, png_bytes

    problem = image_problem(data)  # a truncated PNG has a PNG header but does not decode
    if problem is not None:
        raise DatasetRowError(f"row {row_id!r}: the image is {problem}")
    mime = _mime(data)
    if mime is None:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            return png_bytes(im), "image/png"
    return data, mime


# ------------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class _Item:
    id: str
    prompt: str
    image: tuple[bytes, str] | None
    config: str | None

    def key_parts(self) -> tuple[str, str | None, str | None]:
        """What identifies the request besides model, params and system prompt: the prompt and
        the image's type and sha256 (not its data URL)."""
        if self.image is None:
            return self.prompt, None, None
        data, mime = self.image
        return self.prompt, mime, hashlib.sha256(data).hexdigest()

    def messages(self, system: str | None) -> list[dict[str, Any]]:
        return self._messages(system, image_data_url(*self.image) if self.image else None)

    def _messages(self, system: str | None, url: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if system is not None:
            out.append({"role": "system", "content": system})
        if url is None:  # text only
            out.append({"role": "user", "content": self.prompt})
            return out
        out.append({"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "text", "text": self.prompt},
        ]})
        return out


class _LazyRequests(Sequence[Any]):
    """Messages built when the client takes them, so only requests in flight hold a data URL."""

    def __init__(self, items: Sequence[_Item], system: str | None) -> None:
        self._items, self._system = items, system

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):  # pragma: no cover - the client indexes one at a time
            return [self._items[j].messages(self._system) for j in range(*i.indices(len(self)))]
        return self._items[i].messages(self._system)


def _as_item(row: Row, config: str | None, position: int) -> _Item:
    where = f"row {position}" + (f" of config {config!r}" if config else "")
    if not isinstance(row, Mapping):
        raise DatasetRowError(f"{where}: expected a mapping with id/prompt/image, "
                                f"got {type(row).__name__}")
    rid = row.get("id")
    if not isinstance(rid, str) or not rid:
        raise DatasetRowError(f"{where}: 'id' must be a non-empty string, got {rid!r}")
    prompt = row.get("prompt")
    if not isinstance(prompt, str):
        raise DatasetRowError(f"{where} (id {rid!r}): 'prompt' must be a string, got "
                                f"{type(prompt).__name__}")
    return _Item(rid, prompt, _image_bytes(row.get("image"), rid), config)


# ------------------------------------------------------------------------------ sources


def _is_hf_dataset(obj: Any) -> bool:
    """A ``datasets.Dataset`` (an ``IterableDataset`` is read as an iterable of rows)."""
    mod = sys.modules.get("datasets")
    return mod is not None and isinstance(obj, mod.Dataset)


def prompt_column(columns: Sequence[str], config: str | None = None) -> str:
    """The column holding the text to send: ``prompt``, else the ``prompt_column`` of the one
    benchmark spec whose column it is (and, for a named config, that has the config).

    Example:
        >>> prompt_column(["id", "prompt", "image"]), prompt_column(["id", "question", "image"])
        ('prompt', 'question')
    """
    from vlmsafety.specs import BENCHMARKS, get_spec

    if "prompt" in columns:
        return "prompt"
    found = sorted({spec.prompt_column for spec in map(get_spec, BENCHMARKS)
                    if spec.prompt_column in columns
                    and (config is None or config in spec.config_names)})
    if len(found) != 1:
        raise DatasetRowError(f"the dataset needs 'id' and a prompt column ('prompt', or a "
                              f"benchmark's own); it has {list(columns)}")
    return found[0]


def _hf_rows(ds: Any, chunk: int, config: str | None = None) -> Iterator[Row]:
    """Rows of a ``datasets.Dataset`` with images as stored bytes, read ``chunk`` at a time;
    the prompt column (:func:`prompt_column`) is read as ``prompt``."""
    import datasets

    if "id" not in ds.column_names:
        raise DatasetRowError(f"the dataset needs 'id' and 'prompt' columns; it has "
                                f"{ds.column_names}")
    text = prompt_column(ds.column_names, config)
    cols = [c for c in ("id", text, "image") if c in ds.column_names]
    ds = ds.select_columns(cols)
    if text != "prompt":
        ds = ds.rename_column(text, "prompt")
    if "image" in cols and isinstance(ds.features["image"], datasets.Image):
        ds = ds.cast_column("image", datasets.Image(decode=False))
    for batch in ds.iter(batch_size=chunk):
        names = list(batch)
        yield from (dict(zip(names, vals)) for vals in zip(*batch.values()))


def _load_configs(source: str, configs: Sequence[str] | None, revision: str | None) -> list[str]:
    import datasets

    try:
        available = list(datasets.get_dataset_config_names(source, revision=revision))
    except Exception as exc:
        raise DatasetNotFoundError(f"cannot read the configs of dataset {source!r}: {exc}") from exc
    if not configs:
        return available
    bad = [c for c in configs if c not in available]
    if bad:
        raise UnknownNameError(f"unknown config(s) {bad} for dataset {source!r}; "
                                f"allowed: {available}")
    return list(dict.fromkeys(configs))


def _load_config(source: str, config: str, limit: int | None, revision: str | None) -> Any:
    from vlmsafety.storage.splits import load_split

    ds = load_split(source, config, revision=revision)  # names a truncated shard and the cause
    if limit is not None and limit < len(ds):
        ds = ds.select(range(limit))
    return ds


def _check_unique_ids(datasets_by_config: Mapping[str, Any]) -> int:
    """Reads only the ``id`` columns; returns the total row count."""
    seen: dict[str, str] = {}
    total = 0
    for config, ds in datasets_by_config.items():
        if "id" not in ds.column_names:
            raise DatasetRowError(f"config {config!r} has no 'id' column; columns: "
                                    f"{ds.column_names}")
        for rid in ds.select_columns(["id"])["id"]:
            if rid in seen:
                raise DatasetRowError(f"duplicate id {rid!r} in config {config!r} (first seen "
                                        f"in config {seen[rid]!r}); ids are the join key")
            seen[rid] = config
        total += len(ds)
    return total


# ------------------------------------------------------------------------------ main


def _chunks(it: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(it)
    while chunk := list(islice(it, size)):
        yield chunk


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
        chunk_size: Rows read, sent and written per step (default ``max(256, 16 * concurrency)``).
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
        PredictionsFormatError: ``out`` exists and ``overwrite`` is false, or ``out`` is the
            dataset or the cache.
    """
    from tqdm.auto import tqdm

    from vlmsafety.predictions import write_jsonl

    t0 = time.perf_counter()
    from vlmsafety.storage.files import check_output

    inputs = [os.fspath(dataset)] if isinstance(dataset, (str, os.PathLike)) else []
    if isinstance(cache, (str, os.PathLike)):
        inputs.append(os.fspath(cache))
    out_path = check_output(out, overwrite=overwrite, inputs=inputs)
    if limit is not None and limit < 0:
        raise InvalidArgumentError(f"limit must be >= 0, got {limit}")
    req_params = dict(DEFAULT_PARAMS if params is None else params)
    own_client = client is None
    if client is None:
        client = ChatClient(base_url, model, api_key, concurrency=concurrency, retry=retry,
                            params=req_params, env_prefix=ENV_PREFIX, progress=False,
                            max_consecutive_failures=max_consecutive_failures)
    else:
        req_params = dict(client.params)
    model_name = client.settings().model  # a missing setting raises before any work
    chunk = chunk_size or max(256, 16 * client.concurrency)
    if chunk < 1:
        raise InvalidArgumentError(f"chunk_size must be >= 1, got {chunk_size}")
    store = SQLiteCache(cache, namespace=CACHE_NAMESPACE) if isinstance(
        cache, (str, os.PathLike)) else cache
    params_json = json.dumps(req_params, sort_keys=True, default=str)

    # Sources: (config, rows); total for the progress bar when known.
    sources: list[tuple[str | None, Iterable[Row]]]
    total: int | None
    config_names: tuple[str, ...] = ()
    if isinstance(dataset, (str, os.PathLike)):
        source = os.fspath(dataset)
        names = _load_configs(source, configs, revision)
        loaded = {c: _load_config(source, c, limit, revision) for c in names}
        total = _check_unique_ids(loaded)
        sources = [(c, _hf_rows(ds, chunk, c)) for c, ds in loaded.items()]
        config_names = tuple(names)
    elif _is_hf_dataset(dataset):
        if configs:
            raise InvalidArgumentError("configs=... applies to a folder or repo id, not to a "
                                    "datasets.Dataset (select the config when loading it)")
        hf: Any = dataset  # a datasets.Dataset (checked by _is_hf_dataset)
        ds = hf.select(range(limit)) if limit is not None and limit < len(hf) else hf
        total = _check_unique_ids({"(dataset)": ds})
        sources = [(None, _hf_rows(ds, chunk))]
    else:
        if configs:
            raise InvalidArgumentError("configs=... applies to a folder or repo id, not to rows")
        rows = dataset if limit is None else islice(dataset, limit)
        total = len(dataset) if hasattr(dataset, "__len__") else None  # type: ignore[arg-type]  # guarded by hasattr(__len__)
        if total is not None and limit is not None:
            total = min(total, limit)
        sources = [(None, rows)]

    counts = {"n": 0, "ok": 0, "failed": 0, "cached": 0, "sent": 0}
    errors: list[str] = []
    seen: set[str] = set()
    bar = tqdm(total=total, desc=f"generate {model_name}", unit="row",
               disable=not progress or None)
    breaker = client.breaker()  # one for the whole run: one probe, failures counted across chunks

    def key_of(item: _Item) -> str:
        # Length-prefixed parts (no JSON of the message): the same request gives the same key.
        return SQLiteCache.make_key(_KEY_VERSION, model_name, params_json, system,
                                    *item.key_parts())

    def run_chunk(items: list[_Item]) -> Iterator[dict[str, Any]]:
        keys = [key_of(it) for it in items]
        hits = store.get_many(keys) if store is not None else {}
        replies: list[Mapping[str, Any] | ChatResult | None] = [hits.get(k) for k in keys]
        todo = [i for i, reply in enumerate(replies) if reply is None]
        counts["cached"] += len(items) - len(todo)
        bar.update(len(items) - len(todo))

        def done(j: int, res: ChatResult) -> None:
            i = todo[j]
            if res.ok:
                value = {"text": res.text, "finish_reason": _finish_reason(res)}
                if store is not None:
                    store.put(keys[i], value)
                replies[i] = value
            else:
                replies[i] = res
                bar.set_postfix_str(f"failed {breaker.failures}", refresh=False)
            bar.update(1)

        if todo:  # one request per row, also when two rows ask the same thing
            counts["sent"] += len(todo)
            try:
                client.complete_many(_LazyRequests([items[i] for i in todo], system),
                                     on_result=done, desc="generate", breaker=breaker)
            except (EndpointError, KeyboardInterrupt) as exc:  # Ctrl-C too: say what is kept
                kept = counts["ok"] + sum(isinstance(r, Mapping) for r in replies)
                where = f"in the cache {store.path}" if store is not None else "nowhere: no cache"
                raise type(exc)(
                    f"{exc}\ngenerate: {kept} of {total if total is not None else '?'} rows had "
                    f"a reply when the run stopped (kept {where}); {out_path} was not written. "
                    "Run the same command again to resume") from None
        for item, reply in zip(items, replies):
            rec: dict[str, Any] = {"id": item.id}
            if isinstance(reply, Mapping):
                rec["response"] = reply["text"]
                counts["ok"] += 1
            else:
                err = reply.error if isinstance(reply, ChatResult) and reply.error else "not run"
                rec["response"] = None
                rec["error"] = err
                counts["failed"] += 1
                if len(errors) < _SHOW_ERRORS:
                    errors.append(f"{item.id}: {err}")
            rec["model"] = model_name
            if item.config is not None:
                rec["config"] = item.config
            rec["prompt"] = item.prompt
            if isinstance(reply, Mapping) and reply.get("finish_reason"):
                rec["finish_reason"] = reply["finish_reason"]
            counts["n"] += 1
            yield rec

    def records() -> Iterator[dict[str, Any]]:
        position = 0
        for config, rows in sources:
            for block in _chunks(rows, chunk):
                items = []
                for row in block:
                    item = _as_item(row, config, position)
                    position += 1
                    if item.id in seen:
                        raise DatasetRowError(f"duplicate id {item.id!r} (row {position - 1}); "
                                                "ids are the join key")
                    seen.add(item.id)
                    items.append(item)
                yield from run_chunk(items)

    try:
        write_jsonl(out_path, records())
    finally:
        bar.close()
        if store is not None and store is not cache:
            store.close()
        if own_client:
            client.close()
    return GenerateSummary(out_path, model_name, config_names, counts["n"], counts["ok"],
                           counts["failed"], counts["cached"], counts["sent"],
                           time.perf_counter() - t0, tuple(errors))


def _finish_reason(res: ChatResult) -> str | None:
    try:
        reason = res.raw["choices"][0].get("finish_reason")  # type: ignore[index]  # raw is the parsed reply JSON, checked to hold choices
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return reason if isinstance(reason, str) else None
