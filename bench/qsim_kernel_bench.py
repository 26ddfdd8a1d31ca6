"""Milliseconds per point: the translate-once qsim kernel against qsimcirq's sweep and the
batched numpy engine, on logical steps of user models from 8 to 24 qubits.

Run from the repository root with the project's venv (one thread; a few minutes)::

    .venv/bin/python bench/qsim_kernel_bench.py

(a) ``qru_compile.sim.qsim_kernel.QsimKernel.expectations``;
(b) ``qsimcirq.QSimSimulator.simulate_expectation_values_sweep`` with one resolver per row;
(c) ``StatevectorProgram.from_circuit(...).expectations`` (double precision).
Observables: ``<Z>``, ``<X>`` of every data and hidden qubit. Forward rows: 32, fewer where a
method would take longer than ``BUDGET`` seconds (the table says how many). Jacobian: one
sample step's parameter-shift Jacobian (2S+1 points for (a); the engine's shared-prefix
``shift_jacobian``), skipped when estimated above a minute. Best of 3 for runs under a
second; translation (and numba compilation, warmed up first) is not timed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import inspect
import time
from collections.abc import Callable

import cirq
import numpy as np
import qsimcirq

import qru_compile as qc
from qru_compile.sim.qsim_kernel import QsimKernel
from qru_compile.sim.statevector import StatevectorProgram

ROWS = 32
BUDGET = 15.0  # seconds per forward measurement
JACOBIAN_LIMIT = 60.0  # seconds: longer Jacobian cases are skipped (estimate shown)
ENGINE_MEMORY = 4 << 30  # bytes of shifted states the engine may allocate for one sample
# The engine's translation builds [2**n, n] int64 bit tables per permutation gate: 20 s and
# 1.4 GB at 20 qubits, so minutes and ~20 GB at 24; it is not run above this size.
ENGINE_MAX_QUBITS = 20
SIZES = [(4, 8), (8, 12), (12, 16), (16, 20), (20, 24)]  # (I, H): 8, 12, ..., 24 qubits


def _seconds(run: Callable[[], object]) -> float:
    """Wall time of ``run``: best of 3 if one run is under a second."""
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    if first >= 1.0:
        return first
    best = first
    for _ in range(2):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _per_point(evaluate: Callable[[np.ndarray], object], values: np.ndarray) -> tuple[float, int]:
    """(seconds per point, rows used): a 1-row probe decides how many rows fit the budget."""
    probe = _seconds(lambda: evaluate(values[:1]))
    rows = int(min(len(values), max(1, BUDGET // max(probe, 1e-9))))
    if rows == 1:
        return probe, 1
    return _seconds(lambda: evaluate(values[:rows])) / rows, rows


def _engine(circuit, qubits, names, measured, observables) -> StatevectorProgram:
    """The engine for either form of ``from_circuit`` (measured qubits or Pauli strings)."""
    fourth = list(inspect.signature(StatevectorProgram.from_circuit).parameters)[3]
    return StatevectorProgram.from_circuit(
        circuit, qubits, names, observables if fourth == "observables" else measured)


def _case(i: int, h: int, rng: np.random.Generator) -> list[str]:
    step = qc.lower(qc.QRUModel(I=i, H=h, L=2, gate="u2", layer_gates=("rot",)))
    qubits, names, measured = list(step.qubits), list(step.angle_map.names), step.measured_qubits
    observables = [pauli(q) for q in measured for pauli in (cirq.Z, cirq.X)]
    n, s = len(qubits), len(names)
    values = rng.uniform(-np.pi, np.pi, (ROWS, s))

    kernel = QsimKernel(step.circuit, qubits, names, observables)
    simulator = qsimcirq.QSimSimulator(qsim_options=qsimcirq.QSimOptions(cpu_threads=1))
    engine = (_engine(step.circuit, qubits, names, measured, observables)
              if n <= ENGINE_MAX_QUBITS else None)

    def sweep(rows: np.ndarray) -> np.ndarray:
        resolvers = [cirq.ParamResolver(dict(zip(names, r.tolist()))) for r in rows]
        return np.real(np.asarray(simulator.simulate_expectation_values_sweep(
            step.circuit, observables, resolvers, qubit_order=qubits)))

    a, rows_a = _per_point(kernel.expectations, values)
    b, rows_b = _per_point(sweep, values)
    points = 2 * s + 1
    estimate_a = points * a
    if estimate_a <= JACOBIAN_LIMIT:
        jac_a = f"{_seconds(lambda: kernel.shift_jacobian(values[:1])) * 1e3:.1f}"
    else:
        jac_a = f"skipped (est. {estimate_a:.0f} s)"
    if engine is None:
        common = min(rows_a, rows_b)
        agreement = np.abs(kernel.expectations(values[:common]) - sweep(values[:common])).max()
        c_text, ratio_c, rows_c = f"not run (> {ENGINE_MAX_QUBITS} qubits)", "-", "-"
        jac_c, agreement_text = "not run", f"{agreement:.1e} (a from b)"
    else:
        c, rows_c = _per_point(engine.expectations, values)
        common = min(rows_a, rows_b, rows_c)
        reference = engine.expectations(values[:common])
        agreement = max(np.abs(kernel.expectations(values[:common]) - reference).max(),
                        np.abs(sweep(values[:common]) - reference).max())
        c_text, ratio_c, agreement_text = f"{c * 1e3:.3f}", f"{c / a:.1f}x", f"{agreement:.1e}"
        # the engine forks one row per slot: about (S/2 + 1) rows' work, S+1 rows in memory
        estimate_c = (s / 2 + 1) * c
        memory_c = (s + 1) * (16 << n)
        if memory_c > ENGINE_MEMORY:
            jac_c = f"skipped ({memory_c / 2**30:.0f} GiB)"
        elif estimate_c > JACOBIAN_LIMIT:
            jac_c = f"skipped (est. {estimate_c:.0f} s)"
        else:
            samples = 4 if estimate_c < 0.5 else 1
            seconds = _seconds(lambda: engine.shift_jacobian(values[:samples])) / samples
            jac_c = f"{seconds * 1e3:.1f}"
    ops = len(list(step.circuit.all_operations()))
    return [f"{n}", f"{s}", f"{ops} / {kernel.num_gates}", f"{rows_a}/{rows_b}/{rows_c}",
            f"{a * 1e3:.3f}", f"{b * 1e3:.3f}", c_text, f"{b / a:.0f}x", ratio_c, jac_a, jac_c,
            agreement_text]


def main() -> None:
    """Warm up numba, run every size, print the table."""
    rng = np.random.default_rng(7)
    _case(*SIZES[0], rng)  # warm-up: numba compilation, qsim module load
    header = ["qubits", "slots", "Cirq ops / qsim gates", "rows a/b/c", "(a) kernel ms/pt",
              "(b) qsimcirq ms/pt", "(c) engine ms/pt", "b/a", "c/a",
              "jac (a) ms/sample", "jac (c) ms/sample", "max deviation of a, b from c"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    start = time.perf_counter()
    for i, h in SIZES:
        lines.append("| " + " | ".join(_case(i, h, rng)) + " |")
        print(lines[-1], flush=True)
    print(f"\nModels QRUModel(I, H, L=2, gate='u2', layer_gates=('rot',)), I/H = "
          f"{', '.join(f'{i}/{h}' for i, h in SIZES)}; one thread; load average at the end "
          f"{os.getloadavg()[0]:.1f}; {time.perf_counter() - start:.0f} s.\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
