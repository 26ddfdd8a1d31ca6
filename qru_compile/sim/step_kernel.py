"""A whole step's forward run and adjoint sweep, each in one compiled call.

The engine applies a step operation by operation, one kernel call each (:mod:`.kernels`);
for small states that is mostly Python: the oscillation preset's step is about 240 calls of
about 3 us on two rows of 256 amplitudes, so its adjoint gradient spent most of its time
dispatching (profiled). :func:`encode` packs the operations into arrays once, and
:func:`forward` and :func:`adjoint` loop over them inside numba, calling the single-operation
kernels themselves. Steps with a fixed 4x4 matrix (none of the presets' logical steps) are not
encoded and keep the per-operation path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numba
import numpy as np

from qru_compile.sim.gate_decoding import Diagonal, Matrix1, Matrix2, Op, Permutation, Rotation
from qru_compile.sim.kernels import _apply_1q_kernel, _rotate_kernel, gather_rows

_PERMUTATION, _DIAGONAL, _MATRIX, _ROTATION = 0, 1, 2, 3


@dataclasses.dataclass(frozen=True, eq=False)
class EncodedStep:
    """A step's operations as arrays (one entry per operation, tables by reference).

    Attributes:
        kinds: permutation, diagonal, 2x2 matrix or rotation, per operation.
        strides: ``2**(n - qubit - 1)`` of the operation's qubit (matrices, rotations).
        slots: the rotation's angle slot.
        matrices: the 2x2 matrix (a rotation: its inserted Pauli, for the adjoint's product).
        inverse_matrices: their conjugate transposes.
        parts: a rotation's ``[A, B]`` (``cos(t/2) A + sin(t/2) B``); ``inverse_parts`` its
            inverse's.
        table_of: the row of ``tables``/``inverse_tables`` (permutations) or ``phases``
            (diagonals) an operation uses.
    """

    kinds: np.ndarray
    strides: np.ndarray
    slots: np.ndarray
    matrices: np.ndarray
    inverse_matrices: np.ndarray
    parts: np.ndarray
    inverse_parts: np.ndarray
    table_of: np.ndarray
    tables: np.ndarray
    inverse_tables: np.ndarray
    phases: np.ndarray


def encode(ops: Sequence[Op], num_qubits: int) -> EncodedStep | None:
    """The operations as arrays, or None if one is a fixed 4x4 matrix."""
    if any(isinstance(op, Matrix2) for op in ops):
        return None
    count, dim = len(ops), 1 << num_qubits
    kinds = np.zeros(count, dtype=np.int64)
    strides = np.zeros(count, dtype=np.int64)
    slots = np.zeros(count, dtype=np.int64)
    matrices = np.zeros((count, 2, 2), dtype=complex)
    parts = np.zeros((count, 2, 2, 2), dtype=complex)
    inverse_parts = np.zeros_like(parts)
    table_of = np.zeros(count, dtype=np.int64)
    tables: list[np.ndarray] = []
    phases: list[np.ndarray] = []
    for i, op in enumerate(ops):
        if isinstance(op, Permutation):
            kinds[i], table_of[i] = _PERMUTATION, len(tables)
            tables.append(op.index)
        elif isinstance(op, Diagonal):
            kinds[i], table_of[i] = _DIAGONAL, len(phases)
            phases.append(op.phases)
        elif isinstance(op, Matrix1):
            kinds[i], strides[i] = _MATRIX, 1 << (num_qubits - op.qubit - 1)
            matrices[i] = op.matrix
        else:
            assert isinstance(op, Rotation)
            kinds[i], strides[i], slots[i] = _ROTATION, 1 << (num_qubits - op.qubit - 1), op.slot
            matrices[i] = op.inserted_pauli
            parts[i], inverse_parts[i] = op.parts, op.inverse_parts
    index = np.array(tables, dtype=np.int64).reshape(len(tables), dim)
    return EncodedStep(kinds, strides, slots, matrices,
                       np.ascontiguousarray(matrices.conj().transpose(0, 2, 1)), parts,
                       inverse_parts, table_of, index, np.argsort(index, axis=1),
                       np.array(phases, dtype=complex).reshape(len(phases), dim))


def forward(step: EncodedStep, slot_values: np.ndarray, num_qubits: int) -> np.ndarray:
    """The final states ``[N, 2**n]`` of ``|0...0>`` run through the step, one row per row of
    ``slot_values``."""
    state = np.zeros((len(slot_values), 1 << num_qubits), dtype=complex)
    state[:, 0] = 1.0
    _forward(state, step.kinds, step.strides, step.slots, step.matrices, step.parts,
             step.table_of, step.tables, step.phases, np.cos(slot_values / 2),
             np.sin(slot_values / 2))
    return state


def adjoint(step: EncodedStep, slot_values: np.ndarray, state: np.ndarray) -> np.ndarray:
    """The adjoint sweep: ``state`` is ``[psi (N rows), lambda (N rows)]`` at the end of the
    step (swept back in place); returns ``Im <lambda_k| P_k |psi_k>`` per row and slot."""
    products = np.zeros(slot_values.shape)
    _adjoint(state, products, step.kinds, step.strides, step.slots, step.matrices,
             step.inverse_matrices, step.inverse_parts, step.table_of, step.inverse_tables,
             step.phases, np.cos(slot_values / 2), np.sin(slot_values / 2))
    return products


@numba.njit(cache=True)
def _forward(state: np.ndarray, kinds: np.ndarray, strides: np.ndarray, slots: np.ndarray,
             matrices: np.ndarray, parts: np.ndarray, table_of: np.ndarray,
             tables: np.ndarray, phases: np.ndarray, cos: np.ndarray, sin: np.ndarray
             ) -> None:
    scratch = np.empty(state.shape[1], dtype=state.dtype)
    for i in range(len(kinds)):
        kind = kinds[i]
        if kind == _PERMUTATION:
            gather_rows(state, tables[table_of[i]], scratch)
        elif kind == _DIAGONAL:
            for r in range(state.shape[0]):
                for k in range(state.shape[1]):
                    state[r, k] *= phases[table_of[i], k]
        elif kind == _MATRIX:
            _apply_1q_kernel(state, strides[i], matrices[i])
        else:
            _rotate_kernel(state, strides[i], cos[:, slots[i]], sin[:, slots[i]], parts[i])


@numba.njit(cache=True)
def _adjoint(state: np.ndarray, products: np.ndarray, kinds: np.ndarray, strides: np.ndarray,
             slots: np.ndarray, inserted: np.ndarray, inverse_matrices: np.ndarray,
             inverse_parts: np.ndarray, table_of: np.ndarray, inverse_tables: np.ndarray,
             phases: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> None:
    batch, dim = products.shape[0], state.shape[1]
    scratch = np.empty(dim, dtype=state.dtype)
    for i in range(len(kinds) - 1, -1, -1):
        kind = kinds[i]
        if kind == _PERMUTATION:
            gather_rows(state, inverse_tables[table_of[i]], scratch)
        elif kind == _DIAGONAL:
            for r in range(state.shape[0]):
                for k in range(dim):
                    state[r, k] *= np.conj(phases[table_of[i], k])
        elif kind == _MATRIX:
            _apply_1q_kernel(state, strides[i], inverse_matrices[i])
        else:
            stride, p = strides[i], inserted[i]
            for r in range(batch):  # Im <lambda| P |psi>, P applied on the fly
                total = 0j
                for base in range(0, dim, 2 * stride):
                    for k in range(base, base + stride):
                        x0, x1 = state[r, k], state[r, k + stride]
                        total += np.conj(state[batch + r, k]) * (p[0, 0] * x0 + p[0, 1] * x1)
                        total += np.conj(state[batch + r, k + stride]) * (p[1, 0] * x0
                                                                          + p[1, 1] * x1)
                products[r, slots[i]] = total.imag
            _rotate_kernel(state, stride, cos[:, slots[i]], sin[:, slots[i]], inverse_parts[i])
