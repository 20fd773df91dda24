"""From responses to numbers for several models at once: judge, score, compare.

:func:`evaluate_models` is what ``vlmsafety evaluate`` (and ``vlmsafety demo``) runs. It reads a built dataset (a local
folder or a Hub repo id), one predictions JSONL per model, labels every response with a judge
(the offline :class:`~vlmsafety.judges.KeywordJudge` by default, or a cached
:class:`~vlmsafety.judges.ChatJudge`), scores each model with the scoring core
(through the benchmark's spec, :mod:`vlmsafety.specs`) and ranks the models on each headline
rate, testing every adjacent gap with McNemar's exact test and a paired clustered bootstrap
interval. The result is one JSON-ready dict; :func:`write_evaluation` writes it as
``results.json`` with ``report.md`` and the plots (see :mod:`vlmsafety.report.document`);
:func:`judge_and_score` gives the same results as typed objects (:mod:`.results`).

Modules, one job each: :mod:`.inputs` (which file is which model), :mod:`.reference` (the dataset
rows), :mod:`.judging` (reading and judging each model's lines), :mod:`.leaderboard` (ranking and
gap tests), :mod:`.results` (typed results), :mod:`.output` (the output folder), :mod:`.run`
(the steps in order).

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
    >>> res = evaluate_models("dual", folder, [preds], n_boot=0, progress=False)
    >>> res["models"]["m"]["scores"]["harmful"]["overall"]["refusal_rate"]["rate"]
    1.0
"""

from __future__ import annotations

from vlmsafety.evaluation.inputs import ModelInput, parse_model_inputs
from vlmsafety.evaluation.output import OUTPUT_ENTRIES, write_evaluation
from vlmsafety.evaluation.reference import Reference, load_reference
from vlmsafety.evaluation.results import EvaluationResult
from vlmsafety.evaluation.run import evaluate_models, judge_and_score, run_evaluation

__all__ = [
    "OUTPUT_ENTRIES",
    "Benchmark",
    "EvaluationResult",
    "ModelInput",
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
