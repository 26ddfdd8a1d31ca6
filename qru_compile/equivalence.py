"""Does a compiled step prepare the same state on data and hidden qubits as the logical one?

Every QRU step starts from ``|0...0>`` and only its data and hidden qubits are read, so the
compiled circuit must implement the same channel on them, with ancillas (and any idle device
qubits) starting in ``|0>`` and traced out at the end, up to where each logical qubit ends. The
check draws random angle-slot values and random (entangled) input states on the data and hidden
qubits, simulates both circuits in double precision, and compares the reduced density matrices.
Random inputs, not only ``|0...0>``, make it a check of the channel rather than of one state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import cirq
import numpy as np

if TYPE_CHECKING:
    from qru_compile.lowering import LoweredStep

DEFAULT_ATOL = 1e-7


def _reduced(circuit: cirq.AbstractCircuit, order: Sequence[cirq.Qid], initial: np.ndarray,
             keep: Sequence[cirq.Qid], resolver: cirq.ParamResolver) -> np.ndarray:
    state = cirq.final_state_vector(
        cirq.resolve_parameters(circuit, resolver),
        initial_state=initial,
        qubit_order=list(order),
        dtype=np.complex128,
        ignore_terminal_measurements=True,
    )
    index = {q: i for i, q in enumerate(order)}
    return cirq.density_matrix_from_state_vector(state, [index[q] for q in keep])


def check_equivalent(
    step: LoweredStep,
    circuit: cirq.AbstractCircuit,
    final_layout: Mapping[cirq.Qid, cirq.Qid],
    initial_layout: Mapping[cirq.Qid, cirq.Qid],
    *,
    trials: int = 2,
    seed: int | None = 0,
    atol: float = DEFAULT_ATOL,
) -> str | None:
    """None if ``circuit`` implements the logical step's channel, else the largest deviation.

    Args:
        step: the lowered logical step.
        circuit: the candidate, on any qubits.
        final_layout: where each measured logical qubit ends in ``circuit``.
        initial_layout: where each logical qubit starts in ``circuit`` (ancillas included).
        trials: random (slot values, input state) pairs to compare.
        seed: for the random draws.
        atol: largest allowed difference of density-matrix entries.
    """
    rng = np.random.default_rng(seed)
    measured = step.measured_qubits
    logical_order = list(measured) + [q for q in step.qubits if q not in measured]
    start = [initial_layout[q] for q in measured]
    rest = sorted(
        (set(circuit.all_qubits()) | set(final_layout.values()) | set(initial_layout.values()))
        - set(start)
    )
    physical_order = start + rest
    if len(physical_order) > 20:
        return f"equivalence check skipped: {len(physical_order)} qubits are too many to simulate"
    n = len(measured)
    worst = 0.0
    for _ in range(trials):
        values = rng.uniform(0, 2 * np.pi, step.angle_map.num_slots)
        resolver = step.resolver(values)
        psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
        psi /= np.linalg.norm(psi)
        logical = _reduced(step.circuit, logical_order,
                           np.kron(psi, _zeros(len(logical_order) - n)), measured, resolver)
        compiled = _reduced(circuit, physical_order,
                            np.kron(psi, _zeros(len(physical_order) - n)),
                            [final_layout[q] for q in measured], resolver)
        worst = max(worst, float(np.abs(logical - compiled).max()))
    if worst > atol:
        return f"reduced states on data and hidden qubits differ by up to {worst:.3g}"
    return None


def _zeros(n: int) -> np.ndarray:
    vector = np.zeros(2**n, dtype=complex)
    vector[0] = 1.0
    return vector
