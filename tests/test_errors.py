from __future__ import annotations

import pytest

from vlmsafety import errors


def test_tree() -> None:
    for cls in (errors.LabelError, errors.JudgeError, errors.SourceDataError,
                errors.PredictionsFormatError, errors.ScoringInputError, errors.MissingDependencyError):
        assert issubclass(cls, errors.VLMSafetyError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    assert issubclass(errors.PredictionsFormatError, ValueError)


def test_every_public_error_is_in_the_tree_and_named_in_the_docstring() -> None:
    """Each class of errors.__all__ derives from VLMSafetyError and is drawn in the module docstring."""
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if not isinstance(obj, type):
            continue
        assert issubclass(obj, errors.VLMSafetyError), name
        assert name in doc, f"{name} is not drawn in the tree of errors.__doc__"


def test_generic_bases_kept_for_generic_handlers() -> None:
    for cls in (errors.InvalidArgumentError, errors.UnknownNameError, errors.PerturbationError,
                errors.LabelError, errors.ScoringInputError, errors.DatasetRowError,
                errors.HubPublishError):
        assert issubclass(cls, ValueError), cls
    assert issubclass(errors.OutputExistsError, FileExistsError)


def test_old_names_are_gone_and_moved_classes_are_the_same() -> None:
    assert not hasattr(errors, "DatasetBuildError") and not hasattr(errors, "DuplicateArgumentError")
    from vlmsafety.hub import HubPublishError
    from vlmsafety.perturb import PerturbationError

    assert HubPublishError is errors.HubPublishError
    assert PerturbationError is errors.PerturbationError


def test_no_exception_class_defined_outside_errors() -> None:
    """The tree lives in one module: no other module under vlmsafety/ defines an exception class."""
    import re
    from pathlib import Path

    root = Path(errors.__file__).parent
    pattern = re.compile(r"^class \w+\((?:[\w.]*Error|[\w.]*Exception)\b", re.MULTILINE)
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "errors.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_predictions_error_location() -> None:
    e = errors.PredictionsFormatError("bad", path="p.jsonl", line=3)
    assert str(e) == "p.jsonl:3: bad" and e.line == 3
    assert str(errors.PredictionsFormatError("bad")) == "bad"


def test_require_names_the_extra() -> None:
    with pytest.raises(errors.MissingDependencyError, match=r"pip install 'vlmsafety\[plots\]'"):
        errors.require("no_such_module_abc", "plots")
