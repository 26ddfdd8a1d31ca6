"""Decoding Cirq operations into the array operations of the batched state-vector engines.

:mod:`qru_compile.sim.statevector` and :mod:`qru_compile.sim.trajectories` both translate a
step circuit once into operations on a ``[rows, 2**n]`` state array: gather permutations
(:class:`Permutation`; :func:`permutation_of` for X, CNOT, SWAP and CSWAP), diagonals, fixed
one- and two-qubit matrices, and slot rotations (:class:`Rotation`), into which
:func:`parametrised_ops` decodes a symbolic single-qubit gate. Qubit 0 is the most significant
bit of the state index, as in Cirq.
"""

from __future__ import annotations

import dataclasses
import functools

import cirq
import numpy as np
import sympy

from qru_compile.errors import BackendError

#: The Pauli matrices by axis name.
PAULI = {
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "z": np.array([[1, 0], [0, -1]], dtype=complex),
}
#: The single-qubit power gates an angle slot may drive, with their Pauli axis.
POWER_GATES: tuple[tuple[type[cirq.EigenGate], str], ...] = (
    (cirq.XPowGate, "x"), (cirq.YPowGate, "y"), (cirq.ZPowGate, "z"))


@dataclasses.dataclass(frozen=True, eq=False)
class Permutation:
    """A permutation of the basis states, as a gather index."""

    index: np.ndarray  # new_state[:, i] = state[:, index[i]]

    @functools.cached_property
    def inverse(self) -> np.ndarray:
        """The gather index that undoes this permutation."""
        return np.argsort(self.index)


@dataclasses.dataclass(frozen=True, eq=False)
class Diagonal:
    """A diagonal gate, as the phase of every basis state."""

    phases: np.ndarray  # new_state = state * phases


@dataclasses.dataclass(frozen=True, eq=False)
class Matrix1:
    """A fixed 2x2 ``matrix`` on the state position ``qubit``."""

    qubit: int
    matrix: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class Matrix2:
    """A fixed 4x4 ``matrix`` on the state positions ``qubits`` (the first the high bit)."""

    qubits: tuple[int, int]
    matrix: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class Rotation:
    """The rotation of angle slot ``slot`` about ``axis``, between fixed 2x2 matrices."""

    qubit: int
    axis: str  # "x", "y" or "z"
    slot: int
    sign: float  # the gate is after . R_axis(sign * slot value) . before
    before: np.ndarray = dataclasses.field(default_factory=lambda: np.eye(2, dtype=complex))
    after: np.ndarray = dataclasses.field(default_factory=lambda: np.eye(2, dtype=complex))

    @functools.cached_property
    def parts(self) -> np.ndarray:
        """``[A, B]``: the gate at slot value ``t`` is ``cos(t/2) A + sin(t/2) B``.

        ``R(sign * t) = cos(t/2) - i sign sin(t/2) P``, so ``A = after . before`` and
        ``B = -i sign after . P . before``.
        """
        return np.stack([self.after @ self.before,
                         -1j * self.sign * self.after @ PAULI[self.axis] @ self.before])

    @functools.cached_property
    def inverse_parts(self) -> np.ndarray:
        """:attr:`parts` of the inverse gate (each part's conjugate transpose)."""
        return np.ascontiguousarray(self.parts.conj().transpose(0, 2, 1))

    @functools.cached_property
    def inserted_pauli(self) -> np.ndarray:
        """``sign * after . P . after^dag``: inserting ``sign * P`` right after the rotation."""
        return self.sign * self.after @ PAULI[self.axis] @ self.after.conj().T


#: One array operation of a translated circuit.
Op = Permutation | Diagonal | Matrix1 | Matrix2 | Rotation


def basis_bits(n: int) -> np.ndarray:
    """``bits[i, q]``: bit of qubit q (0 = most significant) in basis index i."""
    index = np.arange(1 << n)
    return (index[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1


_PERMUTATION_GATES = (cirq.CNOT, cirq.SWAP, cirq.CSWAP, cirq.X)


def permutation_of(op: cirq.Operation, position: dict[cirq.Qid, int], n: int) -> np.ndarray | None:
    """Gather index for permutation gates (X, CNOT, SWAP, CSWAP), else None.

    Args:
        op: the operation.
        position: the state position of each qubit.
        n: qubits of the state.
    """
    gate = op.gate
    if not any(gate == g for g in _PERMUTATION_GATES):
        return None
    qubits = [position[q] for q in op.qubits]
    bits = basis_bits(n)
    new = bits.copy()
    if gate == cirq.CNOT:
        c, t = qubits
        new[:, t] ^= bits[:, c]
    elif gate == cirq.SWAP:
        a, b = qubits
        new[:, a], new[:, b] = bits[:, b], bits[:, a]
    elif gate == cirq.CSWAP:
        c, a, b = qubits
        on = bits[:, c] == 1
        new[on, a], new[on, b] = bits[on, b], bits[on, a]
    else:
        new[:, qubits[0]] ^= 1
    target = new @ (1 << (n - 1 - np.arange(n)))
    # new_state[target[i]] = state[i]  =>  gather index is the inverse permutation
    gather = np.empty_like(target)
    gather[target] = np.arange(1 << n)
    return gather


def _linear(expr: sympy.Expr, symbol: sympy.Symbol) -> tuple[float, float]:
    slope = sympy.diff(expr, symbol)
    if slope.free_symbols:
        raise BackendError(f"{expr} is not linear in {symbol}")
    return float(slope), float(expr.subs(symbol, 0))


def parametrised_ops(op: cirq.Operation, position: dict[cirq.Qid, int],
                     slots: dict[str, int]) -> list[Matrix1 | Rotation]:
    """A symbolic single-qubit gate as fixed matrices around one slot rotation.

    Args:
        op: a single-qubit X/Y/ZPowGate or PhasedXZGate whose exponent is ``+-t/pi`` plus a
            constant, for the value ``t`` of one angle slot.
        position: the state position of each qubit.
        slots: the column of each slot name in the slot-value arrays.

    Raises:
        BackendError: for a gate of another form.
    """
    names = cirq.parameter_names(op)
    if len(names) != 1 or len(op.qubits) != 1:
        raise BackendError(f"{op}: the batched engine needs one slot per single-qubit gate")
    (name,) = names
    if name not in slots:
        raise BackendError(f"{op}: symbol {name!r} is not an angle slot")
    symbol, q, gate = sympy.Symbol(name), position[op.qubits[0]], op.gate

    def rotation(axis: str, slope: float) -> Rotation:
        if not np.isclose(abs(slope), 1 / np.pi):
            raise BackendError(f"{op}: slot enters with slope {slope}, not +-1/pi")
        return Rotation(q, axis, slots[name], float(np.sign(slope)))

    def fixed(g: cirq.Gate) -> Matrix1:
        return Matrix1(q, cirq.unitary(g))

    for gate_type, axis in POWER_GATES:
        if isinstance(gate, gate_type):
            slope, offset = _linear(gate.exponent, symbol)
            return [fixed(gate_type(exponent=offset)), rotation(axis, slope)]
    if isinstance(gate, cirq.PhasedXZGate):
        a = gate.axis_phase_exponent
        if cirq.is_parameterized(gate.x_exponent):
            slope, offset = _linear(gate.x_exponent, symbol)
            before = fixed(cirq.Z ** -a)
            after = fixed(cirq.PhasedXZGate(x_exponent=offset, z_exponent=gate.z_exponent,
                                            axis_phase_exponent=a))
            # Z^z Z^a X^(offset) Rx Z^-a  ==  [Z^z Z^a X^offset Z^-a] (Z^a Rx Z^-a)
            return [before, rotation("x", slope), fixed(cirq.Z ** a), after]
        slope, offset = _linear(gate.z_exponent, symbol)
        rest = cirq.PhasedXZGate(x_exponent=gate.x_exponent, z_exponent=offset,
                                 axis_phase_exponent=a)
        return [fixed(rest), rotation("z", slope)]
    raise BackendError(f"{op}: symbolic gate type not supported by the batched engine")
