"""Build the MSTS Hub folder: a thin wrapper over ``vlmsafety build msts``.

Works from an installed package (``pip install vlmsafety``); all logic lives in
:mod:`vlmsafety.suites.msts.builder`. Arguments are those of ``vlmsafety build msts``
(see ``--help``)::

    python dataset_scripts/msts/build.py --out msts
    python dataset_scripts/msts/build.py --source path/to/msts-multimodal-safety --out msts
    python dataset_scripts/msts/build.py --source CLONE --images path/to/images --out msts
"""

from __future__ import annotations

import sys

from vlmsafety.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "msts", *sys.argv[1:]]))
