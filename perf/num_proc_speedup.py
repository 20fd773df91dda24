"""``build_dual --num-proc``: images/s at N = 1 and N = 2, alternating, in one session.

    python perf/num_proc_speedup.py [ITEMS]      # default 64 instructions x 46 images, 512x512

Builds the perturbed DUAL set (every perturbation x 5 severities plus the clean image, 46 images
per instruction, PNG-encoded and written) for ``ITEMS`` instructions, twice at each N, taking
turns (1, 2, 1, 2), and prints each run's images/s and the best-over-best speed-up. The pool's
start-up (about 0.2 s once its forkserver runs) is amortised only on builds of a few thousand
images; ``run.py --only build`` measures the smaller 16-item case.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str]) -> None:
    from bench_perturbed_build import items

    from vlmsafety.suites.dual.builder import build_dual

    its = items(int(argv[0]) if argv else 64)
    n_images = len(its) * 46
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for n in (1, 2, 1, 2):
        folder = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        build_dual(its, folder / "out", image_size=(512, 512), num_proc=n, progress=False)
        seconds[n].append(time.perf_counter() - start)
        shutil.rmtree(folder)
        print(f"N={n}: {n_images / seconds[n][-1]:.0f} images/s ({seconds[n][-1]:.1f} s)",
              flush=True)
    print(f"speed-up N=2 vs N=1 (best of 2 each): {min(seconds[1]) / min(seconds[2]):.2f}x")


if __name__ == "__main__":  # worker processes import this module: build only in the parent
    main(sys.argv[1:])
