"""The exception tree of vlmsafety: errors are named by *what failed*, not by the phase.

Every error the library raises on purpose derives from :class:`VLMSafetyError`, so callers can
catch one class. Errors about bad values also derive from :class:`ValueError`, an existing output
from :class:`FileExistsError` and the missing dependency from :class:`ImportError`, so generic
handlers keep working::

    VLMSafetyError
    ├── InvalidArgumentError (ValueError)   an argument or option outside its allowed set or range
    │   ├── UnknownNameError                 no benchmark, config, judge, corpus... of that name
    │   └── PerturbationError                an unknown perturbation name or severity
    ├── LabelError (ValueError)              a label outside the vocabulary or a benchmark's label set
    ├── InputDataError (ValueError)          data handed in is malformed or inconsistent
    │   ├── PredictionsFormatError           a predictions / judgements file is malformed
    │   │   └── HumanLabelsFormatError       a human-labels file is malformed (file:line named)
    │   ├── HumanLabelsMismatchError         human labels judged another response text or revision
    │   ├── ScoringInputError                metric inputs disagree (lengths, empty, missing ids)
    │   ├── DatasetRowError                  a dataset row lacks a column or holds a bad image
    │   └── CorpusError                      a human-labelled corpus cannot be read or is malformed
    ├── SourceDataError                      a release's files are missing, corrupt or mismatched
    ├── DatasetNotFoundError                 a dataset folder or Hub repo cannot be read
    ├── OutputExistsError (FileExistsError)  an output exists, or writing it would clobber an input
    ├── EndpointError                        an endpoint is misconfigured (URL, model, key)
    ├── JudgeError                           a judge is misconfigured (template, rules, registry)
    ├── CacheError                           the on-disk cache cannot be created or opened
    ├── HubPublishError (ValueError)         a folder cannot be published as asked
    └── MissingDependencyError (ImportError) an optional dependency is not installed

Failures while judging one response are never raised: they become ``unscored`` verdicts.

Example:
    >>> from vlmsafety.errors import LabelError, OutputExistsError, VLMSafetyError
    >>> issubclass(LabelError, VLMSafetyError) and issubclass(LabelError, ValueError)
    True
    >>> issubclass(OutputExistsError, FileExistsError)
    True
"""

from __future__ import annotations

from types import ModuleType

__all__ = [
    "VLMSafetyError",
    "InvalidArgumentError",
    "UnknownNameError",
    "PerturbationError",
    "LabelError",
    "InputDataError",
    "PredictionsFormatError",
    "HumanLabelsFormatError",
    "HumanLabelsMismatchError",
    "ScoringInputError",
    "DatasetRowError",
    "CorpusError",
    "SourceDataError",
    "DatasetNotFoundError",
    "OutputExistsError",
    "EndpointError",
    "JudgeError",
    "CacheError",
    "HubPublishError",
    "MissingDependencyError",
    "require",
]


class VLMSafetyError(Exception):
    """Base class of every error raised on purpose by vlmsafety."""


class InvalidArgumentError(VLMSafetyError, ValueError):
    """An argument or command-line option is outside its allowed set or range."""


class UnknownNameError(InvalidArgumentError):
    """No benchmark, config, judge, corpus or other registered thing has this name."""


class PerturbationError(InvalidArgumentError):
    """An unknown perturbation name or severity level."""


class LabelError(VLMSafetyError, ValueError):
    """A label is not in the behaviour vocabulary or in a benchmark's own label set."""


class InputDataError(VLMSafetyError, ValueError):
    """Data handed to vlmsafety (a file, rows, columns) is malformed or inconsistent."""


class PredictionsFormatError(InputDataError):
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


class HumanLabelsFormatError(PredictionsFormatError):
    """A human-labels file (``vlmsafety annotate``'s output) is malformed: bad JSON, a missing or
    mistyped field, an unknown action, or a label outside its benchmark's label set."""


class HumanLabelsMismatchError(InputDataError):
    """Human labels do not belong to what is scored: another response text (response_sha256), another
    dataset revision, or another benchmark."""


class ScoringInputError(InputDataError):
    """Inputs to a metric are inconsistent (length mismatch, empty, unknown value, missing id)."""


class DatasetRowError(InputDataError):
    """A dataset row lacks a needed column, has a bad id, or holds an image that cannot be read."""


class CorpusError(InputDataError):
    """A human-labelled corpus cannot be read: unknown name, missing data folder, checksum
    mismatch, missing column or a label outside the allowed set."""


class SourceDataError(VLMSafetyError):
    """A benchmark release's files are missing, corrupt, or do not match their pinned checksum."""


class DatasetNotFoundError(VLMSafetyError):
    """A dataset folder or Hub repo id cannot be read (no such folder, no configs, offline)."""


class OutputExistsError(VLMSafetyError, FileExistsError):
    """An output exists (and ``overwrite`` was not given), or writing it would replace an input."""


class EndpointError(VLMSafetyError):
    """An HTTP endpoint is misconfigured or unusable: a malformed URL, no model or key, the first
    request of a batch (the probe) failed, or too many requests in a row failed (the circuit
    breaker tripped). The message names the endpoint and what came back."""


class JudgeError(VLMSafetyError):
    """A judge is misconfigured (bad template or rules, unknown registry name).

    Failures while judging one response are *not* raised: they become ``unscored`` verdicts.
    """


class CacheError(VLMSafetyError):
    """The on-disk cache (:class:`vlmsafety.storage.cache.SQLiteCache`) cannot be created or
    opened: an unwritable folder, a file that is not an SQLite database, a locked database."""


class HubPublishError(VLMSafetyError, ValueError):
    """A folder cannot be published as asked (invalid folder, bad repo id, missing token)."""


class MissingDependencyError(VLMSafetyError, ImportError):
    """An optional dependency is needed for this feature and is not installed."""


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency or raise :class:`MissingDependencyError` naming the extra.

    Args:
        module: The module to import, e.g. ``"matplotlib.pyplot"``.
        extra: The pip extra that provides it, e.g. ``"plots"``.

    Returns:
        The imported module. Its attributes type as ``Any``: the caller needs no
        ``type: ignore`` for an optional dependency's names, and no import of it at module level.

    Example:
        >>> require("json", "none").__name__
        'json'
        >>> require("surely_not_installed_xyz", "plots")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.MissingDependencyError: 'surely_not_installed_xyz' is needed here: pip
        install 'vlmsafety[plots]'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module!r} is needed here: pip install 'vlmsafety[{extra}]'"
        ) from exc
