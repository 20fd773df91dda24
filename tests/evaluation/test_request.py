"""EvaluationRequest: one typed request, checked and normalised when made."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vlmsafety.errors import InvalidArgumentError, JudgeError, ScoringInputError
from vlmsafety.evaluation import EvaluationRequest, ModelInput, evaluate_models


def test_fields_are_normalised_and_frozen(tmp_path: Path) -> None:
    req = EvaluationRequest("dual", tmp_path, tmp_path / "a.jsonl", configs=["clean"],
                            human_labels=[tmp_path / "h.jsonl"], settings={"x": 1})
    assert req.predictions == (tmp_path / "a.jsonl",)  # a single file may be given alone
    assert req.configs == ("clean",) and req.human_labels == (tmp_path / "h.jsonl",)
    assert req == EvaluationRequest("dual", tmp_path, [tmp_path / "a.jsonl"], configs=("clean",),
                                    human_labels=(tmp_path / "h.jsonl",), settings={"x": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.seed = 3  # type: ignore[misc]  # on purpose
    assert req.with_changes(seed=3).seed == 3 and req.seed == 0
    m = ModelInput("m", tmp_path / "m.jsonl")
    paths = EvaluationRequest("dual", tmp_path, [m, f"b={tmp_path / 'b.jsonl'}"]).input_paths()
    assert paths == [tmp_path / "m.jsonl", tmp_path / "b.jsonl", tmp_path]


def test_bad_values_fail_when_the_request_is_made(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="--min-coverage must be a number in"):
        EvaluationRequest("dual", tmp_path, ["a.jsonl"], min_coverage=-0.1)
    with pytest.raises(ScoringInputError, match="min_clusters must be a positive integer"):
        EvaluationRequest("dual", tmp_path, ["a.jsonl"]).with_changes(min_clusters=0)


def test_judge_options_go_to_the_named_judge(small_dual: Path, tmp_path: Path) -> None:
    preds = tmp_path / "m.jsonl"
    preds.write_text('{"id": "x", "response": "No."}\n')
    with pytest.raises(JudgeError, match=r"'keyword@1.0.0' does not take option\(s\) 'model'; "
                       "allowed: 'rules'"):
        evaluate_models(EvaluationRequest("dual", small_dual, [preds], judge="keyword@1.0.0",
                                          judge_options={"model": "m"}, progress=False))
