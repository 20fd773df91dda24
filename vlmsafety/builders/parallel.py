"""Builder work in worker processes, results back in order: :func:`ordered_map`.

The builders decode, render, perturb and encode images in workers while the single writer (the
calling process) writes rows in their planned order, so the output does not depend on the number
of workers. Workers are started with ``forkserver`` where it exists (else ``spawn``): safe with the
threads of pyarrow and tqdm around. At most ``2 * num_proc`` chunks are in flight, so a worker's
memory holds one chunk and the writer's a bounded window. An error raised in a worker is raised
again in the caller, with its type and message; on any exception (``KeyboardInterrupt`` and
``SIGTERM`` included, see :func:`vlmsafety.storage.files.terminate_as_exception`) the workers are
terminated before the exception goes on.

Example:
    >>> list(ordered_map(abs, [-3, 2, -1], num_proc=1))
    [3, 2, 1]
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from vlmsafety.errors import InvalidArgumentError
from vlmsafety.storage.files import terminate_as_exception

__all__ = ["check_num_proc", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")

_CONTEXT: Any = None
"""The per-worker context object given to :func:`ordered_map` (set in each worker)."""


def check_num_proc(num_proc: object) -> int:
    """``num_proc`` as a positive int, else :class:`InvalidArgumentError`.

    Example:
        >>> check_num_proc(2)
        2
        >>> check_num_proc(0)
        Traceback (most recent call last):
        ...
        vlmsafety.errors.InvalidArgumentError: num_proc must be an int >= 1 (1 = no worker processes), got 0
    """
    if isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1:
        raise InvalidArgumentError(
            f"num_proc must be an int >= 1 (1 = no worker processes), got {num_proc!r}")
    return num_proc


def _start_worker(context: Any) -> None:
    """Worker initialiser: Ctrl-C is the parent's to handle (it terminates the workers)."""
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CONTEXT = context


def _run_chunk(fn: Callable[..., R], chunk: list[Any], with_context: bool) -> list[R]:
    if with_context:
        return [fn(_CONTEXT, task) for task in chunk]
    return [fn(task) for task in chunk]


def _mp_context(module: str) -> Any:
    """forkserver (``module`` imported once in the server, so workers start at fork speed)
    where the platform has it, else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", module])  # no effect once the server runs
    return ctx


def ordered_map(
    fn: Callable[..., R],
    tasks: Iterable[Any],
    *,
    num_proc: int = 1,
    context: Any = None,
    chunk_size: int = 1,
) -> Iterator[R]:
    """``fn(task)`` (or ``fn(context, task)`` when ``context`` is given) for every task, in order.

    Args:
        fn: A module-level function (workers import it by name).
        tasks: Picklable task arguments, consumed lazily.
        num_proc: Worker processes; 1 runs everything in the caller.
        context: Picklable object sent once to each worker and passed as ``fn``'s first argument
            (an open archive, options); ``None``: ``fn`` takes the task only.
        chunk_size: Tasks per message to a worker (small tasks amortise the transfer).

    Yields:
        Each task's result, in the order of ``tasks``.

    Example:
        >>> list(ordered_map(pow, [2, 3], context=10))
        [100, 1000]
    """
    num_proc = check_num_proc(num_proc)
    with_context = context is not None
    if num_proc == 1:
        for task in tasks:
            yield fn(context, task) if with_context else fn(task)
        return
    it = iter(tasks)
    chunks = iter(lambda: list(islice(it, chunk_size)), [])
    with terminate_as_exception():
        pool = _mp_context(fn.__module__).Pool(num_proc, initializer=_start_worker, initargs=(context,))
        try:
            pending: deque[Any] = deque()
            for chunk in islice(chunks, 2 * num_proc):
                pending.append(pool.apply_async(_run_chunk, (fn, chunk, with_context)))
            while pending:
                results = pending.popleft().get()
                for chunk in islice(chunks, 1):
                    pending.append(pool.apply_async(_run_chunk, (fn, chunk, with_context)))
                yield from results
            pool.close()
            pool.join()
        finally:
            pool.terminate()  # no-op after a clean close; kills the workers otherwise
            pool.join()

