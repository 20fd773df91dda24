"""Build the MOSSBench Hub folder: a thin wrapper over ``vlmsafety build mossbench``.

Works from an installed package (``pip install vlmsafety``); all logic lives in
:mod:`vlmsafety.suites.mossbench.builder`. Arguments are those of ``vlmsafety build mossbench``
(see ``--help``)::

    python dataset_scripts/mossbench/build.py --out mossbench
    python dataset_scripts/mossbench/build.py --source path/to/MOSSBench --out mossbench
"""

from __future__ import annotations

import sys

from vlmsafety.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "mossbench", *sys.argv[1:]]))
