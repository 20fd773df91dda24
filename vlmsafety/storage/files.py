"""Output paths checked and written atomically: the one rule every command that writes follows.

* :func:`check_output` / :func:`check_output_folder`: refuse an output that exists unless
  ``overwrite`` is given, and never write over an input (paths are compared resolved, so
  ``./a.jsonl`` and ``dir/../a.jsonl`` are the same file; a folder holding an input is refused
  too, since replacing it would delete the input).
* :func:`atomic_path` / :func:`atomic_write`: write to a temporary file or folder beside the
  target (same file system) and ``os.replace`` it at the end; on an error, ``KeyboardInterrupt``
  or ``SIGTERM`` the temporary is removed and the target is left as it was.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "a.txt") as fh:
    ...     _ = fh.write("done\\n")
    >>> (d / "a.txt").read_text()
    'done\\n'
    >>> check_output(d / "a.txt", overwrite=False)
    Traceback (most recent call last):
    ...
    vlmsafety.errors.OutputExistsError: ...a.txt: output file already exists; pass --overwrite to replace it
    >>> check_output(d / "a.txt", overwrite=True, inputs=[d / "." / "a.txt"])
    Traceback (most recent call last):
    ...
    vlmsafety.errors.OutputExistsError: ...a.txt: the output is also an input; writing it would
    destroy the input: choose another output path
    >>> sorted(p.name for p in d.iterdir())  # no temporary file left behind
    ['a.txt']
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from vlmsafety.errors import OutputExistsError

__all__ = [
    "atomic_path",
    "atomic_write",
    "check_output",
    "check_output_folder",
    "same_path",
    "terminate_as_exception",
]

PathLike = str | os.PathLike[str]


def _resolve(path: PathLike) -> Path:
    return Path(path).expanduser().resolve()


def same_path(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name the same file (resolved; also through links when both exist).

    Example:
        >>> same_path("x/../a.jsonl", "./a.jsonl"), same_path("a.jsonl", "b.jsonl")
        (True, False)
    """
    ra, rb = _resolve(a), _resolve(b)
    if ra == rb:
        return True
    try:
        return ra.exists() and rb.exists() and os.path.samefile(ra, rb)
    except OSError:
        return False


def check_output(out: PathLike, *, overwrite: bool, inputs: Iterable[PathLike | None] = ()
                 ) -> Path:
    """Check that the output file ``out`` may be written; return it as a :class:`Path`.

    Args:
        out: The file to write.
        overwrite: Whether an existing ``out`` may be replaced.
        inputs: Paths the command reads (``None`` entries are skipped); ``out`` may never be
            one of them, ``overwrite`` or not.

    Raises:
        OutputExistsError: ``out`` is an input, is a folder, or exists without ``overwrite``;
            the message names the path and the flag.
    """
    p = Path(out)
    for value in inputs:
        if value is not None and same_path(p, value):
            raise OutputExistsError(f"{p}: the output is also an input; writing it would destroy the "
                        "input: choose another output path")
    if p.is_dir():
        raise OutputExistsError(f"{p}: the output is a folder; give a file path")
    if p.exists() and not overwrite:
        raise OutputExistsError(f"{p}: output file already exists; pass --overwrite "
                    "to replace it")
    return p


def check_output_folder(
    out: PathLike, *, overwrite: bool, inputs: Iterable[PathLike | None] = (),
    entries: Collection[str] | None = None, marker: str | None = None,
    command: str = "this command",
) -> Path:
    """Check that the output folder ``out`` may be written (replacing deletes the old one).

    Args:
        out: The folder to write.
        overwrite: Whether an existing ``out`` may be replaced.
        inputs: Paths the command reads; ``out`` may not be one of them nor hold one, and an
            input may not hold ``out``'s would-be replacement either (``out`` inside an input
            folder is fine: nothing of the input is deleted).
        entries: When given, an existing ``out`` is replaced only when it holds nothing else
            (an earlier output of the same command).
        marker: When given, an existing non-empty ``out`` is replaced only when it holds this
            file (written by the command that made it), and ``overwrite`` is still needed.
        command: Who writes the folder, for messages (``"evaluation"``, ``"demo"``).

    Raises:
        OutputExistsError: naming the folder and why it is refused.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "notes.txt").write_text("mine")
        >>> check_output_folder(d, overwrite=True, marker=".made-by-demo")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.OutputExistsError: output folder ... already exists and was not written by
        this command (no .made-by-demo in it); replacing it would delete 'notes.txt': choose another
        folder (or remove it yourself)
    """
    p = Path(out)
    if not p.exists():
        return p
    if not p.is_dir():
        raise OutputExistsError(f"output folder {str(p)!r} is a file; give a folder path")
    where = _resolve(p)
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise OutputExistsError(f"output folder {str(p)!r} is (or holds) the current folder; "
                    "replacing it would delete it: choose a folder of its own")
    for value in inputs:
        if value is None:
            continue
        path = _resolve(value)
        if path == where or where in path.parents:
            raise OutputExistsError(f"output folder {str(p)!r} holds an input ({str(value)!r}); "
                        "replacing it would delete it: choose another folder")
    listing = sorted(e.name for e in p.iterdir())
    if marker is not None and listing and marker not in listing:
        raise OutputExistsError(f"output folder {str(p)!r} already exists and was not written "
                    f"by {command} (no "
                    f"{marker} in it); replacing it would delete {_shown(listing)}: choose "
                    "another folder (or remove it yourself)")
    if not overwrite:
        raise OutputExistsError(f"output folder {str(p)!r} already exists; pass --overwrite "
                    "to replace it")
    if entries is not None:
        extra = [e for e in listing if e not in entries and e != marker]
        if extra:
            raise OutputExistsError(f"output folder {str(p)!r} is not an earlier {command}'s output: "
                        f"besides {', '.join(entries)} it holds {_shown(extra)}; replacing it "
                        "would delete them, so choose another folder (or remove it yourself)")
    return p


def _shown(names: list[str]) -> str:
    return ", ".join(map(repr, names[:5])) + (f" and {len(names) - 5} more"
                                              if len(names) > 5 else "")


@contextmanager
def terminate_as_exception() -> Iterator[None]:
    """While inside, ``SIGTERM`` raises ``SystemExit(143)`` in the main thread instead of killing
    the process at once, so ``finally`` blocks (temporary files removed) run.

    Only when called from the main thread and while SIGTERM has its default action (a handler
    the program installed is left alone); nesting is fine.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def atomic_path(target: PathLike, *, folder: bool = False) -> Iterator[Path]:
    """A temporary file (or folder) beside ``target`` that replaces it when the block ends.

    The temporary is hidden (``.name.XXXX``) and in the same folder, so the final rename is
    atomic for a file; an existing folder is moved aside, replaced and then removed. On an
    exception (``KeyboardInterrupt`` and ``SIGTERM`` included) the temporary is removed and
    ``target`` is untouched. Checks (``overwrite``, inputs) are the caller's: see
    :func:`check_output`.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> with atomic_path(d / "out", folder=True) as tmp:
        ...     _ = (tmp / "a.txt").write_text("x")
        >>> [p.name for p in (d / "out").iterdir()]
        ['a.txt']
    """
    final = Path(target).absolute()  # "." or "dir/.." have no name to build a sibling from
    if final.name in ("", ".", ".."):
        final = final.resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    with terminate_as_exception():
        if folder:
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        else:
            fd, name = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
            os.close(fd)
            tmp = Path(name)
        try:
            yield tmp
            if not folder:
                os.replace(tmp, final)
            elif final.exists():
                backup = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
                os.replace(final, backup / final.name)
                os.replace(tmp, final)
                shutil.rmtree(backup, ignore_errors=True)
            else:
                os.replace(tmp, final)
        except BaseException:
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
            raise


@contextmanager
def atomic_write(target: PathLike, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Open a text file that appears at ``target`` only when the block ends without error
    (see :func:`atomic_path`)."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding=encoding) as fh:
        yield fh
