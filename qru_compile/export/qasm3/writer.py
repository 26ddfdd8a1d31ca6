"""The OpenQASM 3 writer: a native Cirq circuit, or a compiled QRU step, as a program.

:func:`circuit_program` builds the ``openqasm3.ast`` tree of a circuit; :func:`export_qasm3`
prints one compiled step with its leading comment block (model, device, angle map, qubits).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cirq
import openqasm3
import sympy
from openqasm3 import ast

from qru_compile.errors import InputError
from qru_compile.export.qasm3.errors import QasmError
from qru_compile.export.qasm3.gates import (
    NATIVE_GATES,
    binary,
    gate_call,
    identifier,
    negate,
    number,
)
from qru_compile.gatesets import gateset_of
from qru_compile.program import BASES
from qru_compile.version import __version__

if TYPE_CHECKING:
    from qru_compile.compiler import CompileResult


def _angle(value: float | sympy.Basic) -> ast.Expression:
    """``value`` (radians): a number or a sympy expression affine in symbols.

    Raises:
        QasmError: for an expression that is not affine in its symbols.
    """
    if not isinstance(value, sympy.Basic):
        return number(float(value))
    expr = sympy.expand(value)
    if not expr.free_symbols:
        return number(float(expr))
    terms: list[tuple[float, ast.Expression]] = []  # (sign, magnitude)
    rest = expr
    for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
        coefficient = expr.coeff(symbol)
        if coefficient.free_symbols:
            raise QasmError(f"cannot export angle {value}: not affine in its symbols")
        rest -= coefficient * symbol
        c = float(coefficient)
        term: ast.Expression = identifier(symbol.name)
        terms.append((math.copysign(1, c), term if abs(c) == 1 else
                      binary("*", number(abs(c)), term)))
    rest = sympy.simplify(rest)
    if rest.free_symbols:
        raise QasmError(f"cannot export angle {value}: not affine in its symbols")
    if rest != 0:
        terms.append((math.copysign(1, float(rest)), number(abs(float(rest)))))
    sign, result = terms[0]
    result = result if sign > 0 else negate(result)
    for sign, term in terms[1:]:
        result = binary("+" if sign > 0 else "-", result, term)
    return result


def _half_turns(exponent: float | sympy.Basic) -> ast.Expression:
    """The angle ``pi * exponent`` of a Cirq exponent (half turns)."""
    return _angle(exponent * sympy.pi if isinstance(exponent, sympy.Basic)
                  else math.pi * exponent)


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
        args = [_half_turns(gate.x_exponent), _half_turns(gate.z_exponent),
                _half_turns(gate.axis_phase_exponent)]
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
        return gate_call("cp", [_half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift == 0:
        return gate_call("p", [_half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift == -0.5:
        return gate_call("rz", [_half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.FSimGate):
        return gate_call("fsim", [_angle(gate.theta), _angle(gate.phi)], *qubits), ("fsim",)
    if isinstance(gate, cirq.ISwapPowGate) and gate.global_shift == 0:
        theta = (-gate.exponent * sympy.pi / 2 if isinstance(gate.exponent, sympy.Basic)
                 else -math.pi * gate.exponent / 2)
        return gate_call("fsim", [_angle(theta), 0.0], *qubits), ("fsim",)
    raise QasmError(f"cannot export operation {op!r}: not a native gate "
                    "(PhasedXZ, Z powers, CZ powers, sqrt-iSWAP, Sycamore/FSim)")


def _measurement(op: cirq.Operation) -> tuple[str, list[ast.QuantumMeasurementStatement]]:
    gate = op.gate
    if not isinstance(gate, cirq.MeasurementGate):
        raise QasmError(f"cannot export measurement {op!r}: not a computational-basis "
                        "measurement")
    if any(gate.full_invert_mask()) or gate.confusion_map:
        raise QasmError(f"cannot export measurement {op!r} with an invert mask or confusion map")
    key = gate.key
    if not re.fullmatch(r"[A-Za-z_]\w*", key):
        raise QasmError(f"cannot export measurement key {key!r}: not an identifier")
    return key, [ast.QuantumMeasurementStatement(
        ast.QuantumMeasurement(identifier(qubit_name(q))),
        ast.IndexedIdentifier(identifier(key), [[ast.IntegerLiteral(i)]]))
        for i, q in enumerate(op.qubits)]


def circuit_program(circuit: cirq.AbstractCircuit, inputs: Sequence[str] = ()) -> ast.Program:
    """The OpenQASM 3 AST of a native circuit.

    Args:
        circuit: PhasedXZ, Z powers, CZ powers, sqrt-iSWAP, Sycamore/FSim gates and measurements
            on GridQubits or LineQubits; angles may be affine in sympy symbols.
        inputs: names to declare as ``input float[64]``, in this order; symbols of the circuit
            missing from it are declared after them, sorted.

    Raises:
        QasmError: for a gate, qubit, angle or measurement that cannot be written.
    """
    symbols = [*inputs, *sorted(set(map(str, cirq.parameter_names(circuit))) - set(inputs))]
    needed: list[str] = []
    body: list[ast.Statement | ast.Pragma] = []
    bits: dict[str, int] = {}
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key, statements = _measurement(op)
            if key in bits:
                raise QasmError(f"cannot export: measurement key {key!r} is used twice")
            bits[key] = len(statements)
            body.extend(statements)
            continue
        statement, needs = _operation_statement(op)
        needed.extend(n for n in needs if n not in needed)
        body.append(statement)
    qubits = sorted(circuit.all_qubits())
    header: list[ast.Statement | ast.Pragma] = [ast.Include("stdgates.inc")]
    header += [ast.IODeclaration(ast.IOKeyword.input, ast.FloatType(ast.IntegerLiteral(64)),
                                 identifier(name)) for name in symbols]
    header += [NATIVE_GATES[name].definition() for name in NATIVE_GATES if name in needed]
    header += [ast.QubitDeclaration(identifier(qubit_name(q))) for q in qubits]
    header += [ast.ClassicalDeclaration(ast.BitType(ast.IntegerLiteral(size)), identifier(key))
               for key, size in bits.items()]
    return ast.Program(header + body, version="3.0")


def _slot_formula(result: CompileResult, k: int) -> str:
    angle_map = result.step.angle_map
    formula = angle_map.formula(k, result.model.parameter_names)
    return formula if angle_map.source[k] < angle_map.constant_source else f"parameter {formula}"


def _header(result: CompileResult, basis: str) -> list[str]:
    final = result.report.final
    lines = [
        (f"QRU step of model {result.model.name!r} for device {result.device.name!r}, "
         f"gateset {result.gateset!r}; measurement basis {basis}"),
        (f"step circuit without basis change and measurements: depth {final.depth}, "
         f"{final.two_qubit} two-qubit gates"),
        f"written by qru_compile {__version__}",
        "inputs: radians; bind them by name to CompileResult.resolver(params, x_t, h_prev):",
    ]
    lines += [f"  {name} = {_slot_formula(result, k)}"
              for k, name in enumerate(result.step.angle_map.names)]
    lines.append("qubits: q_R_C is GridQubit(R, C); logical qubit: start -> measured at")
    for name, start in result.initial_layout.items():
        end = result.measured_qubits.get(name)
        lines.append(f"  {name}: {qubit_name(start)} -> "
                     + (qubit_name(end) if end is not None else "(not measured)"))
    if result.absorbed:
        key_of = {q: name for name, q in result.measured_qubits.items()}
        offset = BASES.index(basis)
        lines.append(f"final ring absorbed ({len(result.absorbed)} CNOTs): each output is the "
                     "+-1 parity of these measured bits:")
        for q, observable in zip(result.step.measured_qubits,
                                 result.observables[offset::2], strict=True):
            bits = ", ".join(key_of[p] for p in sorted(observable.qubits))
            lines.append(f"  <{basis}_{q.name}> = parity({bits})")
    return [f"// {line}".rstrip() for line in lines]


def check_basis(basis: str) -> str:
    """``basis`` upper-cased if it is ``Z`` or ``X``.

    Raises:
        InputError: for any other basis.
    """
    if not isinstance(basis, str) or basis.upper() not in BASES:
        raise InputError(f"unknown measurement basis {basis!r}; expected one of {', '.join(BASES)}")
    return basis.upper()


def export_qasm3(result: CompileResult, basis: str = "Z") -> str:
    """One compiled step with terminal measurements in ``basis``, as an OpenQASM 3 program.

    Args:
        result: a :class:`qru_compile.CompileResult`.
        basis: ``"Z"`` or ``"X"``: which of ``result.executables`` to write.

    Returns:
        The program text: a comment block, then the program printed by ``openqasm3.dumps``.

    Raises:
        InputError: for an unknown basis.
        QasmError: if the circuit holds something that cannot be written.
    """
    basis = check_basis(basis)
    program = circuit_program(result.executables[basis], result.step.angle_map.names)
    return "\n".join(_header(result, basis)) + "\n" + openqasm3.dumps(program)
