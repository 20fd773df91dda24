"""``vlmsafety build dual``: DUAL-Bench (or a DUAL-style set) as a Hub-ready folder.

Three sources, exactly one per call::

    vlmsafety build dual --sample --out DIR                      # the embedded 48-item sample
    vlmsafety build dual --instructions list.csv --out DIR       # render instructions into images
    vlmsafety build dual --release RELEASE_DIR --out DIR         # manifest.{jsonl,csv} + images
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from vlmsafety.cli.build_options import add_parallel_arguments

__all__ = ["register", "run"]


def _size(text: str) -> tuple[int, int]:
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 32:
        raise argparse.ArgumentTypeError(f"expected SIZE or WxH with sides >= 32, got {text!r}")
    return parts[0], parts[1]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "dual",
        help="DUAL-Bench: configs clean + perturbed (sample, instruction list or release folder)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--sample", action="store_true", help="build the embedded sample (48 items)")
    src.add_argument("--instructions", metavar="FILE",
                     help="CSV/JSONL with pair_id, category, instruction_type, instruction")
    src.add_argument("--release", metavar="DIR",
                     help="release folder with manifest.jsonl or manifest.csv and the images")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not exist)")
    p.add_argument("--manifest", metavar="NAME", help="manifest file name inside --release")
    p.add_argument("--perturbations", nargs="+", metavar="NAME",
                   help="perturbations of the `perturbed` config (default: all; for --sample the "
                        "sample subset); `all` selects every one")
    p.add_argument("--severities", nargs="+", type=int, metavar="N",
                   help="severities 1..5 (default: all; for --sample 1 3 5)")
    p.add_argument("--configs", nargs="+", choices=("clean", "perturbed"),
                   default=["clean", "perturbed"], help="configs to write (default: both)")
    p.add_argument("--image-size", type=_size, metavar="WxH",
                   help="canvas of rendered instructions (default 512x512; sample 256x256)")
    p.add_argument("--seed", type=int, default=0, help="perturbation seed (default 0)")
    p.add_argument("--allow-unpaired", action="store_true",
                   help="accept items without their harmful/benign counterpart")
    p.add_argument("--max-image-pixels", type=int, metavar="N",
                   help="pixel limit of release images (default: Pillow's limit)")
    p.add_argument("--license", default="other", help="licence id for the card (default: other)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out folder an earlier build made (never other files)")
    add_parallel_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``vlmsafety build dual``; prints a JSON summary on stdout."""
    from vlmsafety.perturb import PERTURBATIONS
    from vlmsafety.suites.dual import builder as dual

    options: dict[str, Any] = {"overwrite": args.overwrite, "num_proc": args.num_proc}
    if args.perturbations:
        options["perturbations"] = (
            tuple(PERTURBATIONS) if args.perturbations == ["all"] else tuple(args.perturbations)
        )
    if args.severities:
        options["severities"] = tuple(args.severities)
    if args.image_size:
        options["image_size"] = args.image_size
    if args.sample:
        if (args.configs != ["clean", "perturbed"] or args.seed or args.allow_unpaired
                or args.shard):
            from vlmsafety.errors import InvalidArgumentError

            raise InvalidArgumentError("--sample takes only --perturbations, --severities, "
                                       "--image-size, --num-proc and --overwrite")
        out = dual.build_sample(args.out, **options)
    else:
        options.update(configs=tuple(args.configs), seed=args.seed, license=args.license,
                       allow_unpaired=args.allow_unpaired, shard=args.shard)
        if args.instructions:
            out = dual.build_from_instructions(args.instructions, args.out, **options)
        else:
            out = dual.build_from_release(args.release, args.out, manifest=args.manifest,
                                          max_image_pixels=args.max_image_pixels, **options)
    configs: dict[str, int] = {}
    summary: dict[str, Any] = {"out": str(out), "configs": configs}
    for cfg in sorted(p.name for p in (out / "data").iterdir()):
        import pyarrow.parquet as pq

        configs[cfg] = sum(
            pq.ParquetFile(f).metadata.num_rows for f in (out / "data" / cfg).glob("*.parquet")
        )
    print(json.dumps(summary, indent=2))
    return 0
