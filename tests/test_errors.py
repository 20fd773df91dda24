from __future__ import annotations

import pytest

from vlmsafety import errors


def test_tree() -> None:
    for cls in (errors.LabelError, errors.JudgeError, errors.DatasetBuildError,
                errors.PredictionsFormatError, errors.ScoringInputError, errors.MissingDependencyError):
        assert issubclass(cls, errors.VLMSafetyError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    assert issubclass(errors.PredictionsFormatError, ValueError)


def test_predictions_error_location() -> None:
    e = errors.PredictionsFormatError("bad", path="p.jsonl", line=3)
    assert str(e) == "p.jsonl:3: bad" and e.line == 3
    assert str(errors.PredictionsFormatError("bad")) == "bad"


def test_require_names_the_extra() -> None:
    with pytest.raises(errors.MissingDependencyError, match=r"pip install 'vlmsafety\[plots\]'"):
        errors.require("no_such_module_abc", "plots")
