"""Validation and integer encoding of metric inputs: the bottom of :mod:`vlmsafety.scoring`.

Inputs are validated here once for every metric: lengths must match, input must not be empty,
labels must be vocabulary labels (:func:`vlmsafety.labels.check_label` names the position, the
value and the allowed set), reference values must be in the metric's allowed set, and ``unscored``
verdicts follow an explicit policy (:data:`UnscoredPolicy`):

* ``"exclude"`` (default): unscored items leave every denominator; their count is reported.
* ``"include"``: unscored items stay in denominators and are never in a numerator, so for
  accuracy-like rates they count as wrong (a conservative bound).
* ``"raise"``: any unscored item is an error.

Categorical inputs are encoded as integer codes over *sorted* levels, so results and bootstrap
draws do not depend on row order, and all counting is ``numpy.bincount``.

This module imports nothing else from :mod:`vlmsafety.scoring`; :mod:`.stats` (intervals,
bootstrap, tests) sits on it, :mod:`.core` (rates and result types) on both, and the
per-benchmark modules on top.

Example:
    >>> codes, levels = encode(["b", "a", "b"], "categories")
    >>> codes.tolist(), levels
    ([1, 0, 1], ('a', 'b'))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, Literal

import numpy as np

from vlmsafety.errors import ScoringInputError
from vlmsafety.labels import LABELS, UNSCORED, check_label

__all__ = [
    "LABEL_INDEX",
    "UNSCORED_CODE",
    "UNSCORED_POLICIES",
    "UnscoredPolicy",
    "check_lengths",
    "check_option",
    "check_unscored_policy",
    "cluster_codes",
    "encode",
    "encode_choice",
    "encode_labels",
    "handle_unscored",
]

UnscoredPolicy = Literal["exclude", "include", "raise"]
UNSCORED_POLICIES: tuple[str, ...] = ("exclude", "include", "raise")

LABEL_INDEX: dict[str, int] = {lab: i for i, lab in enumerate(LABELS)}
"""Integer code of each vocabulary label (its position in :data:`vlmsafety.labels.LABELS`)."""
UNSCORED_CODE = LABEL_INDEX[UNSCORED]


def check_lengths(n_expected: int, **columns: Sequence[Any] | np.ndarray | None) -> None:
    """Raise :class:`ScoringInputError` if a given column's length differs from ``n_expected``.

    Example:
        >>> check_lengths(2, references=["safe"])
        Traceback (most recent call last):
        ...
        vlmsafety.errors.ScoringInputError: references has 1 items but predictions has 2; every
        per-item argument needs one value per prediction
    """
    for name, col in columns.items():
        if col is None:
            continue
        try:
            size = len(col)
        except TypeError:
            raise ScoringInputError(
                f"{name} must be a sequence with one value per prediction, got {type(col).__name__}"
            ) from None
        if size != n_expected:
            raise ScoringInputError(
                f"{name} has {size} items but predictions has {n_expected}; every per-item "
                "argument needs one value per prediction"
            )


def check_option(value: object, name: str, allowed: Iterable[str]) -> None:
    """Raise :class:`ScoringInputError` unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ScoringInputError(f"{name}={value!r} is not allowed; allowed: {', '.join(map(repr, allowed))}")


def check_unscored_policy(policy: object) -> None:
    """Validate an :data:`UnscoredPolicy`."""
    check_option(policy, "unscored", UNSCORED_POLICIES)


def _as_list(values: Sequence[Any] | np.ndarray | Iterable[Any], name: str) -> list[Any]:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ScoringInputError(f"{name} must be one-dimensional, got shape {values.shape}")
        return values.tolist()
    if isinstance(values, (str, bytes)):
        raise ScoringInputError(f"{name} must be a sequence of values, got a single string {values!r}")
    if isinstance(values, list):
        return values
    try:
        return list(values)
    except TypeError:
        raise ScoringInputError(f"{name} must be a sequence, got {type(values).__name__}") from None


def encode(
    values: Sequence[Any] | np.ndarray, name: str, *, allow_none: bool = False
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Encode values as integer codes over their sorted distinct levels.

    Args:
        values: Hashable values (strings, integers, ...), one per item.
        name: Argument name, used in error messages.
        allow_none: Accept ``None`` as a level of its own.

    Returns:
        ``(codes, levels)``: ``int64`` codes with ``levels[codes[i]] == values[i]``.

    Raises:
        ScoringInputError: A value is unhashable, or ``None`` where not allowed (names the position).

    Example:
        >>> encode([3, 1, 3], "severities")[0].tolist()
        [1, 0, 1]
        >>> encode(["a", None], "categories")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.ScoringInputError: categories: position 1: None is not allowed; give every item a value
    """
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iub":
        levels_arr, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.int64).ravel(), tuple(levels_arr.tolist())
    seq = _as_list(values, name)
    try:
        uniq = set(seq)
    except TypeError:
        for i, v in enumerate(seq):
            try:
                hash(v)
            except TypeError:
                raise ScoringInputError(
                    f"{name}: position {i}: {v!r} ({type(v).__name__}) is not a valid value; "
                    "use strings or integers"
                ) from None
        raise  # pragma: no cover
    if None in uniq and not allow_none:
        pos = seq.index(None)
        raise ScoringInputError(f"{name}: position {pos}: None is not allowed; give every item a value")
    try:
        levels = sorted(uniq)
    except TypeError:  # mixed types: order by type name, then value's repr
        levels = sorted(uniq, key=lambda v: (type(v).__name__, repr(v)))
    index = {v: i for i, v in enumerate(levels)}
    codes = np.fromiter(map(index.__getitem__, seq), dtype=np.int64, count=len(seq))
    return codes, tuple(levels)


def cluster_codes(
    values: Sequence[Any] | np.ndarray | None, n: int, name: str = "clusters"
) -> tuple[np.ndarray, int]:
    """Bootstrap cluster code of each of ``n`` items and the number of clusters.

    ``values`` are encoded with :func:`encode` (sorted levels); ``None`` makes every item its own
    cluster.

    Example:
        >>> codes, n_clusters = cluster_codes(["p2", "p1", "p2"], 3)
        >>> codes.tolist(), n_clusters
        ([1, 0, 1], 2)
        >>> cluster_codes(None, 2)[0].tolist()
        [0, 1]
    """
    if values is None:
        return np.arange(n, dtype=np.int64), n
    codes, levels = encode(values, name)
    return codes, len(levels)


def encode_labels(predictions: Sequence[Any] | np.ndarray, name: str = "predictions") -> np.ndarray:
    """Encode vocabulary labels as codes in :data:`LABEL_INDEX` order.

    Raises:
        LabelError: The first value that is not a label, with its position and the allowed set.
        ScoringInputError: ``predictions`` is empty.

    Example:
        >>> encode_labels(["refusal", "unscored"]).tolist()
        [0, 5]
        >>> encode_labels(["refusal", "Refusal"])
        Traceback (most recent call last):
        ...
        vlmsafety.errors.LabelError: position 1: 'Refusal' is not a behaviour label; allowed:
        'refusal', 'partial_refusal', 'safe_completion', 'direct_answer', 'irrelevant', 'unscored'
    """
    seq = _as_list(predictions, name)
    if not seq:
        raise ScoringInputError(f"{name} is empty; need at least one item")
    pos = _first_unknown(seq, LABEL_INDEX)
    if pos is None:
        return _codes(seq, LABEL_INDEX)
    check_label(seq[pos], position=pos)
    raise AssertionError("unreachable")  # pragma: no cover


def _codes(seq: list[Any], index: Mapping[Any, int]) -> np.ndarray:
    return np.fromiter(map(index.get, seq, repeat(-1)), dtype=np.int64, count=len(seq))


def _first_unknown(seq: list[Any], index: Mapping[Any, int]) -> int | None:
    """Position of the first value not in ``index`` (None if all are known)."""
    try:
        if set(seq) <= index.keys():
            return None
    except TypeError:  # an unhashable value: find it below
        pass
    for i, v in enumerate(seq):
        try:
            if v not in index:
                return i
        except TypeError:
            return i
    return None  # pragma: no cover


def encode_choice(
    values: Sequence[Any] | np.ndarray, name: str, allowed: Sequence[str]
) -> np.ndarray:
    """Encode values that must come from a closed set, as codes in ``allowed`` order.

    Raises:
        ScoringInputError: The first value not in ``allowed``, with its position.

    Example:
        >>> encode_choice(["unsafe", "safe"], "references", ("safe", "unsafe")).tolist()
        [1, 0]
        >>> encode_choice(["safe", "harmful"], "references", ("safe", "unsafe"))
        Traceback (most recent call last):
        ...
        vlmsafety.errors.ScoringInputError: references: position 1: 'harmful' is not allowed; allowed: 'safe', 'unsafe'
    """
    seq = _as_list(values, name)
    index = {v: i for i, v in enumerate(allowed)}
    pos = _first_unknown(seq, index)
    if pos is not None:
        raise ScoringInputError(
            f"{name}: position {pos}: {seq[pos]!r} is not allowed; allowed: {', '.join(map(repr, allowed))}"
        )
    return _codes(seq, index)


def handle_unscored(labels: np.ndarray, policy: str) -> None:
    """Apply the ``"raise"`` policy (the others are applied when denominators are formed)."""
    check_unscored_policy(policy)
    if policy == "raise":
        bad = np.flatnonzero(labels == UNSCORED_CODE)
        if bad.size:
            raise ScoringInputError(
                f"predictions: position {int(bad[0])}: 'unscored' with unscored='raise' "
                f"({bad.size} unscored in total); pass unscored='exclude' or 'include' to score anyway"
            )

