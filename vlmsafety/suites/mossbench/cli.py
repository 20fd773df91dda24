"""``vlmsafety build mossbench``: MOSSBench as a Hub-ready folder (one config, 300 rows).

    vlmsafety build mossbench --out mossbench                 # download at the pinned commit
    vlmsafety build mossbench --source MOSSBench --out mossbench   # a local clone or copy

information.csv is checked against its pinned sha256; every image must decode within the size
limits, and the images with a known checksum must match it. Missing or bad images are one error
naming the first few and the count, unless --placeholders is given.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from vlmsafety.cli.build_options import add_download_arguments

__all__ = ["register", "register_import", "run", "run_import"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "mossbench",
        help="MOSSBench: 300 benign queries over images (over-sensitivity), from the release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not exist)")
    p.add_argument("--source", metavar="DIR",
                   help="a clone or copy of the release: information.csv and data/images/ "
                        "(default: download them from the pinned commit)")
    p.add_argument("--placeholders", action="store_true",
                   help="use grey placeholders for missing/bad images (image_source=placeholder)")
    add_download_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``vlmsafety build mossbench``; prints a JSON summary (folder, rows)."""
    from huggingface_hub import DatasetCard

    from vlmsafety.cli.build_options import warn_placeholders
    from vlmsafety.suites.mossbench.builder import DATASET_VERSION, build_mossbench

    options: dict[str, Any] = {}
    if args.base_url is not None:
        options["base_url"] = args.base_url
    out = build_mossbench(
        args.out, source=args.source, placeholders=args.placeholders, overwrite=args.overwrite,
        timeout=args.timeout, allow_unpinned=args.allow_unpinned, **options,
    )
    infos = DatasetCard.load(out / "README.md").data.to_dict().get("dataset_info", [])
    infos = infos if isinstance(infos, list) else [infos]
    rows = {i.get("config_name", "default"): i["splits"][0]["num_examples"] for i in infos}
    n_placeholders = warn_placeholders(out)  # as build vsc does
    print(json.dumps({"out": str(out), "version": DATASET_VERSION, "rows": rows,
                      **({"placeholder_images": n_placeholders} if n_placeholders else {})},
                     indent=2))
    return 0


def register_import(formats: Any) -> None:
    """Add ``vlmsafety import-predictions mossbench`` (the release's per-model data.js)."""
    mb = formats.add_parser(
        "mossbench",
        help="MOSSBench release: data/results/<model>/data.js (cache['<model>'] = {pid: ...})",
        description="One model's responses from the MOSSBench release. Ids become the dataset's "
        "(mossbench-001 ... mossbench-300); empty responses are kept as empty strings (MOSSBench "
        "counts them as refusals); null responses are written as failures (response null + "
        "error), which evaluate leaves out, or reads as no text with --setting "
        "null_policy=empty (MOSSBench's reading). The model name defaults to the one in the "
        "file.",
    )
    mb.add_argument("source", help="the data.js file")
    mb.add_argument("--out", required=True, help="predictions JSONL to write")
    mb.add_argument("--model", default=None,
                    help="model name written on every line (default: the name in the file)")
    mb.add_argument("--dataset", default=None,
                    help="built MOSSBench folder whose ids the predictions must match")
    mb.add_argument("--config", default="default", help="config of --dataset (default: default)")
    mb.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    mb.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from vlmsafety.importers import dataset_ids
    from vlmsafety.suites.mossbench.importer import import_mossbench

    known = dataset_ids(args.dataset, args.config) if args.dataset else None
    summary = import_mossbench(args.source, args.out, model=args.model,
                              known_ids=known, overwrite=args.overwrite)
    print(json.dumps(summary.to_dict(), indent=2))
    return 0
