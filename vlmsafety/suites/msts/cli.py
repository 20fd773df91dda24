"""``vlmsafety build msts``: MSTS as a Hub-ready folder (11 language configs and ``en_textonly``).

    vlmsafety build msts --out msts                          # CSVs and images downloaded
    vlmsafety build msts --source msts-multimodal-safety --out msts   # a local clone
    vlmsafety build msts --source CLONE --images DIR --out msts       # <image id>.<ext> files
    vlmsafety build msts --mirror https://host/msts-images --out msts --languages en en_textonly

The CSVs are checked against their sha256 at release commit e9ae69e8f1ab. The release lists its
images as URLs only: they are downloaded (concurrently, with timeouts, retries and a resumable
cache under --cache), or fetched from --mirror, or read from --images. Missing or bad images are one
error naming the first few and the count, unless --placeholders is given (push then refuses the
folder). The card records every image's sha256, source URL and licence.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vlmsafety.cli.build_options import add_download_arguments

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    from vlmsafety.suites.msts.builder import IMAGE_EXTENSIONS, MAX_IMAGE_BYTES
    from vlmsafety.suites.msts.release import CONFIGS

    p: argparse.ArgumentParser = sub.add_parser(
        "msts",
        help="MSTS: unsafe image+text prompts in 11 languages and text only, from the release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not exist)")
    p.add_argument("--source", metavar="CLONE",
                   help="a clone of the release (data/prompts/, data/images/unsafe_images.csv); "
                        "default: download the CSVs from the pinned commit")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--images", metavar="DIR",
                       help=f"read <image id>.<ext> files ({', '.join(IMAGE_EXTENSIONS)}) "
                            "instead of downloading")
    where.add_argument("--mirror", metavar="URL",
                       help="fetch <image id>.<ext> from this server instead of the release's URLs")
    p.add_argument("--languages", nargs="+", metavar="CODE", choices=CONFIGS,
                   help=f"configs to build (default all): {' '.join(CONFIGS)}")
    p.add_argument("--placeholders", action="store_true",
                   help="grey placeholders for missing/bad images (image_source=placeholder)")
    p.add_argument("--cache", metavar="DIR",
                   help="downloaded-image cache (default $VLMSAFETY_CACHE_DIR/msts-images or "
                        "~/.cache/vlmsafety/msts-images); a rerun downloads only what is missing")
    p.add_argument("--retries", type=int, default=3, metavar="N",
                   help="retries per image after a timeout, connection error, 429 or 5xx "
                        "(default 3)")
    p.add_argument("--concurrency", type=int, default=4, metavar="N",
                   help="image requests in flight at most (default 4)")
    p.add_argument("--max-image-mb", type=float, default=MAX_IMAGE_BYTES / 2**20, metavar="MB",
                   help="largest image accepted, in MiB (default %(default)g)")
    p.add_argument("--user-agent", metavar="TEXT",
                   help="User-Agent of image requests (default names vlmsafety and its URL; "
                        "Wikimedia asks for a contact)")
    add_download_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``vlmsafety build msts``; prints a JSON summary (folder, rows, placeholders)."""
    from huggingface_hub import DatasetCard

    from vlmsafety.cli.build_options import warn_placeholders
    from vlmsafety.suites.msts.builder import DATASET_VERSION, build_msts

    options: dict[str, Any] = {}
    if args.base_url is not None:
        options["base_url"] = args.base_url
    if args.user_agent is not None:
        options["user_agent"] = args.user_agent
    out = build_msts(
        args.out, source=args.source, images=args.images, mirror=args.mirror,
        languages=args.languages, placeholders=args.placeholders, overwrite=args.overwrite,
        cache_dir=args.cache, timeout=args.timeout, retries=args.retries,
        concurrency=args.concurrency, max_image_bytes=int(args.max_image_mb * 2**20),
        allow_unpinned=args.allow_unpinned, **options,
    )
    card = DatasetCard.load(out / "README.md").data.to_dict()
    infos = card.get("dataset_info", [])
    infos = infos if isinstance(infos, list) else [infos]
    builder = card.get("builder") or {}
    summary: dict[str, Any] = {
        "out": str(out), "version": DATASET_VERSION,
        "rows": {i["config_name"]: i["splits"][0]["num_examples"] for i in infos}}
    causes = dict((builder.get("images") or {}).get("placeholder") or {})
    if warn_placeholders(out):  # as the other builders do; the causes go in the summary
        summary["placeholder_images"] = {"total": sum(causes.values()), **causes}
    for warning in builder.get("push_warnings") or []:
        print(f"note: {warning}", file=sys.stderr)
    print(json.dumps(summary, indent=2))
    return 0
