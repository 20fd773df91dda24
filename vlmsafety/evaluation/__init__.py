"""From responses to numbers for several models at once: judge, score, compare.

One :class:`EvaluationRequest` says what to evaluate (benchmark, dataset, one predictions file per
model) and how (judge, configs, settings, bootstrap, human labels); every field but the first
three has the default of ``vlmsafety evaluate``. :func:`run_evaluation` is what
``vlmsafety evaluate`` (and ``vlmsafety demo``) runs: it reads a built dataset (a local folder or
a Hub repo id) and each model's predictions, labels every response with the judge (the default
offline judge, :data:`~vlmsafety.judges.DEFAULT_OFFLINE_JUDGE`, or any name
:func:`~vlmsafety.judges.load_judge` knows, or a judge object), scores each model with the
scoring core (through the benchmark's spec, :mod:`vlmsafety.specs`), ranks the models on each
headline rate, testing every adjacent gap with McNemar's exact test and a paired clustered
bootstrap interval, and writes ``results.json`` with ``report.md`` and the plots (see
:mod:`vlmsafety.report.document`). It returns the typed :class:`EvaluationResult`
(:mod:`.results`), whose ``to_dict()`` is what ``results.json`` holds; :func:`evaluate_models`
returns the same without writing, :func:`judge_and_score` also each model's judgements.

Modules, one job each: :mod:`.request` (the request), :mod:`.inputs` (which file is which model),
:mod:`.reference` (the dataset rows), :mod:`.judging` (reading and judging each model's lines),
:mod:`.leaderboard` (ranking and gap tests), :mod:`.results` (typed results), :mod:`.output`
(the output folder), :mod:`.run` (the steps in order).

Headline rates (the leaderboards):

* DUAL-Bench: safe completion rate on harmful instructions (higher is better), refusal rate on
  their benign counterparts (over-refusal; lower is better), direct answer rate on harmful
  instructions (lower is better). All rows of the scored configs count (clean and perturbed);
  the bootstrap resamples clean source items, so an item and its perturbed copies move together.
* VSCBench, per config: SRA_u (unsafe items answered safely) and SRA_s (safe items answered
  helpfully), both higher is better; the bootstrap resamples prompt groups.
* MOSSBench: refusal rate on its benign queries, overall and per stimulus type (over-sensitivity;
  lower is better); an empty response counts as the ``empty_policy`` setting says (default
  ``"refusal"``, as MOSSBench counts it); each item is its own bootstrap cluster.

Nothing is dropped silently: a response the judge could not label is ``unscored`` (left out of
the rates, counted in ``n_unscored``), a failed generation is ``unscored`` with its error, and a
dataset row without a prediction is an error unless ``allow_missing=True``, in which case it is
counted per model and per config in ``n_missing``.

Example:
    >>> import json, tempfile, pathlib
    >>> from vlmsafety.suites.dual.builder import build_sample
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> folder = build_sample(tmp / "dual", perturbations=("jpeg",), severities=(3,),
    ...                       image_size=(128, 128), progress=False)
    >>> preds = tmp / "m.jsonl"
    >>> with preds.open("w") as f:
    ...     for i in load_reference(folder, "dual").ids:
    ...         print(json.dumps({"id": i, "response": "I can't help with that."}), file=f)
    >>> request = EvaluationRequest("dual", folder, [preds], n_boot=0, progress=False)
    >>> res = run_evaluation(request, tmp / "out", plots=False)
    >>> res.models["m"].scores["harmful"].overall.refusal_rate.rate, res.plots
    (1.0, [])
    >>> [row.model for row in res.leaderboards[0].rows]
    ['m']
    >>> json.loads((tmp / "out" / "results.json").read_text()) == res.to_dict()
    True
    >>> evaluate_models(request).to_dict()["models"]["m"]["scores"]["harmful"]["n"]
    48
"""

from __future__ import annotations

from vlmsafety.evaluation.inputs import ModelInput, parse_model_inputs
from vlmsafety.evaluation.output import OUTPUT_ENTRIES, write_evaluation
from vlmsafety.evaluation.reference import Reference, load_reference
from vlmsafety.evaluation.request import EvaluationRequest
from vlmsafety.evaluation.results import EvaluationResult, Leaderboard, LeaderboardRow, ModelResult
from vlmsafety.evaluation.run import evaluate_models, judge_and_score, run_evaluation

__all__ = [
    "OUTPUT_ENTRIES",
    "Benchmark",
    "EvaluationRequest",
    "EvaluationResult",
    "Leaderboard",
    "LeaderboardRow",
    "ModelInput",
    "ModelResult",
    "Reference",
    "evaluate_models",
    "judge_and_score",
    "load_reference",
    "parse_model_inputs",
    "run_evaluation",
    "write_evaluation",
]

Benchmark = str
"""A registered benchmark's name (:func:`vlmsafety.specs.benchmarks` lists them)."""
