"""Deprecated names, accepted for one release with a :class:`DeprecationWarning`.

One helper for every rename, so the warnings read alike and say when the old name goes:

* :func:`deprecated_alias` - an old function name that calls the new function;
* :func:`renamed_kwargs` - a decorator accepting old keyword names for new ones;
* :func:`resolve_renamed` - the same for a signature that must list both names (an ``evaluate``
  module's ``_compute`` may not take ``**kwargs``).

Giving both the old and the new name of a keyword raises :class:`DuplicateArgumentError`.

Example:
    >>> import warnings
    >>> @renamed_kwargs(pair_ids="prompt_ids")
    ... def count(*, prompt_ids=None):
    ...     return len(prompt_ids)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     count(pair_ids=[1, 1, 2])
    3
    >>> print(caught[0].category.__name__, caught[0].message)
    DeprecationWarning count(pair_ids=...) is deprecated and will be removed in vlmsafety 0.2.0; use count(prompt_ids=...)
    >>> count(pair_ids=[1], prompt_ids=[1])
    Traceback (most recent call last):
    ...
    vlmsafety.errors.DuplicateArgumentError: count() got pair_ids (deprecated) and its new name prompt_ids; pass prompt_ids only
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from vlmsafety.errors import DuplicateArgumentError

__all__ = ["REMOVED_IN", "deprecated_alias", "renamed_kwargs", "resolve_renamed", "warn_deprecated"]

REMOVED_IN = "0.2.0"
"""The release that drops the deprecated names (one release after they were renamed)."""

P = ParamSpec("P")
R = TypeVar("R")


def warn_deprecated(old: str, new: str, *, stacklevel: int = 2) -> None:
    """Emit the :class:`DeprecationWarning` for ``old``, naming its replacement ``new``.

    Args:
        old: What the caller used, e.g. ``"safe_completion()"``.
        new: What to use instead.
        stacklevel: As for :func:`warnings.warn`, counted from the caller of this function.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("error")
        ...     warn_deprecated("f()", "g()")
        Traceback (most recent call last):
        ...
        DeprecationWarning: f() is deprecated and will be removed in vlmsafety 0.2.0; use g()
    """
    warnings.warn(f"{old} is deprecated and will be removed in vlmsafety {REMOVED_IN}; use {new}",
                  DeprecationWarning, stacklevel=stacklevel + 1)


def deprecated_alias(
    func: Callable[P, R], old_name: str, *, new_name: str | None = None
) -> Callable[P, R]:
    """An old name of ``func``: calls it unchanged and warns at each call.

    Args:
        func: The function under its new name.
        old_name: The deprecated name (the alias's ``__name__``).
        new_name: How the warning names ``func``; default its qualified name.

    Example:
        >>> import warnings
        >>> def score_x(a):
        ...     return a + 1
        >>> old = deprecated_alias(score_x, "score")
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     old(1)
        2
        >>> old.__name__, str(caught[0].message)
        ('score', 'score() is deprecated and will be removed in vlmsafety 0.2.0; use score_x()')
    """
    new = new_name or func.__qualname__

    @functools.wraps(func)
    def alias(*args: P.args, **kwargs: P.kwargs) -> R:
        warn_deprecated(f"{old_name}()", f"{new}()")
        return func(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old_name
    alias.__doc__ = f"Deprecated alias of :func:`{new}` (removed in vlmsafety {REMOVED_IN})."
    return alias


def resolve_renamed(
    where: str, old: str, old_value: Any, new: str, new_value: Any, *, stacklevel: int = 2
) -> Any:
    """The value of a renamed keyword whose old and new names are both parameters (default None).

    Warns when the old name was given, raises when both were.

    Args:
        where: The function, for messages (``"safety_calibration"``).
        old: The deprecated keyword name. old_value: What the caller gave under it.
        new: The new keyword name. new_value: What the caller gave under it.
        stacklevel: As for :func:`warn_deprecated`, counted from the caller of this function.

    Example:
        >>> resolve_renamed("f", "pair_ids", None, "prompt_ids", [1, 2])
        [1, 2]
    """
    if old_value is None:
        return new_value
    if new_value is not None:
        raise _both_given(where, old, new)
    warn_deprecated(f"{where}({old}=...)", f"{where}({new}=...)", stacklevel=stacklevel + 1)
    return old_value


def _both_given(where: str, old: str, new: str) -> DuplicateArgumentError:
    return DuplicateArgumentError(
        f"{where}() got {old} (deprecated) and its new name {new}; pass {new} only")


def renamed_kwargs(**renames: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: accept each deprecated keyword ``old`` (``old="new"``) in place of ``new``.

    The decorated function keeps its signature (only the new names); a caller using an old name
    gets a :class:`DeprecationWarning` and the value under the new name.

    Example:
        >>> @renamed_kwargs(n="count")
        ... def repeat(text, *, count=1):
        ...     return text * count
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     repeat("ab", n=2)
        'abab'
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise _both_given(func.__name__, old, new)
                    warn_deprecated(f"{func.__name__}({old}=...)", f"{func.__name__}({new}=...)")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
