"""``vlmsafety import-predictions FORMAT SOURCE --out P``: other harnesses' outputs as predictions.

Formats: ``lmms-eval`` (``--log_samples`` files), ``vlmevalkit`` (xlsx/tsv prediction files),
``table`` (CSV, TSV, xlsx or parquet with a column mapping), ``mossbench`` (the MOSSBench release's
per-model ``data.js``). Field mappings: ``docs/importers.md``.
Prints a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register"]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="the file to import")
    p.add_argument("--out", required=True, help="predictions JSONL to write")
    p.add_argument("--model", default=None, help="model name written on every line")
    p.add_argument("--record-failures", action="store_true",
                   help="write empty responses (and harness failure markers) as failures "
                   "(response null + error) instead of stopping with an error")
    p.add_argument("--dataset", default=None,
                   help="built dataset folder (or Hub repo) whose ids the predictions must match")
    p.add_argument("--config", default=None, help="config of --dataset")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "import-predictions",
        help="convert lmms-eval / VLMEvalKit / CSV / parquet outputs to predictions JSONL",
        description="Convert another harness's per-sample outputs to vlmsafety's predictions "
        "JSONL ({id, response, model}); every row is validated and the output is read back. "
        "Field mappings are documented in docs/importers.md.",
    )
    formats = p.add_subparsers(dest="format", metavar="FORMAT")

    lm = formats.add_parser(
        "lmms-eval",
        help="lmms-eval --log_samples file (*_samples_<task>.jsonl or older <task>.json)",
    )
    _common(lm)
    lm.add_argument("--id-field", default="doc.id",
                    help="dotted path of the dataset id in each sample (default: doc.id)")
    lm.add_argument("--by-row-index", action="store_true",
                    help="the id field (e.g. doc_id) is a row index into --dataset/--config's test "
                    "split; write that row's id")
    lm.add_argument("--response-field", choices=("filtered_resps", "resps"),
                    default="filtered_resps", help="where the response is read (default: "
                    "filtered_resps, falling back to resps)")
    lm.add_argument("--filter", dest="filter_name", default=None,
                    help="keep only samples logged under this filter name")
    lm.set_defaults(handler=_run)

    vk = formats.add_parser("vlmevalkit", help="VLMEvalKit prediction file (.xlsx or .tsv)")
    _common(vk)
    vk.add_argument("--id-column", default=None,
                    help="column with the dataset id (default: id if present, else index)")
    vk.add_argument("--response-column", default="prediction",
                    help="column with the response (default %(default)s)")
    vk.add_argument("--model-column", default=None, help="column with the model name per row")
    vk.add_argument("--sheet", default=None, help="worksheet of an xlsx file (default: first)")
    vk.set_defaults(handler=_run)

    tb = formats.add_parser("table", help="CSV / TSV / xlsx / parquet with a column mapping")
    _common(tb)
    tb.add_argument("--id-column", default="id",
                    help="column with the dataset id (default %(default)s)")
    tb.add_argument("--response-column", default="response",
                    help="column with the response (default %(default)s)")
    tb.add_argument("--model-column", default=None, help="column with the model name per row")
    tb.add_argument("--sheet", default=None, help="worksheet of an xlsx file (default: first)")
    tb.add_argument("--file-format", choices=("csv", "tsv", "xlsx", "parquet"), default=None,
                    help="force the format (default: from the file suffix)")
    tb.set_defaults(handler=_run)

    from vlmsafety.specs import specs

    for spec in specs():
        if spec.import_command is not None:
            spec.import_command(formats)

    p.set_defaults(handler=lambda args: _usage(p))


def _run(args: argparse.Namespace) -> int:
    from vlmsafety import importers
    from vlmsafety.errors import PredictionsFormatError

    if (args.dataset is None) != (args.config is None):
        raise PredictionsFormatError("--dataset and --config go together")
    known = importers.dataset_ids(args.dataset, args.config) if args.dataset else None
    common: dict[str, Any] = {
        "model": args.model, "on_empty": "record" if args.record_failures else "error",
        "known_ids": known, "overwrite": args.overwrite,
    }
    if args.format == "lmms-eval":
        if args.by_row_index and known is None:
            raise PredictionsFormatError("--by-row-index needs --dataset and --config")
        summary = importers.import_lmms_eval(
            args.source, args.out, id_field=args.id_field,
            row_ids=known if args.by_row_index else None, response_field=args.response_field,
            filter_name=args.filter_name, **common,
        )
    elif args.format == "vlmevalkit":
        summary = importers.import_vlmevalkit(
            args.source, args.out, id_column=args.id_column, response_column=args.response_column,
            model_column=args.model_column, sheet=args.sheet, **common,
        )
    else:
        summary = importers.import_table(
            args.source, args.out, id_column=args.id_column, response_column=args.response_column,
            model_column=args.model_column, sheet=args.sheet, file_format=args.file_format,
            **common,
        )
    print(json.dumps(summary.to_dict(), indent=2))
    return 0


def _usage(parser: argparse.ArgumentParser) -> int:
    """No subcommand given: print the help and return exit code 1."""
    parser.print_help()
    return 1
