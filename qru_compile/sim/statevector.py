"""A batched state-vector engine for many parameter sets of one small circuit.

Training evaluates one step circuit (7 to 16 qubits) for thousands of angle-slot settings: every
sample of a mini-batch, each with 2 shifted copies per slot. Simulators that take one circuit
per call spend most of their time in per-call Python work (resolving symbols, translating the
circuit; measured 10-30 ms per point for qsimcirq's sweeps at 12 qubits). Here a circuit is
translated once into a list of array operations, and every operation is applied to all rows of
a ``[rows, 2**n]`` state array at once with numpy: permutations for CNOT, SWAP and CSWAP,
diagonals for CZ, closed-form rotations for the angle slots, small matrices otherwise.

Parameter shift shares work. The two shifted evaluations of a slot differ from the unshifted
circuit only in that slot's rotation, and ``R(t +- pi/2) = R(t) (1 -+ i P) / sqrt(2)`` for its
Pauli ``P``; by linearity the shifted final states are ``(a -+ i b) / sqrt(2)``, where ``a`` is
the unshifted final state and ``b`` the final state of the circuit with ``P`` inserted after the
rotation. So one extra row per slot is forked when the circuit reaches that slot (the gates
before it are shared), and both shifted expectation values follow exactly:
``f(t +- pi/2) = (<a|O|a> + <b|O|b>) / 2 +- Im <a|O|b>``. The derivative ``(f+ - f-) / 2`` is
``Im <a|O|b>``. The qsim and Cirq backends evaluate the shifted circuits literally; the tests
check that both ways agree.

Training needs less than the Jacobian: back-propagation through time only asks for its product
with the loss's cotangent ``c`` (one weighted sum of the measured Paulis per sample). The
adjoint method (``vector_jacobian``) gets that product for every slot from one forward run and
one backward sweep of two rows per sample, the state and ``O_c |a>`` with ``O_c = sum_o c_o O_o``,
undoing each operation; at slot ``k`` the product is ``Im <lambda_k| P_k |psi_k>``, the very
``sum_o c_o Im <a|O_o|b_k>`` above. It is the same number as the parameter-shift product, not
a hardware procedure: the tests check that both agree.

Double precision throughout; qubit 0 is the most significant bit, as in Cirq. The operations
are decoded by :mod:`qru_compile.sim.gate_decoding` and applied by the compiled kernels of
:mod:`qru_compile.sim.kernels`; this module translates circuits and runs them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import cirq
import numpy as np

from qru_compile.errors import BackendError
from qru_compile.sim import step_kernel
from qru_compile.sim.gate_decoding import (
    Diagonal,
    Matrix1,
    Matrix2,
    Op,
    Permutation,
    Rotation,
    basis_bits,
    parametrised_ops,
    permutation_of,
)
from qru_compile.sim.kernels import MAX_AMPLITUDES, apply_1q, apply_2q, permute_rows, rotate
from qru_compile.sim.pauli_masks import PauliMasks
from qru_compile.sim.step_kernel import EncodedStep, encode


@dataclasses.dataclass(frozen=True, eq=False)
class StatevectorProgram:
    """A circuit translated into batched array operations.

    Attributes:
        num_qubits: qubits of the state (in ``qubits`` order).
        ops: the operations in order.
        observables: the Pauli strings whose expectation values are returned, as bit masks.
        num_slots: columns of the slot-value arrays.
    """

    num_qubits: int
    ops: tuple[Op, ...]
    observables: PauliMasks
    num_slots: int

    @classmethod
    def from_circuit(cls, circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid],
                     slot_names: Sequence[str],
                     observables: Sequence[cirq.PauliString[cirq.Qid]]) -> StatevectorProgram:
        """Translate ``circuit`` (measurements dropped) for the given slot order.

        Args:
            circuit: the circuit; its symbols are angle slots.
            qubits: the state's qubit order (a superset of the circuit's qubits).
            slot_names: the symbols, in the column order of the slot-value arrays.
            observables: Pauli strings on ``qubits`` (any mix of X, Y, Z; real coefficient).

        Raises:
            BackendError: for gates the engine cannot apply (more than two qubits other than
                CSWAP/CCX-like permutations, or symbols not of the slot form).
        """
        position = {q: i for i, q in enumerate(qubits)}
        slots = {name: k for k, name in enumerate(slot_names)}
        n = len(qubits)
        bits = basis_bits(n)
        ops: list[Op] = []
        for op in circuit.all_operations():
            if cirq.is_measurement(op):
                continue
            if cirq.is_parameterized(op):
                ops += parametrised_ops(op, position, slots)
                continue
            permutation = permutation_of(op, position, n)
            if permutation is not None:
                ops.append(Permutation(permutation))
            elif len(op.qubits) == 1:
                ops.append(Matrix1(position[op.qubits[0]], cirq.unitary(op)))
            elif len(op.qubits) == 2 and cirq.is_diagonal(cirq.unitary(op)):
                a, b = (position[q] for q in op.qubits)
                diagonal = np.diag(cirq.unitary(op))
                ops.append(Diagonal(diagonal[2 * bits[:, a] + bits[:, b]]))
            elif len(op.qubits) == 2:
                a, b = (position[q] for q in op.qubits)
                ops.append(Matrix2((a, b), cirq.unitary(op)))
            else:
                raise BackendError(f"{op}: gate not supported by the batched engine")
        rotations = [op.slot for op in ops if isinstance(op, Rotation)]
        if len(rotations) != len(set(rotations)):
            raise BackendError("a slot drives more than one rotation; the batched engine needs "
                               "each slot on exactly one gate (see shiftability)")
        return cls(n, tuple(_fuse(ops)), PauliMasks.from_pauli_strings(observables, position),
                   len(slot_names))

    # ------------------------------------------------------------------------------ running
    def expectations(self, slot_values: np.ndarray) -> np.ndarray:
        """Every observable's expectation value for each row of slot values ``[N, S]``."""
        slot_values = np.asarray(slot_values, dtype=float)
        rows = max(1, MAX_AMPLITUDES >> self.num_qubits)
        return np.concatenate([
            self._expect(self._run(slot_values[i : i + rows], shift=False)[0])
            for i in range(0, len(slot_values), rows)
        ]) if len(slot_values) else np.zeros((0, self.observables.count))

    def shifted_values(self, slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
        """The unshifted and both shifted evaluations of every slot, for each row.

        Slot ``k``'s gate is ``exp(-i t P / 2)``; its shifted evaluations are at ``t +- pi/2``.

        Returns:
            ``(values [N, O], plus [N, O, S], minus [N, O, S])``.
        """
        slot_values = np.asarray(slot_values, dtype=float)
        total = len(slot_values)
        chunk = max(1, MAX_AMPLITUDES // ((self.num_slots + 1) << self.num_qubits))
        values, plus, minus = [], [], []
        for i in range(0, total, chunk):
            state, order = self._run(slot_values[i : i + chunk], shift=True)
            b = min(chunk, total - i)
            base = state[:b]
            a_a = self._expect(base)
            count = a_a.shape[1]
            same, cross = self.observables.forked_products(base, state[b:])
            # forked rows come in one block of b rows per slot, in ``order``
            same = same.real.reshape(len(order), b, count).transpose(1, 2, 0)
            cross = cross.imag.reshape(len(order), b, count).transpose(1, 2, 0)
            mean = (a_a[:, :, None] + same) / 2
            p = np.zeros((b, count, self.num_slots))
            m = np.zeros_like(p)
            p[:, :, order], m[:, :, order] = mean + cross, mean - cross
            values.append(a_a)
            plus.append(p)
            minus.append(m)
        return np.concatenate(values), np.concatenate(plus), np.concatenate(minus)

    def shift_jacobian(self, slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values and parameter-shift Jacobian ``(f(t + pi/2) - f(t - pi/2)) / 2`` per row.

        Returns:
            ``(values [N, O], jacobian [N, O, S])``.
        """
        values, plus, minus = self.shifted_values(slot_values)
        return values, (plus - minus) / 2

    def final_states(self, slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expectation values ``[N, O]`` and final states ``[N, 2**n]`` (for
        :meth:`vector_jacobian`, which then need not run the circuit again)."""
        states = self._final(np.asarray(slot_values, dtype=float))
        return self._expect(states), states

    @functools.cached_property
    def _encoded(self) -> EncodedStep | None:
        return encode(self.ops, self.num_qubits)

    def _final(self, slot_values: np.ndarray) -> np.ndarray:
        """Final states of the rows (the whole step in one compiled call where it encodes)."""
        if self._encoded is not None:
            return step_kernel.forward(self._encoded, slot_values, self.num_qubits)
        return self._run(slot_values, shift=False)[0]

    def vector_jacobian(self, slot_values: np.ndarray, cotangent: np.ndarray,
                        final: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Values and the product ``cotangent . jacobian`` per row, by the adjoint method.

        Args:
            slot_values: ``[N, S]``.
            cotangent: ``[N, O]``, one weight per returned value.
            final: the rows' final states from :meth:`final_states`, if already computed.

        Returns:
            ``(values [N, O], products [N, S])``; ``products[r, s]`` equals
            ``sum_o cotangent[r, o] * shift_jacobian(slot_values)[1][r, o, s]``.
        """
        slot_values = np.asarray(slot_values, dtype=float)
        cotangent = np.asarray(cotangent, dtype=float)
        chunk = max(1, MAX_AMPLITUDES >> (self.num_qubits + 1))
        values, products = [], []
        for i in range(0, len(slot_values), chunk):
            rows = slice(i, i + chunk)
            states = self._final(slot_values[rows]) if final is None else final[rows]
            v, p = self._adjoint(slot_values[rows], cotangent[rows], states)
            values.append(v)
            products.append(p)
        if not values:
            return np.zeros((0, self.observables.count)), np.zeros((0, self.num_slots))
        return np.concatenate(values), np.concatenate(products)

    def _adjoint(self, slot_values: np.ndarray, cotangent: np.ndarray,
                 final: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch, n = len(slot_values), self.num_qubits
        # rows [psi (batch), lambda = O_c psi (batch)], swept back through every operation
        state = np.concatenate([final, self.observables.weighted_sum(final, cotangent)])
        if self._encoded is not None:
            return self._expect(final), step_kernel.adjoint(self._encoded, slot_values, state)
        psi, lam = state[:batch], state[batch:]
        products = np.zeros((batch, self.num_slots))
        for op in reversed(self.ops):
            if isinstance(op, Permutation):
                permute_rows(state, op.inverse)
            elif isinstance(op, Diagonal):
                state *= op.phases.conj()
            elif isinstance(op, Matrix1):
                apply_1q(state, op.qubit, n, op.matrix.conj().T)
            elif isinstance(op, Matrix2):
                state[:] = apply_2q(state, op.qubits, n, op.matrix.conj().T)
            else:
                inserted = psi.copy()
                apply_1q(inserted, op.qubit, n, op.inserted_pauli)
                products[:, op.slot] = np.imag(np.einsum("rk,rk->r", lam.conj(), inserted))
                rotate(state, op.qubit, n, slot_values[:, op.slot], op.inverse_parts)
        return self._expect(final), products

    def _run(self, slot_values: np.ndarray, shift: bool) -> tuple[np.ndarray, list[int]]:
        """Apply every operation to all rows; with ``shift``, fork 2 rows per slot as it comes.

        Rows are laid out as ``[unshifted, Pauli inserted at slot j0, at j1, ...]``, ``batch``
        rows per block, slots in circuit order (returned).
        """
        batch = len(slot_values)
        rotations = sum(isinstance(op, Rotation) for op in self.ops)
        capacity = batch * (1 + rotations) if shift else batch
        state = np.zeros((capacity, 1 << self.num_qubits), dtype=complex)
        state[:batch, 0] = 1.0
        active, order = batch, []
        for op in self.ops:
            live = state[:active]
            if isinstance(op, Permutation):
                permute_rows(live, op.index)
            elif isinstance(op, Diagonal):
                live *= op.phases
            elif isinstance(op, Matrix1):
                apply_1q(live, op.qubit, self.num_qubits, op.matrix)
            elif isinstance(op, Matrix2):
                live[:] = apply_2q(live, op.qubits, self.num_qubits, op.matrix)
            else:
                rotate(live, op.qubit, self.num_qubits, slot_values[:, op.slot], op.parts)
                if shift:  # fork: the unshifted rows with the rotation's Pauli inserted
                    state[active : active + batch] = state[:batch]
                    apply_1q(state[active : active + batch], op.qubit, self.num_qubits,
                             op.inserted_pauli)
                    active += batch
                    order.append(op.slot)
        return state[:active], order

    def _expect(self, state: np.ndarray) -> np.ndarray:
        """``<O>`` for every observable ``O``, per row."""
        return np.real(self.observables.products(state, state))


def _fuse(ops: list[Op]) -> list[Op]:
    """Merge neighbouring permutations, diagonals and same-qubit fixed matrices."""
    fused: list[Op] = []
    for op in ops:
        last = fused[-1] if fused else None
        if isinstance(op, Permutation) and isinstance(last, Permutation):
            fused[-1] = Permutation(last.index[op.index])
        elif isinstance(op, Diagonal) and isinstance(last, Diagonal):
            fused[-1] = Diagonal(last.phases * op.phases)
        elif isinstance(op, Matrix1) and isinstance(last, Matrix1) and op.qubit == last.qubit:
            fused[-1] = Matrix1(op.qubit, op.matrix @ last.matrix)
        elif isinstance(op, Matrix1) and isinstance(last, Rotation) and op.qubit == last.qubit:
            fused[-1] = dataclasses.replace(last, after=op.matrix @ last.after)
        elif isinstance(op, Rotation) and isinstance(last, Matrix1) and op.qubit == last.qubit:
            fused[-1] = dataclasses.replace(op, before=op.before @ last.matrix)
        else:
            fused.append(op)
    return fused
