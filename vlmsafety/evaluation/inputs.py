"""Which predictions file is which model: ``PATH`` and ``NAME=PATH`` arguments, checked.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "run1.jsonl"
    >>> _ = p.write_text('{"id": "a", "response": "ok"}\\n')
    >>> [m.name for m in parse_model_inputs([p, f"baseline={p}"])]
    ['run1', 'baseline']
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vlmsafety.errors import ScoringInputError, VLMSafetyError

__all__ = ["ModelInput", "parse_model_inputs", "resolve_models", "split_input"]


@dataclass(frozen=True)
class ModelInput:
    """One model's predictions file and the name it is reported under."""

    name: str
    path: Path


def parse_model_inputs(values: Sequence[str | os.PathLike[str]]) -> list[ModelInput]:
    """Turn ``PATH`` or ``NAME=PATH`` arguments into named model inputs.

    A bare path is named by the ``model`` field of its lines (lines without one take the
    file's), else by the file name without its extension. A file whose lines name two models is
    refused: it would be scored as one.

    Raises:
        ScoringInputError: no file, a file that does not exist or is a folder, a file holding
            two models, or two models with one name.
    """
    if not values:
        raise ScoringInputError("at least one predictions file is needed")
    out: list[ModelInput] = []
    for value in values:
        name, path = split_input(value)
        if path.is_dir():
            raise ScoringInputError(f"predictions file {str(path)!r} is a folder; give the "
                                    "JSONL file in it (one file per model)")
        if not path.is_file():
            raise ScoringInputError(f"predictions file {str(path)!r} does not exist")
        models = _models_of(path)
        if len(models) > 1:
            raise ScoringInputError(
                f"predictions file {str(path)!r} holds the responses of {len(models)} models "
                f"({', '.join(map(repr, sorted(models)[:5]))}) in its 'model' field; they would "
                "be scored as one: give one file per model (NAME=PATH each)")
        out.append(ModelInput(name or (models.pop() if models else path.name.split(".")[0]),
                              path))
    _check_unique(out)
    return out


def resolve_models(predictions: Sequence[str | os.PathLike[str] | ModelInput]) -> list[ModelInput]:
    """Paths (or ``NAME=PATH``) parsed and named; :class:`ModelInput` objects kept as given."""
    paths = [m for m in predictions if not isinstance(m, ModelInput)]
    parsed = iter(parse_model_inputs(paths) if paths or not predictions else [])
    models = [m if isinstance(m, ModelInput) else next(parsed) for m in predictions]
    _check_unique(models)
    return models


def _check_unique(models: Sequence[ModelInput]) -> None:
    dupes = sorted(n for n, c in Counter(m.name for m in models).items() if c > 1)
    if dupes:
        raise ScoringInputError(
            f"two predictions files have the same model name {dupes}; name them as NAME=PATH")


def split_input(value: str | os.PathLike[str]) -> tuple[str | None, Path]:
    """``NAME=PATH`` -> ``(NAME, PATH)``; a bare path (also one holding '=') -> ``(None, PATH)``.

    Example:
        >>> split_input("base=runs/a.jsonl")
        ('base', PosixPath('runs/a.jsonl'))
    """
    text = os.fspath(value)
    if "=" in text and not Path(text).exists():
        name, text = text.split("=", 1)
        if not name.strip():
            raise ScoringInputError(f"{os.fspath(value)!r}: the model name before '=' is "
                                    "empty; use NAME=PATH or just PATH")
        return name, Path(text)
    return None, Path(text)


def _models_of(path: Path) -> set[str]:
    """The distinct ``model`` values of a file's lines (a bad line is left to
    :func:`~vlmsafety.predictions.read_predictions`, which names it)."""
    from vlmsafety.storage.jsonl import iter_jsonl

    names: set[str] = set()
    try:
        for _, obj in iter_jsonl(path):
            model = obj.get("model")
            if isinstance(model, str) and model:
                names.add(model)
    except (VLMSafetyError, OSError):
        pass  # read_predictions reports the bad line later
    return names
