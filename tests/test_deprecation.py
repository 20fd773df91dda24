"""vlmsafety._deprecation: old names and keywords warn at each call and act like the new ones."""

from __future__ import annotations

import inspect
import warnings

import pytest

from vlmsafety._deprecation import (
    REMOVED_IN,
    deprecated_alias,
    renamed_kwargs,
    resolve_renamed,
)
from vlmsafety.errors import DuplicateArgumentError, VLMSafetyError


def score(values: list[int], *, groups: list[int] | None = None, scale: int = 1) -> int:
    """Sum of values times scale, plus the number of groups."""
    return sum(values) * scale + (len(set(groups)) if groups else 0)


def test_deprecated_alias_calls_through_and_warns_at_the_callers_line() -> None:
    old = deprecated_alias(score, "old_score", new_name="pkg.score")
    with pytest.warns(DeprecationWarning) as caught:
        assert old([1, 2], groups=[1, 1, 2], scale=3) == score([1, 2], groups=[1, 1, 2], scale=3)
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert msg == (f"old_score() is deprecated and will be removed in vlmsafety {REMOVED_IN}; "
                   "use pkg.score()")
    assert caught[0].filename == __file__  # stacklevel points at the caller, not the helper
    assert old.__name__ == "old_score"
    assert "Deprecated alias of :func:`pkg.score`" in (old.__doc__ or "")
    assert inspect.signature(old) == inspect.signature(score)


def test_new_name_does_not_warn() -> None:
    new = renamed_kwargs(group_ids="groups")(score)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert new([1], groups=[5, 6]) == 3


def test_renamed_kwarg_maps_to_the_new_name_and_warns() -> None:
    new = renamed_kwargs(group_ids="groups", factor="scale")(score)
    with pytest.warns(DeprecationWarning) as caught:
        got = new([1, 2], group_ids=[1, 2, 2], factor=2)  # type: ignore[call-arg]  # old names on purpose
    assert got == score([1, 2], groups=[1, 2, 2], scale=2) == 8
    assert [str(w.message).split(" is ")[0] for w in caught] == [
        "score(group_ids=...)", "score(factor=...)"]
    assert "use score(groups=...)" in str(caught[0].message)
    assert all(w.filename == __file__ for w in caught)
    assert "groups" in inspect.signature(new).parameters  # the signature shows the new names only
    assert "group_ids" not in inspect.signature(new).parameters


def test_old_and_new_keyword_together_is_an_error() -> None:
    new = renamed_kwargs(group_ids="groups")(score)
    with pytest.raises(DuplicateArgumentError, match=r"score\(\) got group_ids \(deprecated\) "
                       "and its new name groups; pass groups only"):
        new([1], group_ids=[1], groups=[1])  # type: ignore[call-arg]  # old name on purpose
    with pytest.raises(TypeError):  # still a TypeError for generic handlers
        resolve_renamed("f", "group_ids", [1], "groups", [2])
    assert issubclass(DuplicateArgumentError, VLMSafetyError)


def f(new: list[int] | None = None, old: list[int] | None = None) -> list[int] | None:
    """A function whose signature lists both names (as an evaluate module's _compute must)."""
    return resolve_renamed("f", "old", old, "new", new)


def test_resolve_renamed() -> None:
    assert f(new=[1]) == [1]
    assert f() is None
    expected = r"f\(old=\.\.\.\) is deprecated .* use f\(new=\.\.\.\)"
    with pytest.warns(DeprecationWarning, match=expected) as caught:
        assert f(old=[2]) == [2]
    assert caught[0].filename == __file__  # the line calling f, not f itself
    with pytest.raises(DuplicateArgumentError):
        f(new=[1], old=[2])
