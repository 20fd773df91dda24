"""Report building blocks: markdown tables and PNG figures from plain data.

Markdown helpers need nothing beyond the standard library; the plotting functions import
matplotlib when called (``pip install 'vlmsafety[plots]'``), so importing this package is cheap.

Example:
    >>> from vlmsafety.report import format_rate
    >>> format_rate(0.25, 0.1, 0.4, 20)
    '0.250 [0.100, 0.400] (n=20)'
"""

from __future__ import annotations

from vlmsafety.report.markdown import (
    format_p,
    format_rate,
    format_signed,
    leaderboard_table,
    markdown_table,
)
from vlmsafety.report.plots import category_bars, robustness_curves, tradeoff_scatter

__all__ = [
    "category_bars",
    "format_p",
    "format_rate",
    "format_signed",
    "leaderboard_table",
    "markdown_table",
    "robustness_curves",
    "tradeoff_scatter",
]
