"""Build the VSCBench Hub folder: a thin wrapper over ``vlmsafety build vsc``.

Works from an installed package (``pip install vlmsafety``); all logic lives in
:mod:`vlmsafety.suites.vsc.builder`. Arguments are those of ``vlmsafety build vsc`` (see ``--help``)::

    python dataset_scripts/vsc/build.py --images VSCBench.zip --out vsc
"""

from __future__ import annotations

import sys

from vlmsafety.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "vsc", *sys.argv[1:]]))
