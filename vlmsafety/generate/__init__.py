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
* Resumable: with a cache (:class:`vlmsafety.storage.cache.SQLiteCache`, namespace
  ``"generate"``) each successful reply is stored as it arrives, keyed by the model, the whole
  request (system prompt, prompt, sha256 of the image bytes) and the parameters (temperature,
  max_tokens, seed...). Failures are not stored, so a re-run sends only what is missing or failed.
* One batch on one client for the whole run: rows are read in chunks just ahead of the requests
  that need them, a data URL is built from the dataset's stored image bytes (no decoding and
  re-encoding) when a worker is free to send it, and lines are written in dataset order as
  replies arrive; requests never pause at a chunk boundary.
* Flat memory: at most two chunks of rows are between being read and being written.
* Atomic: the output is written to a temporary file and renamed at the end.
* Fail fast: the endpoint URL is checked before any work, the first row's request goes alone as
  a probe, and ``max_consecutive_failures`` rows in a row whose request failed stop the run (see
  :class:`vlmsafety.chat_client.CircuitBreaker`) with :class:`~vlmsafety.errors.EndpointError`:
  nothing is written to ``out``, the replies received so far stay in the cache, and the same
  call again resumes. Scattered failures are written as below.

Modules, by job: :mod:`~vlmsafety.generate.summary` (settings, defaults and
:class:`GenerateSummary`), :mod:`~vlmsafety.generate.sources` (folders, repo ids, datasets and
iterables as rows), :mod:`~vlmsafety.generate.items` (a row checked, its image, its messages) and
:mod:`~vlmsafety.generate.run` (:func:`generate`). Every public name is re-exported here.

Example (an unreachable endpoint: the probe fails at once, nothing is written):
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "preds.jsonl"
    >>> rows = [{"id": "a", "prompt": "What is shown?"}, {"id": "b", "prompt": "Hello"}]
    >>> generate(rows, out=out, base_url="http://127.0.0.1:9", model="m", progress=False)
    Traceback (most recent call last):
    ...
    vlmsafety.errors.EndpointError: the endpoint http://127.0.0.1:9/v1/chat/completions failed the
    first request (sent alone, as a probe): connection error: ...
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

from vlmsafety.generate.run import generate
from vlmsafety.generate.sources import prompt_column
from vlmsafety.generate.summary import (
    CACHE_NAMESPACE,
    DEFAULT_PARAMS,
    ENV_PREFIX,
    GenerateSummary,
    default_cache,
)

__all__ = [
    "generate",
    "prompt_column",
    "GenerateSummary",
    "default_cache",
    "ENV_PREFIX",
    "CACHE_NAMESPACE",
    "DEFAULT_PARAMS",
]
