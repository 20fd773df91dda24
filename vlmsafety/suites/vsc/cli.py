"""``vlmsafety build vsc``: VSCBench as a Hub-ready folder (image_centric, text_centric, text_only).

    vlmsafety build vsc --images VSCBench.zip --out vsc                 # workbooks: pinned download
    vlmsafety build vsc --source DIR --images DIR_OR_ZIP --out vsc      # workbooks from DIR
    vlmsafety build vsc --source DIR --out vsc --render-missing --placeholders   # no image archive

Inputs are checked against their pinned sha256; every image must decode. Missing or corrupt images
are one error listing them all, unless --render-missing (typography/FigStep re-drawn from the
workbook text) and/or --placeholders (grey placeholder images) are given.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vlmsafety.cli.build_options import add_download_arguments, add_parallel_arguments

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "vsc",
        help="VSCBench: configs image_centric, text_centric, text_only (workbooks + image archive)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not exist)")
    p.add_argument("--source", metavar="DIR",
                   help="folder with vscbench_image_centric.xlsx and vscbench_text_centric.xlsx "
                        "(default: download them from the pinned commit)")
    p.add_argument("--images", metavar="DIR_OR_ZIP",
                   help="the release's image folder or zip archive")
    p.add_argument("--xstest", metavar="FILE",
                   help="XSTest's xstest_prompts.csv (default: --source's copy; without "
                        "--source, the pinned download)")
    p.add_argument("--placeholders", action="store_true",
                   help="use grey placeholders for missing/corrupt images (image_source=placeholder)")
    p.add_argument("--render-missing", action="store_true",
                   help="re-render missing typography/FigStep images from the workbook text "
                        "(image_source=rendered)")
    p.add_argument("--image-size", type=int, metavar="N",
                   help="side of rendered images and placeholders (default 512)")
    add_download_arguments(p)
    add_parallel_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``vlmsafety build vsc``; prints a JSON summary (folder, rows per config)."""
    from huggingface_hub import DatasetCard

    from vlmsafety.suites.vsc.builder import DATASET_VERSION, build_vsc

    options: dict[str, Any] = {}
    if args.image_size is not None:
        options["image_size"] = args.image_size
    if args.base_url is not None:
        options["base_url"] = args.base_url
    out = build_vsc(
        args.out, source=args.source, images=args.images, xstest=args.xstest,
        placeholders=args.placeholders, render_missing=args.render_missing,
        overwrite=args.overwrite, timeout=args.timeout, allow_unpinned=args.allow_unpinned,
        num_proc=args.num_proc, shard=args.shard, **options,
    )
    if args.shard:
        from vlmsafety.cli.build_options import part_summary

        print(json.dumps(part_summary(out), indent=2))
        return 0
    card = DatasetCard.load(out / "README.md").data.to_dict()
    infos = card.get("dataset_info", [])
    rows = {i["config_name"]: i["splits"][0]["num_examples"] for i in infos}
    images = (card.get("builder") or {}).get("images") or {}
    causes = dict(images.get("placeholder") or {})
    summary: dict[str, Any] = {"out": str(out), "version": DATASET_VERSION, "rows": rows}
    n_placeholders = sum(causes.values())
    if n_placeholders:
        n_images = images.get("total", "?")
        summary["placeholder_images"] = {"total": n_placeholders, **causes}
        by_cause = ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in causes.items() if n)
        print(f"warning: {n_placeholders} of {n_images} images are placeholders ({by_cause}); "
              "scores on these rows do not measure a model, and `vlmsafety push` refuses this "
              "folder unless --allow-placeholders", file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 0
