"""Our zero-noise extrapolation against mitiq's, on the compiled QRU steps of willow_pink.

mitiq 1.1 pins ``cirq-core < 1.7`` and ``numpy < 2.3`` (below our stack), so
``qru_compile.train.mitigation`` has its own global folding and Richardson extrapolation. This
bench checks them against mitiq's ``zne.scaling.fold_global`` and
``zne.inference.RichardsonFactory.extrapolate``, with mitiq installed beside the project
without its pins::

    pip install --no-deps --target /tmp/mitiqlib mitiq==1.1.0 tabulate
    PYTHONPATH=/tmp/mitiqlib python bench/mitigation_bench.py

For each preset, on random slot values of the compiled step: whether our folded circuit (its
symbols resolved) is operation for operation mitiq's, the unitary distance between the two, and
the zero-noise values of both on the same noisy values. Then the WDBC step's values under
willow_pink's calibration (4,000 trajectories, no shots) before and after readout inversion and
ZNE, against the ideal values.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys

import cirq
import numpy as np

import qru_compile as qc
from qru_compile.devices.calibration import readout_affine
from qru_compile.sim import StatevectorBackend
from qru_compile.tables import markdown_table
from qru_compile.train.mitigation import (
    fold_global,
    fold_slot_values,
    invert_readout,
    richardson,
)
from qru_compile.train.noisy import DeviceSimulation

DEVICE = "willow_pink"


def _mitiq():
    try:
        from mitiq import zne
    except ImportError:
        sys.exit("mitiq is not importable; install it beside the project without its pins:\n"
                 "  pip install --no-deps --target /tmp/mitiqlib mitiq==1.1.0 tabulate\n"
                 "  PYTHONPATH=/tmp/mitiqlib python bench/mitigation_bench.py")
    return zne


def _distance_up_to_phase(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - e^(i phi) b|`` with the global phase ``phi`` that best aligns them."""
    phase = np.trace(b.conj().T @ a)
    return float(np.max(np.abs(a - phase / abs(phase) * b)))


def folding_rows(zne) -> list[list[str]]:
    rows = []
    rng = np.random.default_rng(0)
    for preset in ("oscillation", "wdbc", "mnist"):
        program = qc.compile(qc.QRUModel.preset(preset), DEVICE).program
        slots = rng.uniform(0, 2 * np.pi, (1, program.angle_map.num_slots))
        resolved = cirq.resolve_parameters(program.circuit,
                                           dict(zip(program.slot_names, slots[0])))
        for scale in (3, 5):
            ours, names = fold_global(program.circuit, scale, program.slot_names)
            ours = cirq.resolve_parameters(ours, dict(zip(names, fold_slot_values(slots,
                                                                                 scale)[0])))
            theirs = zne.scaling.fold_global(cirq.Circuit(resolved.moments), scale)
            same = list(ours.all_operations()) == list(theirs.all_operations())
            distance = _distance_up_to_phase(cirq.unitary(ours), cirq.unitary(theirs))
            values = rng.uniform(-1, 1, (3 if scale == 5 else 2, 4))
            scales = (1, 3, 5) if scale == 5 else (1, 3)
            ours_zero = richardson(scales, values)
            theirs_zero = np.array([zne.inference.RichardsonFactory.extrapolate(
                list(scales), list(values[:, j])) for j in range(values.shape[1])])
            rows.append([preset, str(scale), str(len(list(ours.all_operations()))),
                         "yes" if same else "no", f"{distance:.1e}",
                         f"{np.max(np.abs(ours_zero - theirs_zero)):.1e}"])
    return rows


def accuracy_rows() -> list[list[str]]:
    """Mean |error| of the WDBC step's values against the ideal ones, 24 random slot rows,
    4,000 trajectories per value (standard error about 0.012 / sqrt(24) per mean)."""
    program = qc.compile(qc.QRUModel.preset("wdbc"), DEVICE).program
    slots = np.random.default_rng(1).uniform(0, 2 * np.pi, (24, program.angle_map.num_slots))
    ideal = StatevectorBackend().expectations(program, slots)
    alpha, beta = readout_affine(program.observables, DEVICE)
    raw = {scale: DeviceSimulation(DEVICE, trajectories=4000, seed=scale,
                                   fold=scale).expectations(program, slots)
           for scale in (1, 3, 5)}
    fixed = {scale: invert_readout(values, alpha, beta) for scale, values in raw.items()}
    cases = [("none", raw[1], 1), ("readout", fixed[1], 1),
             ("zne 1,3", richardson((1, 3), np.stack([raw[1], raw[3]])), 2),
             ("readout + zne 1,3", richardson((1, 3), np.stack([fixed[1], fixed[3]])), 2),
             ("readout + zne 1,3,5", richardson((1, 3, 5), np.stack(list(fixed.values()))), 3)]
    return [[name, str(circuits), f"{np.mean(np.abs(values - ideal)):.4f}",
             f"{np.mean(values - ideal):+.4f}"] for name, values, circuits in cases]


def main() -> None:
    zne = _mitiq()
    print(markdown_table(["preset", "scale", "operations", "same ops as mitiq",
                          "max |U_ours - U_mitiq| (up to phase)", "max |zero-noise diff|"], folding_rows(zne)))
    print()
    print(markdown_table(["mitigation (WDBC step, willow_pink)", "circuits per value",
                          "mean |error|", "mean error"], accuracy_rows()))


if __name__ == "__main__":
    main()
