"""``vlmsafety annotate``: label a seeded sample by hand in a local page; agreement; planning."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

_EPILOG = """\
Three modes:
  label (default): draw a seeded sample of --n responses per model (stratified by --stratify
    columns, a reserve behind it), serve a page on 127.0.0.1 and append every answer to --out
    at once (an existing --out is resumed when it is this session's own file).
  --agreement A.jsonl B.jsonl [C.jsonl ...]: Cohen's kappa (two files) or Fleiss' kappa (more)
    over the items every annotator labelled.
  --plan: how many human labels each headline rate needs for an interval of --target-width,
    from the judge's agreement with --pilot labels (or an assumed judge accuracy).
File format and guidelines: docs/human-labels.md.

examples:
  vlmsafety annotate --dataset ./dual-sample --predictions judged/model-a.jsonl \\
      --out human-ann.jsonl --n 200 --stratify instruction_type --annotator ann
  vlmsafety annotate --agreement human-ann.jsonl human-bob.jsonl
  vlmsafety annotate --plan --dataset ./dual-sample --predictions judged/model-a.jsonl \\
      --pilot human-ann.jsonl --target-width 0.05
"""


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "annotate", help="label a random sample by hand in a local page (and kappa, planning)",
        description="Label a seeded random sample of model responses by hand in a local web "
        "page (127.0.0.1, works offline), for judge-corrected rates with valid intervals.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from vlmsafety.specs import benchmarks

    p.add_argument("--dataset", metavar="DIR_OR_REPO", help="the benchmark dataset")
    p.add_argument("--predictions", nargs="+", metavar="[NAME=]P",
                   help="one predictions JSONL per model (judged files also give the judge's "
                   "label, hidden on the page until asked for)")
    p.add_argument("--benchmark", choices=benchmarks(),
                   help="the dataset's benchmark (default: told by its configs)")
    p.add_argument("--revision", metavar="SHA_OR_TAG", help="pin a Hub repo id to this revision")
    p.add_argument("--out", type=Path, metavar="FILE", help="human-labels JSONL to append to")
    p.add_argument("--n", type=int, default=200, help="items to label per model (default 200)")
    p.add_argument("--stratify", nargs="+", default=[], metavar="COL",
                   help="dataset columns whose values are the strata (proportional allocation; "
                   "default: none, one stratum)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    p.add_argument("--annotator", default=None,
                   help="your name in the file (default: the login name)")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free one; default %(default)s)")
    p.add_argument("--overwrite", action="store_true",
                   help="start --out afresh when it holds another session's labels")
    p.add_argument("--agreement", nargs="+", type=Path, metavar="FILE",
                   help="kappa between annotators' files instead of labelling")
    p.add_argument("--plan", action="store_true",
                   help="labels needed per headline rate instead of labelling")
    p.add_argument("--pilot", nargs="+", type=Path, metavar="FILE",
                   help="with --plan: human labels of a pilot (else an assumed judge accuracy)")
    p.add_argument("--target-width", type=float, default=0.05,
                   help="with --plan: full width of the 95%% interval (default 0.05)")
    p.add_argument("--assume-accuracy", type=float, default=0.85,
                   help="with --plan and no --pilot: the judge's assumed accuracy (default 0.85)")
    p.set_defaults(handler=run)


def _need(args: argparse.Namespace, *names: str) -> None:
    from vlmsafety.errors import InvalidArgumentError

    missing = [f"--{n.replace('_', '-')}" for n in names if not getattr(args, n)]
    if missing:
        raise InvalidArgumentError(f"annotate needs {', '.join(missing)} in this mode")


def run(args: argparse.Namespace) -> int:
    if args.agreement:
        from vlmsafety.annotation.agreement import annotator_agreement, format_agreement

        print(format_agreement(annotator_agreement(args.agreement)))
        return 0
    _need(args, "dataset", "predictions")
    if args.plan:
        from vlmsafety.annotation.plan import format_plan, plan_annotation

        print(format_plan(plan_annotation(
            args.dataset, args.predictions, benchmark=args.benchmark, pilot=args.pilot,
            target_width=args.target_width, assume_accuracy=args.assume_accuracy,
            revision=args.revision)))
        return 0
    _need(args, "out")
    return _label(args)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container: --annotator names you
        return ""


def _label(args: argparse.Namespace) -> int:
    from vlmsafety.annotation import ImageStore, Session, load_annotation_set, serve
    from vlmsafety.errors import OutputExistsError
    from vlmsafety.evaluation.inputs import split_input
    from vlmsafety.storage.files import atomic_write, check_output

    inputs = [split_input(p)[1] for p in args.predictions] + [Path(args.dataset)]
    check_output(args.out, overwrite=True, inputs=inputs)  # never an input
    aset = load_annotation_set(args.dataset, args.predictions, benchmark=args.benchmark,
                               n=args.n, stratify=args.stratify, seed=args.seed,
                               revision=args.revision)
    annotator = args.annotator or _login() or "annotator"
    try:
        session = Session(aset, args.out, annotator)
    except OutputExistsError:
        if not args.overwrite:
            raise
        with atomic_write(args.out) as fh:
            fh.write("")
        session = Session(aset, args.out, annotator)
    p = session.progress()
    failed = sum(aset.n_failed.values())
    print(f"{aset.spec.title}: {len(aset.models)} model(s), {p['target']} items to label "
          f"({args.n} per model{', stratified by ' + ', '.join(args.stratify) if args.stratify else ''}"
          f", seed {args.seed}); {p['labelled']} labelled and {p['skipped']} skipped so far"
          + (f"; {failed} failed generations left out of the draw" if failed else ""))
    print(f"labels go to {args.out} (annotator {annotator!r}); Ctrl+C stops, a restart resumes")

    def ready(url: str) -> None:
        print(f"serving on {url}", flush=True)

    try:
        serve(session, ImageStore(aset.reference.source, args.revision), port=args.port,
              ready=ready)
    except KeyboardInterrupt:
        p = session.progress()
        print(f"stopped: {p['labelled']} labelled, {p['skipped']} skipped, {p['remaining']} to go",
              file=sys.stderr)
    return 0
