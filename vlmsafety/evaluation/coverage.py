"""How much of the dataset each model's predictions cover, and the warnings that follow.

A leaderboard ranks rates; a rate over 5 of 768 rows is not comparable to one over all 768, and
``--allow-missing`` makes such a run possible. Each model's coverage (rows with a prediction /
rows scored) is recorded in results.json and beside every leaderboard row, and a warning is
raised when a model's coverage is below ``min_coverage`` or when the models' coverages differ.

Example:
    >>> coverage_warnings({"a": 1.0, "b": 5 / 768}, {"a": 768, "b": 5}, 768, min_coverage=0.95)[0]
    'b: predictions for 5 of 768 rows (coverage 0.007 < --min-coverage 0.95); its rates are over the
    rows it has and are not comparable with full runs'
"""

from __future__ import annotations

from collections.abc import Mapping

from vlmsafety.errors import InvalidArgumentError

__all__ = ["DEFAULT_MIN_COVERAGE", "check_min_coverage", "coverage_warnings"]

DEFAULT_MIN_COVERAGE = 0.95
"""Below this share of the scored rows, a model's coverage is warned about."""


def check_min_coverage(min_coverage: float) -> None:
    """Raise :class:`InvalidArgumentError` unless ``min_coverage`` is a number in [0, 1]."""
    if (not isinstance(min_coverage, (int, float)) or isinstance(min_coverage, bool)
            or not 0.0 <= min_coverage <= 1.0):
        raise InvalidArgumentError(
            f"--min-coverage must be a number in [0, 1], got {min_coverage!r}")


def coverage_warnings(coverage: Mapping[str, float], n_have: Mapping[str, int], n_rows: int, *,
                      min_coverage: float = DEFAULT_MIN_COVERAGE) -> list[str]:
    """Warnings about coverage: each model below ``min_coverage``; models that differ.

    Args:
        coverage: Model -> share of the scored rows it has a prediction for.
        n_have: Model -> rows it has a prediction for.
        n_rows: Rows scored.
        min_coverage: The share below which a model is warned about.
    """
    check_min_coverage(min_coverage)
    out = [f"{m}: predictions for {n_have[m]} of {n_rows} rows (coverage {c:.3f} < "
           f"--min-coverage {min_coverage:g}); its rates are over the rows it has and are not "
           "comparable with full runs"
           for m, c in coverage.items() if c < min_coverage]
    if len(set(coverage.values())) > 1:
        listed = ", ".join(f"{m} {c:.3f}" for m, c in coverage.items())
        out.append(f"coverage differs between models ({listed}): each leaderboard rate is over "
                   "the rows that model has; gap tests use only the items both models have "
                   "(their n is shown)")
    return out
