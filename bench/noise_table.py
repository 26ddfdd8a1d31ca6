"""The "Noise" table of docs/results.md: trained folds under a device's calibration noise.

    python bench/noise_table.py --run ideal=runs/wdbc_ideal --run noise-aware=runs/wdbc_na \
        --folds 0,1,2 --device willow_pink

For every fold checkpoint of every run, on all of the fold's test samples: the ideal accuracy
of the compiled step, the exact noisy expectation values (no shots), and 1,000 shots per basis
and step raw, with readout inversion, and with readout inversion plus zero-noise extrapolation
(scales 1, 3), each the mean over ``--draws`` independent noise draws (trajectories and shots;
a fold's accuracy moves by several points between draws). The same as ``qru evaluate
FOLD.json --noise [--shots 1000] [--mitigation M] --seed S`` for each cell.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from pathlib import Path

import numpy as np

from qru_compile.tables import markdown_table
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.mitigation import Mitigation
from qru_compile.train.noisy import compare_ideal_and_noisy
from qru_compile.train.tasks import get_task

CELLS = (("exact", None, "none"), ("1,000 shots", 1000, "none"),
         ("+ readout", 1000, "readout"), ("+ readout + ZNE", 1000, "readout+zne"))


def fold_row(name: str, path: Path, device: str, draws: int) -> list[str]:
    checkpoint = Checkpoint.load(path)
    data = get_task(checkpoint.task).data_for(checkpoint.model)
    test = data.subset(checkpoint.test_indices(len(data), str(path)))
    cells, ideal = [], None
    for _, shots, mitigation in CELLS:
        accuracies = []
        for draw in range(draws):
            report = compare_ideal_and_noisy(checkpoint.model, checkpoint.params, test,
                                             checkpoint.compiled_step(device),
                                             shots=shots, seed=draw,
                                             mitigation=Mitigation.parse(mitigation))
            ideal = report["ideal"]["accuracy"]
            accuracies.append(report["noisy"]["accuracy"])
        cells.append(f"{100 * np.mean(accuracies):.1f}%")
    return [str(checkpoint.extra.get("fold")), name, f"{100 * ideal:.1f}%", *cells]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, metavar="NAME=DIR",
                        help="a run directory of qru train, named for the table")
    parser.add_argument("--folds", default="0,1,2")
    parser.add_argument("--device", default="willow_pink")
    parser.add_argument("--draws", type=int, default=2)
    args = parser.parse_args()
    rows, start = [], time.time()
    for fold in args.folds.split(","):
        for entry in args.run:
            name, directory = entry.split("=", 1)
            rows.append(fold_row(name, Path(directory) / f"fold{fold}.json", args.device,
                                 args.draws))
            print(" | ".join(rows[-1]), flush=True)
    means = []
    for entry in args.run:
        name = entry.split("=", 1)[0]
        mine = [row for row in rows if row[1] == name]
        means.append(["mean", name] + [f"{np.mean([float(r[c][:-1]) for r in mine]):.1f}%"
                                       for c in range(2, 2 + 1 + len(CELLS))])
    print(markdown_table(["fold", "training", "ideal", *(c[0] for c in CELLS)], rows + means))
    print(f"\n{args.device}, {args.draws} noise draws per cell, {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
