"""The OpenQASM 3 writer: a native Cirq circuit as an ``openqasm3.ast`` program.

:func:`circuit_program` builds the tree of a circuit in one of two flavours (``stdgates``: gate
definitions over ``stdgates.inc``; ``braket``: Amazon Braket's built-in gates, see
:mod:`.braket`), with one classical register per measurement key or a single one;
:mod:`.step` prints a compiled step with its comment block.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import cirq
import sympy
from openqasm3 import ast

from qru_compile.errors import InputError
from qru_compile.export.qasm3.braket import braket_statements
from qru_compile.export.qasm3.errors import QasmError
from qru_compile.export.qasm3.gates import (
    NATIVE_GATES,
    angle,
    gate_call,
    half_turns,
    identifier,
)
from qru_compile.gatesets import gateset_of

#: ``stdgates``: native ``gate`` definitions over ``stdgates.inc`` (exact, global phase
#: included); ``braket``: Braket's built-in gates, no include (see :mod:`.braket`).
FLAVOURS = ("stdgates", "braket")
#: ``per-qubit``: a register per measurement key, named after it (``bit[1] d0;``);
#: ``single``: one register :data:`SINGLE_REGISTER` holding every measured bit in order.
REGISTERS = ("per-qubit", "single")
#: The name of the one classical register of ``registers="single"``.
SINGLE_REGISTER = "c"


def check_choice(what: str, value: object, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``.

    Raises:
        InputError: naming ``what`` and the allowed values otherwise.
    """
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


def qubit_name(qubit: cirq.Qid) -> str:
    """The OpenQASM name of a physical qubit: ``q_5_2`` for ``cirq.GridQubit(5, 2)``.

    Raises:
        QasmError: for a qubit that is neither a GridQubit nor a LineQubit.
    """
    def coordinate(value: int) -> str:
        return f"m{-value}" if value < 0 else str(value)
    if isinstance(qubit, cirq.GridQubit):
        return f"q_{coordinate(qubit.row)}_{coordinate(qubit.col)}"
    if isinstance(qubit, cirq.LineQubit):
        return f"q_{coordinate(qubit.x)}"
    raise QasmError(f"cannot export qubit {qubit!r}: expected a GridQubit or LineQubit")


def _operation_statement(op: cirq.Operation) -> tuple[ast.QuantumGate, tuple[str, ...]]:
    """The statement for one native operation and the definitions it needs.

    Raises:
        QasmError: for a gate outside the native gatesets.
    """
    gate, qubits = op.gate, [qubit_name(q) for q in op.qubits]
    if isinstance(gate, cirq.PhasedXZGate):
        args = [half_turns(gate.x_exponent), half_turns(gate.z_exponent),
                half_turns(gate.axis_phase_exponent)]
        return gate_call("phased_xz", args, *qubits), ("phased_xz",)
    target = gateset_of(gate) if len(op.qubits) == 2 else None
    if target is not None:  # a registered gateset's two-qubit gate, by the name it gives
        name = target.qasm_names[gate]  # type: ignore[index]
        defined = NATIVE_GATES.get(name)
        return gate_call(name, [], *qubits), () if defined is None else (*defined.needs, name)
    for native in NATIVE_GATES.values():
        if not native.definition().arguments and gate == native.cirq_gate():
            return gate_call(native.name, [], *qubits), (*native.needs, native.name)
    if isinstance(gate, cirq.CZPowGate) and gate.global_shift == 0:
        if gate == cirq.CZ:
            return gate_call("cz", [], *qubits), ()
        return gate_call("cp", [half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift == 0:
        return gate_call("p", [half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift == -0.5:
        return gate_call("rz", [half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.FSimGate):
        return gate_call("fsim", [angle(gate.theta), angle(gate.phi)], *qubits), ("fsim",)
    if isinstance(gate, cirq.ISwapPowGate) and gate.global_shift == 0:
        theta = (-gate.exponent * sympy.pi / 2 if isinstance(gate.exponent, sympy.Basic)
                 else -math.pi * gate.exponent / 2)
        return gate_call("fsim", [angle(theta), 0.0], *qubits), ("fsim",)
    raise QasmError(f"cannot export operation {op!r}: not a native gate "
                    "(PhasedXZ, Z powers, CZ powers, sqrt-iSWAP, Sycamore/FSim)")


def _measured(op: cirq.Operation) -> tuple[str, tuple[cirq.Qid, ...]]:
    """The key and qubits of a measurement the writer can express.

    Raises:
        QasmError: for a measurement that is not plain computational-basis or whose key is not
            an identifier.
    """
    gate = op.gate
    if not isinstance(gate, cirq.MeasurementGate):
        raise QasmError(f"cannot export measurement {op!r}: not a computational-basis "
                        "measurement")
    if any(gate.full_invert_mask()) or gate.confusion_map:
        raise QasmError(f"cannot export measurement {op!r} with an invert mask or confusion map")
    key = gate.key
    if not re.fullmatch(r"[A-Za-z_]\w*", key):
        raise QasmError(f"cannot export measurement key {key!r}: not an identifier")
    return key, op.qubits


def _measure(qubit: cirq.Qid, register: str, index: int) -> ast.QuantumMeasurementStatement:
    """``register[index] = measure qubit;``."""
    return ast.QuantumMeasurementStatement(
        ast.QuantumMeasurement(identifier(qubit_name(qubit))),
        ast.IndexedIdentifier(identifier(register), [[ast.IntegerLiteral(index)]]))


def measured_bits(circuit: cirq.AbstractCircuit) -> tuple[tuple[str, cirq.Qid], ...]:
    """Each measured bit of ``circuit`` and its qubit, in the order the program measures them.

    A bit is named by the key of its one-qubit measurement (``d0``), or ``key[i]`` in a wider
    one. With ``registers="single"``, bit ``c[i]`` of the program is the ``i``-th.

    Raises:
        QasmError: for a measurement the writer cannot express.
    """
    bits: list[tuple[str, cirq.Qid]] = []
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key, qubits = _measured(op)
            bits += ([(key, qubits[0])] if len(qubits) == 1
                     else [(f"{key}[{i}]", q) for i, q in enumerate(qubits)])
    return tuple(bits)


def _statements(op: cirq.Operation, flavour: str
                ) -> tuple[list[ast.QuantumGate], tuple[str, ...]]:
    """The statements of one native operation in ``flavour`` and the definitions they need."""
    if flavour == "braket":
        return braket_statements(op, [qubit_name(q) for q in op.qubits]), ()
    statement, needs = _operation_statement(op)
    return [statement], needs


def _bit_declarations(bits: dict[str, int], registers: str) -> list[ast.ClassicalDeclaration]:
    """``bit[n] key;`` per measurement key, or one ``bit[n] c;`` for every measured bit."""
    sizes = bits if registers == "per-qubit" else (
        {SINGLE_REGISTER: sum(bits.values())} if bits else {})
    return [ast.ClassicalDeclaration(ast.BitType(ast.IntegerLiteral(size)), identifier(key))
            for key, size in sizes.items()]


def circuit_program(circuit: cirq.AbstractCircuit, inputs: Sequence[str] = (), *,
                    registers: str = "per-qubit", flavour: str = "stdgates") -> ast.Program:
    """The OpenQASM 3 AST of a native circuit.

    Args:
        circuit: PhasedXZ, Z powers, CZ powers, sqrt-iSWAP, Sycamore/FSim gates and measurements
            on GridQubits or LineQubits; angles may be affine in sympy symbols.
        inputs: names to declare as ``input float[64]``, in this order; symbols of the circuit
            missing from it are declared after them, sorted.
        registers: ``"per-qubit"`` (a one-bit register per measured qubit, named after its
            key) or ``"single"`` (one register ``c``, bits in measurement order:
            :func:`measured_bits`).
        flavour: ``"stdgates"`` or ``"braket"`` (:data:`FLAVOURS`).

    Raises:
        InputError: for an unknown ``registers`` or ``flavour``.
        QasmError: for a gate, qubit, angle or measurement that cannot be written, or an
            input named as the single register.
    """
    check_choice("registers", registers, REGISTERS)
    check_choice("flavour", flavour, FLAVOURS)
    symbols = [*inputs, *sorted(set(map(str, cirq.parameter_names(circuit))) - set(inputs))]
    if registers == "single" and SINGLE_REGISTER in symbols:
        raise QasmError(f"cannot export with registers='single': an input is named "
                        f"{SINGLE_REGISTER!r}, the name of the register")
    needed: list[str] = []
    body: list[ast.Statement | ast.Pragma] = []
    bits: dict[str, int] = {}
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key, qubits = _measured(op)
            if key in bits:
                raise QasmError(f"cannot export: measurement key {key!r} is used twice")
            offset = sum(bits.values())
            bits[key] = len(qubits)
            body += [_measure(q, key, i) if registers == "per-qubit"
                     else _measure(q, SINGLE_REGISTER, offset + i) for i, q in enumerate(qubits)]
            continue
        statements, needs = _statements(op, flavour)
        needed.extend(n for n in needs if n not in needed)
        body += statements
    header: list[ast.Statement | ast.Pragma] = (
        [ast.Include("stdgates.inc")] if flavour == "stdgates" else [])
    header += [ast.IODeclaration(ast.IOKeyword.input, ast.FloatType(ast.IntegerLiteral(64)),
                                 identifier(name)) for name in symbols]
    header += [NATIVE_GATES[name].definition() for name in NATIVE_GATES if name in needed]
    header += [ast.QubitDeclaration(identifier(qubit_name(q)))
               for q in sorted(circuit.all_qubits())]
    header += _bit_declarations(bits, registers)
    return ast.Program(header + body, version="3.0")
