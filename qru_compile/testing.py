"""Public test helpers, in the spirit of ``cirq.testing``."""

from __future__ import annotations

from collections.abc import Sequence

import cirq
import numpy as np

from qru_compile.compiler import CompileResult
from qru_compile.equivalence import check_equivalent


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


def assert_compiled_step_equivalent(result: CompileResult, *,
                                    circuit: cirq.AbstractCircuit | None = None,
                                    trials: int = 2, seed: int = 0) -> None:
    """Assert that a compiled step computes the logical step, up to its layout.

    The counterpart of ``cirq.testing.assert_circuits_have_same_unitary_given_final_permutation``
    for a QRU step: each logical qubit starts where ``result.initial_layout`` puts it and each
    measured one ends where ``result.measured_qubits`` says; the channel on the data and hidden
    qubits must equal the logical step's for ``trials`` random slot values and input states
    (fresh ancillas start in ``|0>``, and what is left on them is ignored).

    Args:
        result: the compile result.
        circuit: a circuit to check in place of ``result.circuit`` (the same layout).
        trials: random draws compared.
        seed: seed of the draws.

    Raises:
        AssertionError: naming the largest deviation.
    """
    step = result.step
    reason = check_equivalent(
        step, result.circuit if circuit is None else circuit,
        {q: result.measured_qubits[q.name] for q in step.measured_qubits},
        {q: result.initial_layout[q.name] for q in step.qubits}, trials=trials, seed=seed)
    if reason is not None:
        raise AssertionError(f"{result.model.name} on {result.device.name}: the compiled step "
                             f"differs from the logical one: {reason}")
