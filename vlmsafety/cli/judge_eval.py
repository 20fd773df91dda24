"""``vlmsafety judge-eval``: measure a judge against a human-labelled corpus."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

_EPILOG = """\
Shipped corpora: xstest-gpt4, xstest-llama2new, gptfuzz, msts-en, read from --data-dir, else
$VLMSAFETY_DATA_DIR, else ../shared/data beside a checkout (nothing is downloaded). msts-en also
prints the 8 published MSTS judges' unsafe detection beside the judge's. A path is read as an MSTS
release-format annotations file (by its columns), an XSTest-format file, or your own CSV/JSONL
(columns response, label, optional id, prompt, group, source); map its raw labels with
--label-map 1=refusal,0=direct_answer. See docs/judges.md.

The judge's labels are collapsed onto the labels the corpus distinguishes (partial_refusal counts
as refusal, safe_completion and irrelevant as compliance); unscored verdicts are left out and
counted. Intervals: bootstrap over the corpus's groups (XSTest: prompt; GPTFuzz: question;
MSTS: case).

examples:
  vlmsafety judge-eval --judge keyword --corpus xstest-gpt4
  vlmsafety judge-eval --judge keyword --corpus gptfuzz --json gptfuzz.json --errors errors.jsonl
  vlmsafety judge-eval --corpus msts-en
  vlmsafety judge-eval --judge chat --scheme xstest --base-url http://localhost:8000/v1 \\
      --model Qwen/Qwen2.5-7B-Instruct --corpus mine.csv --label-map yes=refusal,no=direct_answer
"""


def register(sub: Any) -> None:
    from vlmsafety.cli.judge import add_cascade_arguments, add_chat_arguments
    from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE

    p: argparse.ArgumentParser = sub.add_parser(
        "judge-eval", help="measure a judge against human labels (accuracy, F1, kappa)",
        description="Run a judge over a human-labelled corpus and print its agreement with the "
        "human labels: binary refusal accuracy, precision, recall, F1, Cohen's kappa, confusion "
        "matrix, predicted vs human refusal rate, each with a clustered bootstrap interval.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from vlmsafety.cli.judge import JUDGE_HELP

    p.add_argument("--judge", default=DEFAULT_OFFLINE_JUDGE, metavar="NAME", help=JUDGE_HELP)
    p.add_argument("--corpus", required=True, metavar="NAME_OR_PATH",
                   help="shipped corpus name or your own .csv/.jsonl file")
    p.add_argument("--data-dir", type=Path, metavar="D",
                   help="folder holding the shipped corpora (default $VLMSAFETY_DATA_DIR)")
    p.add_argument("--label-map", metavar="RAW=LABEL,...",
                   help="for your own file: raw label -> vocabulary label")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
    p.add_argument("--errors", type=Path, metavar="OUT.jsonl",
                   help="write the rows where the judge disagrees with the humans (JSONL)")
    p.add_argument("--overwrite", action="store_true", help="replace existing --json/--errors")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    from vlmsafety.corpora import XSTEST_SCHEME
    from vlmsafety.judges.chat import scheme_names

    p.add_argument("--scheme", choices=scheme_names(), default=XSTEST_SCHEME.name,
                   help="rubric of the chat judge (default %(default)s)")
    add_chat_arguments(p)
    add_cascade_arguments(p)
    p.set_defaults(handler=run)


def parse_label_map(text: str | None) -> dict[str, str] | None:
    """``"1=refusal,0=direct_answer"`` -> ``{"1": "refusal", "0": "direct_answer"}``."""
    from vlmsafety.errors import CorpusError

    if text is None:
        return None
    out: dict[str, str] = {}
    for part in text.split(","):
        raw, sep, label = part.partition("=")
        if not sep or not raw.strip() or not label.strip():
            raise CorpusError(f"--label-map: {part!r} is not RAW=LABEL "
                              "(e.g. 1=refusal,0=direct_answer)")
        out[raw.strip()] = label.strip()
    return out


def run(args: argparse.Namespace) -> int:
    from vlmsafety.cli.judge import make_judge
    from vlmsafety.corpora import load_corpus
    from vlmsafety.judges.judge_eval import evaluate_judge, format_result, write_outputs

    inputs = [Path(args.corpus)] if Path(args.corpus).is_file() else []
    outputs = {"json": args.json, "errors": args.errors}
    write_outputs(None, outputs, overwrite=args.overwrite, inputs=inputs, check_only=True)
    judge = make_judge(args)
    from vlmsafety.specs import specs

    specs()  # loading the benchmarks registers their corpora (msts-en)
    corpus = load_corpus(args.corpus, data_dir=args.data_dir,
                         label_map=parse_label_map(args.label_map))
    try:
        result = evaluate_judge(judge, corpus, n_boot=args.n_boot, seed=args.seed)
    finally:
        close = getattr(judge, "close", None)  # the chat judge's open connections
        if callable(close):
            close()
    print(format_result(result))
    write_outputs(result, outputs, overwrite=args.overwrite, inputs=inputs)
    for kind, path in outputs.items():
        if path is not None:
            print(f"wrote {kind}: {path}")
    if args.json is None and args.errors is None:
        print("(pass --json OUT for the figures as JSON; --errors OUT.jsonl for the rows)")
    return 0
