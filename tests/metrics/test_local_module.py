"""What evaluate's own metric suite checks of a module (``LocalModuleTest.test_load`` in
huggingface/evaluate ``tests/test_metric_common.py``), run on our three modules.

The module is loaded from its local folder through ``evaluate.loading``; its ``_compute`` takes no
``**kwargs``; and ``doctest.testmod`` on the loaded module, with ``evaluate.load`` redirected to
the local folders and evaluate's ``[...]`` ellipsis marker, finds more than one example and none
fails. The examples live in ``_KWARGS_DESCRIPTION``, which reaches the class docstring only through
``add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)``.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest.mock import patch

import evaluate
import evaluate.loading
import pytest

from vlmsafety.metric_modules import metric_names, metric_path

METRIC_NAMES = metric_names()


def load_module(name: str) -> ModuleType:
    factory = evaluate.loading.evaluation_module_factory(str(metric_path(name)), module_type="metric")
    return importlib.import_module(factory.module_path)


@pytest.fixture
def local_evaluate_load() -> Iterator[None]:
    """``evaluate.load("name", ...)`` loads the local folder ``metric_path(name)``
    (LocalModuleTest.use_local_metrics)."""
    real_load = evaluate.load

    def load_local(name: str, *args: Any, **kwargs: Any) -> evaluate.EvaluationModule:
        return real_load(str(metric_path(name)), *args, **kwargs)

    with patch("evaluate.load", side_effect=load_local), \
            patch.object(doctest, "ELLIPSIS_MARKER", "[...]"):
        yield


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_compute_takes_no_var_keyword(name: str) -> None:
    module = load_module(name)
    cls = evaluate.loading.import_main_class(module.__name__)
    assert cls is not None
    params = inspect.signature(cls._compute).parameters
    assert all(p.kind != p.VAR_KEYWORD for p in params.values()), params
    assert {"predictions", "references"} <= params.keys()


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_testmod_finds_and_passes_the_examples(name: str, local_evaluate_load: None) -> None:
    module = load_module(name)
    try:
        results = doctest.testmod(module, verbose=False, raise_on_error=True)
    except doctest.UnexpectedException as e:  # as LocalModuleTest: surface the real error
        raise e.exc_info[1] from None
    assert results.failed == 0
    assert results.attempted > 1
    cls = evaluate.loading.import_main_class(module.__name__)
    assert module._KWARGS_DESCRIPTION.strip() in (cls.__doc__ or "")  # via add_start_docstrings


def test_testmod_would_fail_without_the_kwargs_description(local_evaluate_load: None) -> None:
    """The check can fail: a module whose class docstring lacks the examples attempts none."""
    module = load_module("over_refusal")
    cls = evaluate.loading.import_main_class(module.__name__)
    with patch.object(cls, "__doc__", module._DESCRIPTION):
        results = doctest.testmod(module, verbose=False)
    assert results.attempted <= 1
