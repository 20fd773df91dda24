"""vlmsafety: measure whether a vision-language model is safe *and* still useful.

Benchmarks published as Hub datasets, one folder each under ``vlmsafety/suites/``
(:func:`benchmarks` lists them; :func:`register_benchmark` adds your own); judges that turn
responses into behaviour labels; ``evaluate`` metrics over one scoring core.

Example:
    >>> import vlmsafety
    >>> vlmsafety.LABELS[:3]
    ('refusal', 'partial_refusal', 'safe_completion')
"""

from __future__ import annotations

from vlmsafety._version import __version__
from vlmsafety.errors import (
    DatasetNotFoundError,
    EndpointError,
    InputDataError,
    InvalidArgumentError,
    JudgeError,
    LabelError,
    MissingDependencyError,
    OutputExistsError,
    PredictionsFormatError,
    ScoringInputError,
    SourceDataError,
    UnknownNameError,
    VLMSafetyError,
)
from vlmsafety.labels import LABELS, Label, map_label
from vlmsafety.predictions import read_judgements, read_predictions, write_jsonl
from vlmsafety.specs import BenchmarkSpec, benchmarks, get_spec, register_benchmark

__all__ = [
    "__version__",
    "LABELS",
    "Label",
    "map_label",
    "BenchmarkSpec",
    "benchmarks",
    "get_spec",
    "register_benchmark",
    "read_predictions",
    "read_judgements",
    "write_jsonl",
    "VLMSafetyError",
    "LabelError",
    "JudgeError",
    "DatasetNotFoundError",
    "EndpointError",
    "InputDataError",
    "InvalidArgumentError",
    "OutputExistsError",
    "SourceDataError",
    "UnknownNameError",
    "PredictionsFormatError",
    "ScoringInputError",
    "MissingDependencyError",
]
