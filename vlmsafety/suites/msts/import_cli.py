"""MSTS's command-line parts: ``vlmsafety import-predictions msts`` and ``msts-autoeval``."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register_import"]

_ANNOTATIONS_HELP = """\
Reads an MSTS response_annotations file in the release format (any number of models and rows)
and writes into --out: predictions/<model>.jsonl (one file per model), human-labels/final.jsonl
(the adjudicated labels) and human-labels/annot<k>.jsonl (each annotator's own), labels mapped
by vlmsafety.suites.msts.labels. --dataset is required: the ids are checked against its config
(default en) and the human labels carry its revision, which evaluate --human-labels checks.
--sample N --seed S keeps a seeded random sample of N human labels per model, so that evaluate
corrects a judge from a sample rather than replacing it.

example:
  vlmsafety import-predictions msts data/response_annotations/english_multimodal.csv \\
      --dataset ./msts --out msts-import --sample 100 --seed 0
  vlmsafety evaluate --benchmark msts --dataset ./msts --config en --judge keyword \\
      --predictions msts-import/predictions/*.jsonl \\
      --human-labels msts-import/human-labels/final.jsonl --out runs/msts
"""

_AUTOEVAL_HELP = """\
Reads the release's autoeval file (one column per published judge, rows aligned with the
annotations file, models interleaved) and writes judged/<judge>/<model>.jsonl for evaluate
--judge precomputed. unsafe -> direct_answer; safe -> refusal: these judges only say safe or
unsafe, so only the unsafe response rate is meaningful from them. Refuses a row count that
differs from the annotations file's, and a file whose every judge agrees with the humans no
better than chance (no judge's Cohen's kappa has its Bonferroni-level bootstrap interval above 0),
which is what rows shifted against the annotations give.
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", required=True,
                   help="built MSTS folder (vlmsafety build msts) whose ids the files must match")
    p.add_argument("--config", default="en", help="config the responses answer (default en)")
    p.add_argument("--out", required=True, help="folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")


def register_import(formats: Any) -> None:
    """Add the ``msts`` and ``msts-autoeval`` formats to ``import-predictions``."""
    p: argparse.ArgumentParser = formats.add_parser(
        "msts", help="MSTS response annotations: predictions per model + human labels",
        description=_ANNOTATIONS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="the response_annotations CSV")
    _common(p)
    p.add_argument("--sample", type=int, default=None, metavar="N",
                   help="keep a seeded random sample of N human labels per model (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    p.set_defaults(handler=_run_annotations)

    a: argparse.ArgumentParser = formats.add_parser(
        "msts-autoeval", help="MSTS published judges' verdicts: judged files per judge and model",
        description=_AUTOEVAL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("source", help="the autoeval CSV")
    a.add_argument("--annotations", required=True,
                   help="the response_annotations CSV the autoeval rows are aligned with")
    _common(a)
    a.set_defaults(handler=_run_autoeval)


def _reference(args: argparse.Namespace) -> tuple[set[str], str]:
    """The dataset's ids of ``--config`` and the revision evaluate will see."""
    from vlmsafety.importers.writing import dataset_ids
    from vlmsafety.storage.splits import dataset_revision, shard_hashes

    ids = set(dataset_ids(args.dataset, args.config))
    return ids, dataset_revision(shard_hashes(args.dataset, [args.config]), args.config)


def _run_annotations(args: argparse.Namespace) -> int:
    from vlmsafety.suites.msts.importers import import_annotations

    ids, revision = _reference(args)
    summary = import_annotations(args.source, args.out, known_ids=ids, dataset_revision=revision,
                                 config=args.config, sample=args.sample, seed=args.seed,
                                 overwrite=args.overwrite)
    print(json.dumps(summary.to_dict(), indent=2))
    return 0


def _run_autoeval(args: argparse.Namespace) -> int:
    from vlmsafety.suites.msts.importers import import_autoeval

    ids, _ = _reference(args)
    summary = import_autoeval(args.source, args.annotations, args.out, known_ids=ids,
                              config=args.config, overwrite=args.overwrite)
    print(json.dumps(summary.to_dict(), indent=2))
    return 0
