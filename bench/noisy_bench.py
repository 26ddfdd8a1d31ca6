"""Noisy simulation of one compiled QRU step (willow_pink calibration noise): Monte-Carlo
trajectories as rows of the batched engine (``qru_compile.sim.trajectories``) against qsim's
noisy trajectories (``simulate_expectation_values_sweep``, one Cirq resolve + translate per
sample) and the exact ``cirq.DensityMatrixSimulator``.

Run from the repository root with the project's venv::

    python bench/noisy_bench.py

Single-threaded throughout (NUMBA/OMP threads 1, qsim ``cpu_threads=1``). Times are CPU seconds
of this process (``time.process_time``), which a shared machine inflates less than wall time;
the fold line also gives the wall time. A row-step is one sample, one step, one trajectory;
for the density matrix it is one sample-step (exact, no trajectories). qsim's time per
row-step is that of one call with 64 trajectories per sample, translation included; its cost
per extra trajectory alone is the "marginal" column. The density matrix of the 10-qubit MNIST
step is timed on its first operations and scaled by the operation count (a full run is about
6 minutes). The agreement column compares our mean over 1024 trajectories with qsim's over 64
on the same samples, in combined standard errors.
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time
from collections.abc import Callable

import cirq
import numpy as np
import qsimcirq

import qru_compile as qc
from qru_compile.devices.calibration import noise_model
from qru_compile.sim.trajectories import NoisyProgram
from qru_compile.tables import markdown_table

DEVICE = "willow_pink"
TRAJECTORIES = 64
FOLDS = {"wdbc": ("WDBC", 114, 30), "mnist": ("digits", 73, 8)}  # preset: name, samples, steps
DENSITY_OPERATIONS = {"wdbc": None, "mnist": 40}  # None: the whole circuit


def _cpu(call: Callable[[], object], repeats: int = 1) -> float:
    """Best CPU time of ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def _resolvers(names, values):
    return [cirq.ParamResolver(dict(zip(names, row.tolist()))) for row in values]


def _qsim(noise: cirq.NoiseModel, repetitions: int) -> qsimcirq.QSimSimulator:
    return qsimcirq.QSimSimulator(
        qsim_options=qsimcirq.QSimOptions(ev_noisy_repetitions=repetitions, cpu_threads=1),
        noise=noise, seed=0)


def _measure(preset: str) -> dict[str, object]:
    fold, samples, steps = FOLDS[preset]
    program = qc.compile(qc.QRUModel.preset(preset), DEVICE).program
    noise = noise_model(DEVICE)
    start = time.process_time()
    noisy = NoisyProgram.from_circuit(program.circuit, program.qubits, program.slot_names,
                                      program.observables, noise)
    translate = time.process_time() - start
    rng = np.random.default_rng(0)
    values = rng.uniform(-np.pi, np.pi, (samples, len(program.slot_names)))
    noisy.expectations(values[:1], 2, rng)  # compiles (or loads) the kernel

    # ours: one step of the whole fold, every sample x 64 trajectories
    wall = time.perf_counter()
    ours_step = _cpu(lambda: noisy.expectations(values, TRAJECTORIES, rng), repeats=2)
    wall = (time.perf_counter() - wall) / 2
    ours = ours_step / (samples * TRAJECTORIES)

    # qsim: a sweep over a few samples at 64 trajectories each, and its marginal cost
    few = values[:3]
    observables = list(program.observables)
    order = list(program.qubits)

    def sweep(repetitions: int, rows: np.ndarray) -> np.ndarray:
        return np.real(np.array(_qsim(noise, repetitions).simulate_expectation_values_sweep(
            program.circuit, observables, _resolvers(program.slot_names, rows),
            qubit_order=order)))

    qsim_values: list[np.ndarray] = []
    qsim_call = _cpu(lambda: qsim_values.append(sweep(TRAJECTORIES, few))) / len(few)
    marginal = (_cpu(lambda: sweep(257, few[:2])) - _cpu(lambda: sweep(1, few[:2]))) / 512

    mean, error = noisy.expectations(few, 1024, rng)
    spread = error * np.sqrt(1024)
    z = (mean - qsim_values[0]) / np.sqrt(error ** 2 + spread ** 2 / TRAJECTORIES)

    # exact density matrix of one sample (or of its first operations, scaled)
    resolved = cirq.resolve_parameters(program.circuit, _resolvers(program.slot_names,
                                                                   values[:1])[0])
    operations = list(cirq.flatten_to_ops(noise.noisy_moments(resolved.moments, order)))
    head = DENSITY_OPERATIONS[preset] or len(operations)
    simulator = cirq.DensityMatrixSimulator(dtype=np.complex128)
    density = _cpu(lambda: simulator.simulate_expectation_values(
        cirq.Circuit(operations[:head]), observables, qubit_order=order))
    density *= len(operations) / head

    summary = noisy.summary()
    sample_steps = samples * steps
    return {
        "step": f"{preset} ({len(order)} qubits)",
        "ops -> blocks (passes)": f"{summary['operations']} -> {summary['blocks']} "
                                  f"({summary['passes']})",
        "translate once": translate,
        "ours s/row-step": ours,
        "qsim s/row-step": qsim_call / TRAJECTORIES,
        "qsim marginal s/traj": marginal,
        "density s/sample-step": density,
        "ours vs qsim max |z|": float(np.max(np.abs(z))),
        "fold": f"{fold}: {samples} x {steps} x {TRAJECTORIES}",
        "ours fold": ours_step * steps,
        "ours fold wall": wall * steps,
        "qsim fold": qsim_call * sample_steps,
        "density fold": density * sample_steps,
        "density note": "" if DENSITY_OPERATIONS[preset] is None
        else f" (from {head} of {len(operations)} ops)",
    }


def _seconds(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 60:
        return f"{value / 60:.1f} min"
    return f"{value:.3g} s"


def main() -> None:
    """Print the two Markdown tables."""
    rows = [_measure(preset) for preset in FOLDS]
    print(markdown_table(
        ["step", "ops -> blocks (passes)", "translate once", "ours s/row-step",
         "qsim s/row-step (64/call)", "qsim marginal s/traj", "density s/sample-step",
         "ours vs qsim max |z|"],
        [[r["step"], r["ops -> blocks (passes)"], _seconds(r["translate once"]),
          f"{r['ours s/row-step']:.3g}", f"{r['qsim s/row-step']:.3g}",
          f"{r['qsim marginal s/traj']:.3g}",
          f"{r['density s/sample-step']:.3g}{r['density note']}",
          f"{r['ours vs qsim max |z|']:.2f}"] for r in rows]))
    print()
    print(markdown_table(
        ["fold (samples x steps x trajectories)", "ours (CPU)", "ours (wall)", "qsim",
         "density matrix", "qsim / ours"],
        [[r["fold"], _seconds(r["ours fold"]), _seconds(r["ours fold wall"]),
          _seconds(r["qsim fold"]), _seconds(r["density fold"]),
          f"{r['qsim fold'] / r['ours fold']:.0f}x"] for r in rows]))


if __name__ == "__main__":
    main()
