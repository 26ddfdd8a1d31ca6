"""Public test helpers, in the spirit of ``cirq.testing``."""

from __future__ import annotations

from collections.abc import Sequence

import cirq
import numpy as np


def cswap_infidelity(operations: Sequence[cirq.Operation], *, fresh_ancilla: bool) -> float:
    """How far a circuit on ``LineQubit(0..2)`` = (control, target, ancilla) is from a CSWAP.

    Args:
        operations: the candidate, on ``cirq.LineQubit(0)`` (control), ``(1)`` and ``(2)``.
        fresh_ancilla: compare only on inputs with qubit 2 in ``|0>``, up to any unitary on
            qubit 2 afterwards; otherwise compare full unitaries up to global phase.

    Returns:
        ``1 - F`` with ``F = |Tr(U^dag V)| / 8`` (exact) or the trace norm of the partial trace
        over control and target of ``U V^dag`` on the ``|0>``-ancilla inputs, divided by 4.
    """
    qubits = cirq.LineQubit.range(3)
    candidate = cirq.Circuit(operations).unitary(qubit_order=qubits)
    target = cirq.unitary(cirq.CSWAP)
    if not fresh_ancilla:
        return float(1 - abs(np.trace(candidate.conj().T @ target)) / 8)
    inputs = [i for i in range(8) if i % 2 == 0]  # ancilla (least significant) in |0>
    product = candidate[:, inputs] @ target[:, inputs].conj().T
    reduced = np.einsum("ijkijl->kl", product.reshape((2,) * 6))
    return float(1 - np.linalg.svd(reduced, compute_uv=False).sum() / 4)
