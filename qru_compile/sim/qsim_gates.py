"""A step circuit as qsim gates: slot-carrying matrix programs, native gates, noise channels.

:func:`translate_circuit` decodes the circuit once into a short gate list for
:class:`qru_compile.sim.qsim_kernel.QsimKernel`: single-qubit gates (fixed or carrying a slot)
folded into a neighbouring multi-qubit gate on their qubit (never across a noise channel), each
matrix a :class:`MatrixProgram` of fixed matrices and slot rotations; CSWAP/CCX/CCZ stay qsim's
native gates. :func:`opstrings` translates the observables.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cirq
import numpy as np
import qsimcirq
import sympy
from qsimcirq import qsim

from qru_compile.errors import BackendError
from qru_compile.sim.gate_decoding import PAULI, POWER_GATES

# Gates of three or more qubits that qsim applies natively (cheaper to add than an 8x8 matrix).
_NATIVE: dict[cirq.Gate | None, Any] = {cirq.CSWAP: qsim.kCSwapGate, cirq.CCX: qsim.kCCX,
                                        cirq.CCZ: qsim.kCCZ}


@dataclasses.dataclass(eq=False)
class Factor:
    """A slot rotation with the fixed matrices up to the next factor folded in: ``c A + s B``
    with ``c, s = cos(weight * t / 2), sin(weight * t / 2)`` for slot value ``t``."""

    slot: int
    weight: float
    cos_part: np.ndarray
    sin_part: np.ndarray


@dataclasses.dataclass(eq=False)
class MatrixProgram:
    """A matrix ``F_k ... F_1 F0`` (``F0`` fixed, then the factors in application order) on
    ``qubits`` (qsim indices, the first the most significant bit of the matrix)."""

    qubits: tuple[int, ...]
    fixed: np.ndarray
    factors: list[Factor] = dataclasses.field(default_factory=list)

    def then(self, other: MatrixProgram) -> None:
        """Append ``other`` (same qubits and order), applied after this program."""
        if self.factors:
            last = self.factors[-1]
            last.cos_part = other.fixed @ last.cos_part
            last.sin_part = other.fixed @ last.sin_part
        else:
            self.fixed = other.fixed @ self.fixed
        self.factors += [dataclasses.replace(f) for f in other.factors]

    def on(self, qubits: tuple[int, ...]) -> MatrixProgram:
        """This program embedded in a gate on ``qubits`` (a superset, any order)."""
        if qubits == self.qubits:
            return self
        width = len(qubits)
        perm = [qubits.index(q) for q in self.qubits]
        rest = [i for i in range(width) if i not in perm]

        def embed(m: np.ndarray) -> np.ndarray:
            full = np.kron(m, np.eye(1 << len(rest)))
            # axes of ``full``: (self.qubits..., rest...) -> reorder to ``qubits``
            tensor = full.reshape((2,) * (2 * width))
            order = perm + rest
            inverse = np.argsort(order)
            tensor = tensor.transpose(list(inverse) + [width + i for i in inverse])
            return tensor.reshape(1 << width, 1 << width)

        return MatrixProgram(qubits, embed(self.fixed),
                             [Factor(f.slot, f.weight, embed(f.cos_part), embed(f.sin_part))
                              for f in self.factors])


@dataclasses.dataclass(frozen=True)
class NativeGate:
    """A qsim gate kind with fixed parameters (no matrix to compute)."""

    kind: qsim.GateKind
    qubits: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class NoiseChannel:
    """A noise channel: qsim's ``(lower-bound probability, matrix, is unitary)`` per operator."""

    qubits: tuple[int, ...]
    operators: list[tuple[float, list[float], bool]]

    @classmethod
    def of(cls, op: cirq.Operation, qubits: tuple[int, ...]) -> NoiseChannel:
        """The channel of ``op`` (a mixture or Kraus operators).

        Follows qsimcirq's ``translate_cirq_to_qtrajectory``, which does this only inside its
        whole-circuit translation, so it cannot be called for one operation.
        """
        operators = []
        if cirq.has_mixture(op):
            for probability, matrix in cirq.mixture(op):
                operators.append((float(probability), qsim_floats(matrix), cirq.is_unitary(matrix)))
        else:
            for matrix in cirq.kraus(op):
                lower_bound = float(min(np.linalg.svd(matrix)[1]) ** 2)
                operators.append((lower_bound, qsim_floats(matrix), cirq.is_unitary(matrix)))
        return cls(qubits, operators)


def qsim_floats(matrix: np.ndarray) -> list[float]:
    """A complex matrix as qsim takes it: row-major, float32, real and imaginary interleaved."""
    return np.asarray(matrix).astype(np.complex64).view(np.float32).ravel().tolist()


# Not gate_decoding.parametrised_ops: qsim takes any slope (the rotation's weight), checks that
# exactly one PhasedXZ exponent is symbolic, folds the fixed gates into the rotation's matrices
# and names itself in its errors.
def _linear(expr: sympy.Expr, name: str, op: cirq.Operation) -> tuple[float, float]:
    """``(slope, offset)`` of an exponent linear in the slot symbol ``name``."""
    symbol = sympy.Symbol(name)
    slope = sympy.diff(expr, symbol)
    if slope.free_symbols or expr.free_symbols - {symbol}:
        raise BackendError(f"qsim kernel: {op}: exponent {expr} is not linear in {name}")
    return float(slope), float(expr.subs(symbol, 0))


def _slot_program(op: cirq.Operation, qubit: int, slot: int, name: str) -> MatrixProgram:
    """A symbolic single-qubit gate as ``after . R_P(w t) . before`` (global phase dropped)."""
    gate = op.gate

    def rotation(before: np.ndarray, axis: str, slope: float, after: np.ndarray) -> MatrixProgram:
        # P^(slope t) = phase * R_P(pi slope t), R_P(a) = cos(a/2) - i sin(a/2) P
        return MatrixProgram((qubit,), before,
                             [Factor(slot, np.pi * slope, after, -1j * after @ PAULI[axis])])

    eye = np.eye(2, dtype=complex)
    for gate_type, axis in POWER_GATES:
        if isinstance(gate, gate_type):
            slope, offset = _linear(gate.exponent, name, op)
            return rotation(cirq.unitary(gate_type(exponent=offset)), axis, slope, eye)
    if isinstance(gate, cirq.PhasedXZGate):
        a = gate.axis_phase_exponent
        x_symbolic = cirq.is_parameterized(gate.x_exponent)
        if cirq.is_parameterized(a) or x_symbolic == cirq.is_parameterized(gate.z_exponent):
            raise BackendError(f"qsim kernel: {op}: the slot must drive exactly one of "
                               "x_exponent and z_exponent")
        if x_symbolic:
            slope, offset = _linear(gate.x_exponent, name, op)
            # Z^z Z^a X^x Z^-a = [Z^z Z^a X^offset Z^-a . Z^a] R_x Z^-a
            after = cirq.unitary(cirq.PhasedXZGate(x_exponent=offset, z_exponent=gate.z_exponent,
                                                   axis_phase_exponent=a)) @ cirq.unitary(cirq.Z**a)
            return rotation(cirq.unitary(cirq.Z**-a), "x", slope, after)
        slope, offset = _linear(gate.z_exponent, name, op)
        rest = cirq.PhasedXZGate(x_exponent=gate.x_exponent, z_exponent=offset,
                                 axis_phase_exponent=a)
        return rotation(cirq.unitary(rest), "z", slope, eye)
    raise BackendError(f"qsim kernel: {op}: symbolic {type(gate).__name__} is not supported "
                       "(only X/Y/ZPowGate, rx/ry/rz and PhasedXZGate exponents)")


def translate_circuit(circuit: cirq.AbstractCircuit, index: dict[cirq.Qid, int],
                      slots: dict[str, int]) -> list[MatrixProgram | NativeGate | NoiseChannel]:
    """The circuit as qsim gates in order, single-qubit gates folded into their neighbours
    (never across a noise channel)."""
    gates: list[MatrixProgram | NativeGate | NoiseChannel] = []
    pending: dict[int, MatrixProgram] = {}  # single-qubit gates not yet placed, per qubit
    last: dict[int, int] = {}  # position in ``gates`` of the last gate on each qubit

    def place(q: int) -> None:
        """Put qubit q's pending gates after its last gate (or alone if it cannot take them)."""
        program = pending.pop(q, None)
        if program is None:
            return
        target = gates[last[q]] if q in last else None
        if isinstance(target, MatrixProgram):
            target.then(program.on(target.qubits))
        else:
            last[q] = len(gates)
            gates.append(program)

    if not circuit.are_all_measurements_terminal():
        raise BackendError("qsim kernel: mid-circuit measurements are not supported")
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            continue  # terminal: no effect on expectation values
        unknown = [q for q in op.qubits if q not in index]
        if unknown:
            raise BackendError(f"qsim kernel: {op} acts on {unknown}, not in the qubit order")
        qubits = tuple(index[q] for q in op.qubits)
        if cirq.is_parameterized(op):
            names = cirq.parameter_names(op)
            if len(names) != 1 or len(qubits) != 1:
                raise BackendError(f"qsim kernel: {op}: a symbolic gate must act on one qubit "
                                   "with one symbol")
            (name,) = names
            if name not in slots:
                raise BackendError(f"qsim kernel: {op}: symbol {name!r} is not a slot name")
            program = _slot_program(op, qubits[0], slots[name], name)
        elif not qubits:
            continue  # a global phase
        elif not cirq.has_unitary(op):
            if not (cirq.has_mixture(op) or cirq.has_kraus(op)):
                raise BackendError(f"qsim kernel: {op} is neither unitary nor a channel")
            for q in qubits:
                place(q)
            for q in qubits:
                last[q] = len(gates)
            gates.append(NoiseChannel.of(op, qubits))
            continue
        elif len(qubits) > 6:
            raise BackendError(f"qsim kernel: {op} acts on {len(qubits)} qubits; qsim matrix "
                               "gates take at most 6")
        elif len(qubits) > 2 and op.gate in _NATIVE:
            for q in qubits:
                place(q)
            for q in qubits:
                last[q] = len(gates)
            gates.append(NativeGate(_NATIVE[op.gate], qubits))
            continue
        else:
            program = MatrixProgram(qubits, cirq.unitary(op).astype(complex))
        if len(qubits) == 1:
            (q,) = qubits
            if q in pending:
                pending[q].then(program)
            else:
                pending[q] = program
            continue
        # a multi-qubit gate: it takes its qubits' pending gates first
        for q in qubits:
            if q in pending:
                first = pending.pop(q).on(qubits)
                first.then(program)
                program = first
        previous = {last.get(q) for q in qubits}
        (position, *others) = previous
        if not others and position is not None:
            target = gates[position]
            if isinstance(target, MatrixProgram) and set(target.qubits) == set(qubits):
                target.then(program.on(target.qubits))  # same qubits as the gate before
                continue
        for q in qubits:
            last[q] = len(gates)
        gates.append(program)
    for q in list(pending):
        place(q)
    return gates


def opstrings(observable: cirq.PauliString[cirq.Qid],
              index: dict[cirq.Qid, int]) -> tuple[list[Any], int]:
    """qsim's ``(opsum, qubit count)`` for one Pauli string (via qsimcirq's translator)."""
    if not isinstance(observable, cirq.PauliString):
        raise BackendError(f"qsim kernel: observable {observable!r} is not a cirq.PauliString")
    coefficient = complex(observable.coefficient)
    if abs(coefficient.imag) > 1e-12:
        raise BackendError(f"qsim kernel: observable {observable} has a complex coefficient")
    unknown = [q for q in observable.qubits if q not in index]
    if unknown:
        raise BackendError(f"qsim kernel: observable {observable} acts on {unknown}, not in the "
                           "qubit order")
    opstring = qsim.OpString()
    opstring.weight = coefficient.real
    for q, pauli in observable.items():
        qsimcirq.add_op_to_opstring(pauli.on(q), index, opstring)
    return [opstring], len(observable)
