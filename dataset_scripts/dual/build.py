"""Build DUAL-Bench (or a DUAL-style set) as a Hub-ready folder. Thin wrapper over the installed
``vlmsafety`` package; identical to ``vlmsafety build dual ...``.

    python build.py --sample --out dual-sample
    python build.py --instructions instructions.csv --out dual --license cc-by-4.0
    python build.py --release path/to/release --out dual
    python build.py --help
"""

from __future__ import annotations

import sys

from vlmsafety.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "dual", *sys.argv[1:]]))
