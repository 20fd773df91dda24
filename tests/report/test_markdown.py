"""Markdown helpers: exact strings."""

from __future__ import annotations

import pytest

from vlmsafety.errors import ScoringInputError
from vlmsafety.report import format_p, format_rate, leaderboard_table, markdown_table


def test_markdown_table_exact() -> None:
    got = markdown_table(["category", "SCR", "n"],
                         [["violence", 0.8123, 300], ["a|b", float("nan"), None]],
                         align=["left", "right", "center"])
    assert got == (
        "| category |   SCR |  n  |\n"
        "| :------- | ----: | :-: |\n"
        "| violence | 0.812 | 300 |\n"
        "| a\\|b     |   n/a |     |"
    )


def test_markdown_table_default_alignment_and_digits() -> None:
    assert markdown_table(["x"], [[1.0]], digits=1) == "| x   |\n| --- |\n| 1.0 |"
    assert markdown_table(["h"], []) == "| h   |\n| --- |"


def test_markdown_table_errors() -> None:
    with pytest.raises(ScoringInputError, match="row 1 has 1 cells, the header has 2"):
        markdown_table(["a", "b"], [[1, 2], [1]])
    with pytest.raises(ScoringInputError, match="align has 1 entries for 2 columns"):
        markdown_table(["a", "b"], [], align="l")
    with pytest.raises(ScoringInputError, match=r"align\[1\] = 'x'"):
        markdown_table(["a", "b"], [], align="lx")


def test_format_rate_and_p() -> None:
    assert format_rate(0.8123, 0.7712, 0.8481, 300) == "0.812 [0.771, 0.848] (n=300)"
    assert format_rate(0.8123, None, None, 300) == "0.812 (n=300)"
    assert format_rate(float("nan"), 0.1, 0.2, 0) == "n/a (n=0)"
    assert format_rate(0.5) == "0.500"
    assert format_p(0.05) == "p=0.050"
    assert format_p(0.0009) == "p<0.001"
    assert format_p(None) == ""
    with pytest.raises(ScoringInputError, match=r"in \[0, 1\], got 1.5"):
        format_p(1.5)


def test_leaderboard_exact_and_lower_is_better() -> None:
    got = leaderboard_table([("B", 0.05, 0.03, 0.08, 100), ("A", 0.2, 0.15, 0.26, 100)], [0.0001],
                            metric="benign refusal rate", higher_is_better=False)
    assert got == (
        "| rank | model | benign refusal rate [95% CI] | gap to next        |\n"
        "| ---: | :---- | :--------------------------- | :----------------- |\n"
        "|    1 | B     | 0.050 [0.030, 0.080] (n=100) | -0.150 (p<0.001) * |\n"
        "|    2 | A     | 0.200 [0.150, 0.260] (n=100) |                    |"
    )
    assert leaderboard_table([("A", 0.5, None, None, 4)], []).splitlines()[2] == \
        "|    1 | A     | 0.500 (n=4)   |             |"


def test_leaderboard_errors() -> None:
    rows = [("A", 0.5, 0.4, 0.6, 10), ("B", 0.7, 0.6, 0.8, 10)]
    with pytest.raises(ScoringInputError, match=r"sorted best first \(descending rate\): row 0"):
        leaderboard_table(rows, [0.1])
    with pytest.raises(ScoringInputError, match="needs 1 p-values"):
        leaderboard_table(rows[::-1], [])
    assert "(p=0.100)" in leaderboard_table(rows[::-1], [0.1])
    assert " *" not in leaderboard_table(rows[::-1], [0.1])
