"""``vlmsafety install-metrics``: register the evaluate metric modules for offline bare-name loading.

After it, ``evaluate.load("safe_completion")``, ``("safety_calibration")`` and ``("over_refusal")``
work in any new process, also with ``HF_HUB_OFFLINE=1`` (see :mod:`vlmsafety.metric_modules`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "install-metrics",
        help="register the evaluate metrics so evaluate.load('safe_completion') works offline",
        description="Copy the metric modules shipped with vlmsafety into evaluate's module cache "
        "(HF_MODULES_CACHE, else $HF_HOME/modules), where evaluate.load(<name>) finds them "
        "without the Hub.",
    )
    p.add_argument("--force", action="store_true", help="rewrite cached copies even if present")
    p.add_argument("--json", action="store_true", help="print the installed paths as JSON")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from vlmsafety.metric_modules import install_metrics

    paths = install_metrics(force=args.force)
    if args.json:
        print(json.dumps({p.stem: str(p) for p in paths}, indent=2))
    else:
        for p in paths:
            print(f"{p.stem}: {p}")
    return 0
