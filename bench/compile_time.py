"""Compile time per preset and Google device: the median of 3 compiles, the cache off.

Run from the repository root; to compare two versions side by side, run it once per source
tree on the same machine, one after the other (``git worktree add /tmp/old <commit>``)::

    python bench/compile_time.py
    PYTHONPATH=/tmp/old python bench/compile_time.py

Prints one line per preset and device: seconds and two-qubit gates per step.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ["QRU_COMPILE_CACHE"] = "off"  # older versions have no cache= argument

import qru_compile as qc

DEVICES = ("rainbow", "weber", "willow_pink")
MODELS = ("oscillation", "wdbc", "mnist")


def main() -> int:
    """Time and print every preset x device."""
    qc.compile(qc.QRUModel.preset("wdbc"), "rainbow")  # warm-up: imports, first-use caches
    for model_name in MODELS:
        model = qc.QRUModel.preset(model_name)
        for device in DEVICES:
            seconds = []
            for _ in range(3):
                start = time.perf_counter()
                result = qc.compile(model, device)
                seconds.append(time.perf_counter() - start)
            print(f"{model_name:12} {device:12} {statistics.median(seconds):.3f} s "
                  f"{result.report.final.two_qubit} CZ", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
