"""Output paths checked and written atomically: the one rule every command that writes follows.

* :func:`check_output` / :func:`check_output_folder`: refuse an output that exists unless
  ``overwrite`` is given, and never write over an input (paths are compared resolved, so
  ``./a.jsonl`` and ``dir/../a.jsonl`` are the same file; a folder holding an input is refused
  too, since replacing it would delete the input).
* :func:`atomic_path` / :func:`atomic_write`: write to a temporary file or folder beside the
  target (same file system) and ``os.replace`` it at the end; on an error, ``KeyboardInterrupt``
  or ``SIGTERM`` the temporary is removed and the target is left as it was. A temporary is named
  ``.<name>.<kind>-<pid>-<random>``; one that a killed run (``kill -9``, a power cut) left behind
  is removed by the next write of the same target (:func:`remove_stale_temporaries`).
* Modes: outputs are created with the modes the umask gives (as ``cp`` or ``touch`` would), so a
  shared folder stays shared; the temporary's private mode is not kept.

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
import re
import shutil
import signal
import tempfile
import threading
import time
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
    "remove_stale_temporaries",
    "public_modes",
    "same_path",
    "temp_prefix",
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


_STALE_AFTER = 60.0
"""Seconds a dead process's temporary is left alone (a clock skew or a slow file system)."""


def temp_prefix(target: PathLike, kind: str = "tmp") -> str:
    """The name prefix of a temporary of ``target`` made by this process:
    ``.<name>.<kind>-<pid>-``.

    Example:
        >>> import os
        >>> temp_prefix("out/results.json") == f".results.json.tmp-{os.getpid()}-"
        True
    """
    return f".{Path(target).name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is someone else's
        return True
    return True


def remove_stale_temporaries(target: PathLike) -> list[Path]:
    """Remove the temporaries of ``target`` (see :func:`temp_prefix`) that a killed run left:
    those whose process is no longer alive on this machine and that are older than a minute.
    Returns what was removed. Nothing else is touched.
    """
    final = Path(target).absolute()
    pattern = re.compile(rf"^\.{re.escape(final.name)}\.(?:tmp|old|building)-(\d+)-")
    removed: list[Path] = []
    try:
        entries = list(final.parent.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        try:
            if now - entry.lstat().st_mtime < _STALE_AFTER:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def public_modes(path: Path) -> None:
    """Give a new output (a file, or a folder and the folders in it) the mode the umask gives
    ordinary files and folders: ``mkstemp`` and ``mkdtemp`` make them 0600 / 0700, which would
    lock others out of a shared results folder or a dataset merged on a shared disk."""
    mask = _umask()
    try:
        if path.is_dir():
            for root, dirs, _files in os.walk(path):
                for d in dirs:
                    _chmod_if_private(Path(root) / d, 0o777 & ~mask)
            _chmod_if_private(path, 0o777 & ~mask)
        else:
            _chmod_if_private(path, 0o666 & ~mask)
    except OSError:
        pass  # a file system without modes: nothing to honour


def _chmod_if_private(path: Path, mode: int) -> None:
    if path.stat().st_mode & 0o777 in (0o600, 0o700):
        path.chmod(mode)


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
    remove_stale_temporaries(final)
    with terminate_as_exception():
        if folder:
            tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(final), dir=final.parent))
        else:
            fd, name = tempfile.mkstemp(prefix=temp_prefix(final), dir=final.parent)
            os.close(fd)
            tmp = Path(name)
        try:
            yield tmp
            public_modes(tmp)
            if not folder:
                os.replace(tmp, final)
            elif final.exists():
                backup = Path(tempfile.mkdtemp(prefix=temp_prefix(final, "old"),
                                               dir=final.parent))
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
