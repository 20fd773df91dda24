"""Markdown building blocks for reports: tables, rates with intervals, a leaderboard.

Plain data in, text out; nothing here knows the structure of a results file.

Example:
    >>> print(markdown_table(["model", "rate"], [["a", 0.5], ["bb", 0.25]], align="lr"))
    | model |  rate |
    | :---- | ----: |
    | a     | 0.500 |
    | bb    | 0.250 |
    >>> format_rate(0.8123, 0.7712, 0.8481, 300)
    '0.812 [0.771, 0.848] (n=300)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from vlmsafety.errors import ScoringInputError

__all__ = ["format_p", "format_rate", "format_signed", "leaderboard_table", "markdown_table"]

_ALIGN = {"l": "left", "left": "left", "r": "right", "right": "right", "c": "center",
          "center": "center", None: None, "": None}


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = "n/a" if math.isnan(value) else f"{value:.{digits}f}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def markdown_table(
    headers: Sequence[Any], rows: Sequence[Sequence[Any]],
    align: str | Sequence[str | None] | None = None, *, digits: int = 3,
) -> str:
    """A GitHub-flavoured markdown table, padded so that it also reads well as plain text.

    Args:
        headers: Column titles.
        rows: One sequence of cells per row, as long as ``headers``. Floats are written with
            ``digits`` decimals (NaN as ``n/a``), ``None`` as an empty cell, anything else with
            ``str``; ``|`` is escaped and newlines become ``<br>``.
        align: Per column ``"left"``/``"l"``, ``"right"``/``"r"``, ``"center"``/``"c"`` or
            ``None``; a string such as ``"lrr"`` gives one letter per column.
        digits: Decimals for floats.

    Raises:
        ScoringInputError: a row or ``align`` whose length differs from ``headers``, or an
            unknown alignment.

    Example:
        >>> print(markdown_table(["a|b"], [["x\\ny"]]))
        | a\\|b   |
        | ------ |
        | x<br>y |
    """
    ncol = len(headers)
    aligns: list[str | None]
    if align is None:
        aligns = [None] * ncol
    else:
        aligns = list(align)
        if len(aligns) != ncol:
            raise ScoringInputError(f"align has {len(aligns)} entries for {ncol} columns")
        for i, a in enumerate(aligns):
            if a not in _ALIGN:
                raise ScoringInputError(
                    f"align[{i}] = {a!r} is not one of left/l, right/r, center/c or None"
                )
        aligns = [_ALIGN[a] for a in aligns]
    head = [_cell(h, digits) for h in headers]
    body: list[list[str]] = []
    for r, row in enumerate(rows):
        if len(row) != ncol:
            raise ScoringInputError(f"row {r} has {len(row)} cells, the header has {ncol}")
        body.append([_cell(v, digits) for v in row])
    widths = [max([3, len(head[c])] + [len(b[c]) for b in body]) for c in range(ncol)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for c, text in enumerate(cells):
            if aligns[c] == "right":
                out.append(text.rjust(widths[c]))
            elif aligns[c] == "center":
                out.append(text.center(widths[c]))
            else:
                out.append(text.ljust(widths[c]))
        return "| " + " | ".join(out) + " |"

    seps = []
    for c, a in enumerate(aligns):
        w = widths[c]
        seps.append({"left": ":" + "-" * (w - 1), "right": "-" * (w - 1) + ":",
                     "center": ":" + "-" * (w - 2) + ":"}.get(a or "", "-" * w))
    return "\n".join([line(head), "| " + " | ".join(seps) + " |"] + [line(b) for b in body])


def format_rate(
    rate: float | None, lo: float | None = None, hi: float | None = None,
    n: int | None = None, *, digits: int = 3,
) -> str:
    """``rate [lo, hi] (n=N)``; parts that are ``None`` are left out; no data reads ``n/a``.

    Example:
        >>> format_rate(0.5, n=10)
        '0.500 (n=10)'
        >>> format_rate(None, n=0)
        'n/a (n=0)'
        >>> format_rate(1.0, 0.7225, 1.0, 10, digits=2)
        '1.00 [0.72, 1.00] (n=10)'
    """
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        text = "n/a"
    else:
        text = f"{rate:.{digits}f}"
        if lo is not None and hi is not None:
            text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    if n is not None:
        text += f" (n={n})"
    return text


def format_p(p: float | None) -> str:
    """A p-value for a table: ``p=0.031``, ``p<0.001``; ``None`` gives an empty string.

    Example:
        >>> format_p(0.0312), format_p(0.00002), format_p(1.0)
        ('p=0.031', 'p<0.001', 'p=1.000')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    if not 0.0 <= p <= 1.0:
        raise ScoringInputError(f"a p-value must be in [0, 1], got {p!r}")
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def format_signed(value: float | None, digits: int = 3) -> str:
    """A difference with its sign; a tie is ``+0.000`` (never ``-0.000``), ``None`` is ``-``.

    Example:
        >>> format_signed(0.0421), format_signed(-0.00001), format_signed(None)
        ('+0.042', '+0.000', '-')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:+.{digits}f}"
    return "+" + text[1:] if float(text) == 0 else text


def leaderboard_table(
    rows: Sequence[tuple[str, float, float | None, float | None, int]],
    p_adjacent: Sequence[float | None],
    *, metric: str = "rate", higher_is_better: bool = True, alpha: float = 0.05, digits: int = 3,
    ci_label: str = "95% CI", gaps: Sequence[float | None] | None = None,
) -> str:
    """A ranked table of models, with the significance of each gap to the next model.

    Args:
        rows: ``(model, rate, ci_low, ci_high, n)`` sorted best first.
        p_adjacent: ``len(rows) - 1`` p-values; ``p_adjacent[i]`` tests the difference between
            rows ``i`` and ``i + 1`` (e.g. a paired bootstrap or McNemar test); ``None`` when
            not computed.
        metric: Name of the score column.
        higher_is_better: The order ``rows`` must be in.
        alpha: Gaps with ``p < alpha`` are marked ``*``.
        digits: Decimals.
        ci_label: How the interval is named in the header.
        gaps: The difference each p-value tests, one per adjacent pair (e.g. on the items both
            models have scored); default: the difference of the displayed rates. Pass it whenever
            the p-value was computed on other items than the rates, so the number beside a
            p-value is the one it tests.

    Raises:
        ScoringInputError: wrong number of p-values, or rows not sorted best first.

    Example:
        >>> print(leaderboard_table(
        ...     [("A", 0.9, 0.85, 0.94, 200), ("B", 0.8, 0.74, 0.85, 200),
        ...      ("C", 0.79, 0.73, 0.84, 200)], [0.001, 0.62], metric="SCR"))
        | rank | model | SCR [95% CI]                 | gap to next        |
        | ---: | :---- | :--------------------------- | :----------------- |
        |    1 | A     | 0.900 [0.850, 0.940] (n=200) | +0.100 (p=0.001) * |
        |    2 | B     | 0.800 [0.740, 0.850] (n=200) | +0.010 (p=0.620)   |
        |    3 | C     | 0.790 [0.730, 0.840] (n=200) |                    |
    """
    if gaps is not None and len(gaps) != len(p_adjacent):
        raise ScoringInputError(f"gaps needs {len(p_adjacent)} values, got {len(gaps)}")
    if len(p_adjacent) != max(len(rows) - 1, 0):
        raise ScoringInputError(
            f"p_adjacent needs {max(len(rows) - 1, 0)} p-values (one per adjacent pair), "
            f"got {len(p_adjacent)}"
        )
    for i in range(len(rows) - 1):
        a, b = rows[i][1], rows[i + 1][1]
        if (a < b) if higher_is_better else (a > b):
            order = "descending" if higher_is_better else "ascending"
            raise ScoringInputError(
                f"rows must be sorted best first ({order} {metric}): row {i} ({rows[i][0]!r}, "
                f"{a}) comes before row {i + 1} ({rows[i + 1][0]!r}, {b})"
            )
    table_rows = []
    for i, (model, rate, lo, hi, n) in enumerate(rows):
        gap = ""
        if i < len(rows) - 1:
            delta = rate - rows[i + 1][1] if gaps is None else gaps[i]
            p = p_adjacent[i]
            gap = "n/a" if delta is None else format_signed(delta, digits)
            if p is not None:
                gap += f" ({format_p(p)})" + (" *" if p < alpha else "")
        table_rows.append([i + 1, model, format_rate(rate, lo, hi, n, digits=digits), gap])
    return markdown_table(["rank", "model", f"{metric} [{ci_label}]", "gap to next"], table_rows,
                          align="rlll", digits=digits)
