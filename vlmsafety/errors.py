"""The exception tree of vlmsafety.

Every error the library raises on purpose derives from :class:`VLMSafetyError`, so callers can
catch one class. Errors about bad values also derive from :class:`ValueError` and the missing
dependency error from :class:`ImportError`, so generic handlers keep working.

Example:
    >>> from vlmsafety.errors import LabelError, VLMSafetyError
    >>> issubclass(LabelError, VLMSafetyError) and issubclass(LabelError, ValueError)
    True
"""

from __future__ import annotations

__all__ = [
    "VLMSafetyError",
    "LabelError",
    "JudgeError",
    "EndpointError",
    "DatasetBuildError",
    "PredictionsFormatError",
    "ScoringInputError",
    "MissingDependencyError",
]


class VLMSafetyError(Exception):
    """Base class of every error raised on purpose by vlmsafety."""


class LabelError(VLMSafetyError, ValueError):
    """A label is not in the behaviour vocabulary or in a benchmark's own label set."""


class JudgeError(VLMSafetyError):
    """A judge is misconfigured (bad endpoint, template, missing key).

    Failures while judging one response are *not* raised: they become ``unscored`` verdicts.
    """


class EndpointError(JudgeError):
    """A chat endpoint is unusable: its URL is malformed, the first request of a batch (the
    probe) failed, or too many requests in a row failed (the circuit breaker tripped).

    Raised by :class:`vlmsafety.chat_client.ChatClient` and so by the chat judge and ``generate``;
    the message names the endpoint and what came back.
    """


class DatasetBuildError(VLMSafetyError):
    """A dataset builder met bad input (missing or corrupt file, bad row, checksum mismatch)."""


class PredictionsFormatError(VLMSafetyError, ValueError):
    """A predictions or judgements file is malformed.

    Attributes:
        path: The file, when known.
        line: The 1-based line number of the first bad line, when known.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class ScoringInputError(VLMSafetyError, ValueError):
    """Inputs to a metric are inconsistent (length mismatch, empty, unknown value, missing id)."""


class MissingDependencyError(VLMSafetyError, ImportError):
    """An optional dependency is needed for this feature and is not installed."""


def require(module: str, extra: str) -> object:
    """Import an optional dependency or raise :class:`MissingDependencyError` naming the extra.

    Args:
        module: The module to import, e.g. ``"matplotlib.pyplot"``.
        extra: The pip extra that provides it, e.g. ``"plots"``.

    Returns:
        The imported module.

    Example:
        >>> require("json", "none").__name__
        'json'
        >>> require("surely_not_installed_xyz", "plots")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.MissingDependencyError: 'surely_not_installed_xyz' is needed here: pip install 'vlmsafety[plots]'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module!r} is needed here: pip install 'vlmsafety[{extra}]'"
        ) from exc
