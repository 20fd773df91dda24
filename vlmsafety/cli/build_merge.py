"""``vlmsafety build merge``: join the K part folders of a sharded build into one dataset folder.

    vlmsafety build vsc --images IMAGES --out part-0 --shard 0/2     # on one machine
    vlmsafety build vsc --images IMAGES --out part-1 --shard 1/2     # on another
    vlmsafety build merge part-0 part-1 --out vsc                    # the folder one build writes

The parts must come from the same build (their fingerprints: versions, settings, seed, source
checksums) and be complete (each of 0..K-1 once); the differing fields, or the missing and
duplicated parts, are named otherwise. Every file of every part is checked against the sha256
its build-part.json records (a changed, missing or added file is named with its part), and the
summary prints the sha256 of every file of the merged folder. See docs/sharded-builds.md for Slurm and Ray recipes.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "merge",
        help="join the part folders of a sharded build (--shard I/K) into one dataset folder",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("parts", nargs="+", metavar="PART", help="part folders, in any order")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not exist)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out folder an earlier build made (never other files)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``vlmsafety build merge``; prints a JSON summary (folder, rows per config)."""
    from huggingface_hub import DatasetCard

    from vlmsafety.builders.merge import merge_build
    from vlmsafety.storage.checksums import folder_sha256

    out = merge_build(args.parts, args.out, overwrite=args.overwrite)
    infos = DatasetCard.load(out / "README.md").data.to_dict().get("dataset_info", [])
    infos = infos if isinstance(infos, list) else [infos]
    rows = {i.get("config_name", "default"): i["splits"][0]["num_examples"] for i in infos}
    print(json.dumps({"out": str(out), "parts": len(args.parts), "rows": rows,
                      "sha256": folder_sha256(out)}, indent=2))
    return 0
