"""Readout mitigation of parity observables, measured on ring-absorbed steps.

Run from the repository root::

    python bench/parity_readout.py
    python bench/parity_readout.py --devices rainbow --models wdbc mnist --settings 96

Each preset step compiled with its whole final ring absorbed (every output a parity of 2 or more
bits) runs under the device's calibration noise on random slot values; the estimates of the
parity outputs, raw and with readout inversion (``--mitigation readout``:
``qru_compile.train.readout_inversion``), exact and at 1,000 shots per basis, are compared with
the device's values before readout error on the same trajectories: their mean error (bias) and
root-mean-square error. Inversion spends no extra shots.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
from pathlib import Path

import numpy as np
from report_file import publish_table

import qru_compile as qc
from qru_compile import validation
from qru_compile.train.mitigation import Mitigation
from qru_compile.train.noisy import DeviceEstimator, DeviceSimulation

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def measure(device: str, preset: str, settings: int, trajectories: int) -> list[object]:
    """One table row: the parity outputs' errors, raw and mitigated, exact and with shots."""
    model = qc.QRUModel.preset(preset)
    program = qc.compile(model, device, absorb_ring="all", cache=False).program
    weights = np.array([len(observable) for observable in program.observables])
    rng = np.random.default_rng(0)
    params = validation.circuit_parameters(model, model.initial_parameters(seed=1))
    slots = program.slot_values(params, rng.uniform(0, 1, (settings, model.I)),
                                rng.uniform(-0.8, 0.8, (settings, model.hidden_size)))
    before = DeviceSimulation(device, trajectories).exact_values(program, slots)
    truth = before[:, :, : len(weights)].mean(axis=1)[:, weights > 1]
    cells: list[object] = [device, preset, f"{weights.min()}-{weights.max()}"]
    for shots in (None, 1000):
        for mitigation in ("none", "readout"):
            estimator = DeviceEstimator(device, trajectories, shots, Mitigation.parse(mitigation))
            error = estimator.expectations(program, slots)[:, weights > 1] - truth
            cells.append(f"{np.mean(error):+.4f} / {np.sqrt(np.mean(error ** 2)):.4f}")
    return cells


def main(argv: list[str] | None = None) -> int:
    """Print the table and write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", default=["rainbow", "weber", "willow_pink"])
    parser.add_argument("--models", nargs="+", default=["wdbc"])
    parser.add_argument("--settings", type=int, default=48)
    parser.add_argument("--trajectories", type=int, default=256)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    rows = [measure(device, preset, args.settings, args.trajectories)
            for device in args.devices for preset in args.models]
    header = ["device", "model", "parity weights", "raw, exact: bias / rms",
              "readout, exact", "raw, 1,000 shots", "readout, 1,000 shots"]
    publish_table(args.output, "Readout mitigation of parities (`bench/parity_readout.py`)",
                  "bench/parity_readout.py", argv, __doc__, header, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
