"""The OpenQASM 3 reader: a program written by the exporter (or edited by hand) as a Cirq circuit.

:func:`import_qasm3` parses the text with ``openqasm3.parse`` and reads it statement by
statement; native gate definitions the writer emits become the native Cirq gates again.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import cirq
import openqasm3
import sympy
from openqasm3 import ast

from qru_compile.export.qasm3.errors import QasmError
from qru_compile.export.qasm3.gates import NATIVE_GATES, gate_definitions, turns
from qru_compile.limits import max_qubits, qubit_limit_message

_GRID_NAME = re.compile(r"q_(m?\d+)_(m?\d+)")
_LINE_NAME = re.compile(r"q_(m?\d+)")
_CONSTANTS = {"pi": sympy.pi, "π": sympy.pi, "tau": 2 * sympy.pi, "τ": 2 * sympy.pi,
              "euler": sympy.E, "ℇ": sympy.E}


_STDGATES: dict[str, tuple[int, Callable[..., cirq.Gate]]] = {
    "id": (0, lambda: cirq.I), "x": (0, lambda: cirq.X), "y": (0, lambda: cirq.Y),
    "z": (0, lambda: cirq.Z), "h": (0, lambda: cirq.H), "s": (0, lambda: cirq.S),
    "sdg": (0, lambda: cirq.S**-1), "t": (0, lambda: cirq.T), "tdg": (0, lambda: cirq.T**-1),
    "sx": (0, lambda: cirq.X**0.5),
    "rx": (1, cirq.rx), "ry": (1, cirq.ry), "rz": (1, cirq.rz),
    "p": (1, lambda t: cirq.ZPowGate(exponent=turns(t))),
    "phase": (1, lambda t: cirq.ZPowGate(exponent=turns(t))),
    "u1": (1, lambda t: cirq.ZPowGate(exponent=turns(t))),
    "cx": (0, lambda: cirq.CNOT), "CX": (0, lambda: cirq.CNOT),
    "cy": (0, lambda: cirq.Y.controlled()),
    "cz": (0, lambda: cirq.CZ), "ch": (0, lambda: cirq.H.controlled()),
    "cp": (1, lambda t: cirq.CZPowGate(exponent=turns(t))),
    "cphase": (1, lambda t: cirq.CZPowGate(exponent=turns(t))),
    "crx": (1, lambda t: cirq.rx(t).controlled()), "cry": (1, lambda t: cirq.ry(t).controlled()),
    "crz": (1, lambda t: cirq.rz(t).controlled()),
    "swap": (0, lambda: cirq.SWAP), "ccx": (0, lambda: cirq.TOFFOLI),
    "cswap": (0, lambda: cirq.FREDKIN),
}
#: Gates OpenQASM 3 itself defines (stdgates.inc defines the rest of :data:`_STDGATES`).
_BUILTIN_GATES = ("U", "gphase")
#: Largest constant exponent of ``**`` (a larger one builds huge integers or overflows).
_MAX_EXPONENT = 10_000
_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b, "**": lambda a, b: a**b}


def _is_float64(value: sympy.Basic) -> bool:
    """Whether a constant is a real number float64 can hold."""
    return bool(value.is_real) and math.isfinite(float(value))


def _line(node: ast.QASMNode) -> int | None:
    return node.span.start_line if node.span is not None else None


def _simplify(value: sympy.Basic) -> float | sympy.Basic:
    return float(value) if not value.free_symbols else value


class _Importer:
    """Reads one program statement by statement into a Cirq circuit."""

    def __init__(self, inline_definitions: bool) -> None:
        self.inline_definitions = inline_definitions
        self.symbols: dict[str, sympy.Symbol] = {}
        self.qubits: dict[str, list[cirq.Qid]] = {}
        self.bits: dict[str, int | None] = {}
        self.definitions: dict[str, ast.QuantumGateDefinition] = {}
        self.qubit_count = 0
        self.operations: list[cirq.Operation] = []
        self.native = gate_definitions()

    def statement(self, node: ast.Statement) -> None:
        line = _line(node)
        if isinstance(node, ast.Include):
            if node.filename != "stdgates.inc":
                raise QasmError(f"cannot include {node.filename!r}: only stdgates.inc", line)
        elif isinstance(node, ast.IODeclaration):
            if (node.io_identifier != ast.IOKeyword.input
                    or not isinstance(node.type, ast.FloatType | ast.AngleType)):
                raise QasmError("only 'input float' and 'input angle' declarations are supported",
                                line)
            self._declare(node.identifier.name, line)
            self.symbols[node.identifier.name] = sympy.Symbol(node.identifier.name)
        elif isinstance(node, ast.QubitDeclaration):
            name = node.qubit.name
            self._declare(name, line)
            size = None if node.size is None else self._size(node.size, f"qubit[] {name}", line)
            self._count_qubits(1 if size is None else size, name, line)
            self.qubits[name] = ([_qubit(name)] if size is None
                                 else [cirq.NamedQubit(f"{name}[{i}]") for i in range(size)])
        elif isinstance(node, ast.ClassicalDeclaration) and isinstance(node.type, ast.BitType):
            if node.init_expression is not None:
                raise QasmError("bit declarations with an initial value are not supported", line)
            self._declare(node.identifier.name, line)
            width = node.type.size
            self.bits[node.identifier.name] = (
                None if width is None else self._size(width, f"bit[] {node.identifier.name}",
                                                       line))
        elif isinstance(node, ast.QuantumGateDefinition):
            self._define(node, line)
        elif isinstance(node, ast.QuantumGate):
            self.operations.extend(self._gate(node, {}, self._program_qubit))
        elif isinstance(node, ast.QuantumMeasurementStatement):
            self.operations.append(self._measure(node, line))
        elif isinstance(node, ast.QuantumBarrier):
            pass
        else:
            raise QasmError(f"unsupported statement ({type(node).__name__})", line)

    def _size(self, node: ast.Expression, what: str, line: int | None) -> int:
        """A register size: a constant integer >= 1."""
        value = self._value(node, {}, line)
        if not (isinstance(value, sympy.Integer) and value >= 1):
            raise QasmError(f"{what}: a register size must be an integer >= 1, got "
                            f"{openqasm3.dumps(node)}", line)
        return int(value)

    def _count_qubits(self, count: int, name: str, line: int | None) -> None:
        """Refuse a declaration that takes the program past :func:`limits.max_qubits`."""
        self.qubit_count += count
        if self.qubit_count > max_qubits():
            raise QasmError(f"qubit {name}: the program's {qubit_limit_message(self.qubit_count)}",
                            line)

    def _define(self, node: ast.QuantumGateDefinition, line: int | None) -> None:
        """Record a gate definition: a new name whose body calls only gates known before it."""
        name = node.name.name
        if name in _STDGATES or name in _BUILTIN_GATES:
            raise QasmError(f"gate {name!r} redefines a standard gate (stdgates.inc); give the "
                            "definition another name", line)
        self._declare(name, line)
        for statement in node.body:
            called = statement.name.name if isinstance(statement, ast.QuantumGate) else None
            if called is not None and called not in _STDGATES and called not in self.definitions:
                reason = ("itself: recursive definitions are not allowed" if called == name
                          else f"{called!r}, which is not defined before it")
                raise QasmError(f"gate {name} calls {reason}", _line(statement) or line)
        self.definitions[name] = node

    def _declare(self, name: str, line: int | None) -> None:
        if (name in self.symbols or name in self.qubits or name in self.bits
                or name in self.definitions):
            raise QasmError(f"{name!r} is declared twice", line)

    def _value(self, node: ast.Expression, scope: Mapping[str, sympy.Basic],
               line: int | None) -> sympy.Basic:
        if isinstance(node, ast.IntegerLiteral):
            return sympy.Integer(node.value)
        if isinstance(node, ast.FloatLiteral):
            if not math.isfinite(node.value):
                raise QasmError("a number beyond float64's range (it reads as infinity)", line)
            return sympy.Float(node.value, 17)
        if isinstance(node, ast.Identifier):
            for table in (scope, self.symbols, _CONSTANTS):
                if node.name in table:
                    return table[node.name]
            raise QasmError(f"unknown identifier {node.name!r} in an expression", line)
        if isinstance(node, ast.UnaryExpression) and node.op.name in ("-", "+"):
            value = self._value(node.expression, scope, line)
            return -value if node.op.name == "-" else value
        if isinstance(node, ast.BinaryExpression) and node.op.name in _BINARY:
            left, right = self._value(node.lhs, scope, line), self._value(node.rhs, scope, line)
            text = openqasm3.dumps(node)
            if node.op.name == "/" and right == 0:
                raise QasmError(f"division by zero in {text!r}", line)
            if node.op.name == "**" and not right.free_symbols and abs(right) > _MAX_EXPONENT:
                raise QasmError(f"exponent beyond {_MAX_EXPONENT} in {text!r}", line)
            value = _BINARY[node.op.name](left, right)
            if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan) or (
                    not value.free_symbols and not _is_float64(value)):
                raise QasmError(f"{text!r} is not a finite real number within float64's range",
                                line)
            return value
        raise QasmError(f"unsupported expression {openqasm3.dumps(node)!r}", line)

    def _program_qubit(self, node: ast.QASMNode, line: int | None) -> cirq.Qid:
        if isinstance(node, ast.Identifier):
            register = self.qubits.get(node.name)
            if register is None or len(register) != 1:
                raise QasmError(f"{node.name!r} is not a declared single qubit", line)
            return register[0]
        if (isinstance(node, ast.IndexedIdentifier) and node.name.name in self.qubits
                and len(node.indices) == 1 and isinstance(node.indices[0], list)
                and len(node.indices[0]) == 1 and isinstance(node.indices[0][0], ast.Expression)):
            register = self.qubits[node.name.name]
            index = self._value(node.indices[0][0], {}, line)
            if isinstance(index, sympy.Integer) and 0 <= index < len(register):
                return register[int(index)]
            raise QasmError(f"bad qubit operand {openqasm3.dumps(node)!r}: the index must be an "
                            f"integer in 0..{len(register) - 1}", line)
        raise QasmError(f"bad qubit operand {openqasm3.dumps(node)!r}", line)

    def _gate(self, node: ast.QuantumGate, scope: Mapping[str, sympy.Basic],
              qubit_of: Callable[[ast.QASMNode, int | None], cirq.Qid]) -> list[cirq.Operation]:
        line = _line(node)
        name = node.name.name
        if node.modifiers or node.duration is not None:
            raise QasmError(f"gate modifiers and durations are not supported ({name})", line)
        args = [_simplify(self._value(a, scope, line)) for a in node.arguments]
        qubits = [qubit_of(q, line) for q in node.qubits]
        definition = self.definitions.get(name)
        if definition is not None:
            self._check_arity(name, len(definition.arguments), len(definition.qubits), args,
                              qubits, line)
            if not self.inline_definitions and openqasm3.dumps(definition) == self.native.get(name):
                return [NATIVE_GATES[name].cirq_gate(*args).on(*qubits)]
            inner = {p.name: sympy.sympify(a) for p, a in zip(definition.arguments, args)}
            by_name = {q.name: qubit for q, qubit in zip(definition.qubits, qubits)}

            def local(operand: ast.QASMNode, at: int | None) -> cirq.Qid:
                if isinstance(operand, ast.Identifier) and operand.name in by_name:
                    return by_name[operand.name]
                raise QasmError(f"unknown qubit {openqasm3.dumps(operand)!r} in gate {name}", at)
            operations = []
            for statement in definition.body:
                if not isinstance(statement, ast.QuantumGate):
                    raise QasmError(f"unsupported statement in gate {name} "
                                    f"({type(statement).__name__})", _line(statement))
                operations.extend(self._gate(statement, inner, local))
            return operations
        if name in _STDGATES:
            count, make = _STDGATES[name]
            self._check_arity(name, count, None, args, qubits, line)
            gate = make(*args)
            self._check_arity(name, count, gate.num_qubits(), args, qubits, line)
            return [gate.on(*qubits)]
        raise QasmError(f"unknown gate {name!r}", line)

    @staticmethod
    def _check_arity(name: str, count: int, width: int | None, args: list[Any],
                     qubits: list[cirq.Qid],
                     line: int | None) -> None:
        if len(args) != count or (width is not None and len(qubits) != width):
            raise QasmError(f"gate {name} called with {len(args)} argument(s) and "
                            f"{len(qubits)} qubit(s)", line)

    def _measure(self, node: ast.QuantumMeasurementStatement, line: int | None
                 ) -> cirq.Operation:
        qubit = self._program_qubit(node.measure.qubit, line)
        target = node.target
        if isinstance(target, ast.Identifier) and target.name in self.bits:
            return cirq.measure(qubit, key=target.name)
        if (isinstance(target, ast.IndexedIdentifier) and target.name.name in self.bits
                and len(target.indices) == 1 and isinstance(target.indices[0], list)
                and len(target.indices[0]) == 1
                and isinstance(target.indices[0][0], ast.Expression)):
            name, size = target.name.name, self.bits[target.name.name] or 1
            index = self._value(target.indices[0][0], {}, line)
            if isinstance(index, sympy.Integer) and 0 <= index < size:
                return cirq.measure(qubit, key=name if size == 1 else f"{name}_{index}")
        raise QasmError("a measurement must be assigned to a declared bit", line)


def _qubit(name: str) -> cirq.Qid:
    def coordinate(text: str) -> int:
        return -int(text[1:]) if text.startswith("m") else int(text)
    if match := _GRID_NAME.fullmatch(name):
        return cirq.GridQubit(coordinate(match[1]), coordinate(match[2]))
    if match := _LINE_NAME.fullmatch(name):
        return cirq.LineQubit(coordinate(match[1]))
    return cirq.NamedQubit(name)


_LOCATION = re.compile(r"L(\d+):C(\d+): (.*)", re.DOTALL)


def _parse(text: str) -> ast.Program:
    """``openqasm3.parse`` with syntax errors as :class:`QasmError` carrying the line."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ANTLR's console listener prints
            return openqasm3.parse(text)
    except RecursionError:
        raise QasmError("expressions nested too deeply to parse") from None
    except openqasm3.parser.QASM3ParsingError as exc:
        if match := _LOCATION.match(str(exc)):
            raise QasmError(f"syntax error: {match[3]}", int(match[1])) from None
        cause = exc.__cause__
        cause = cause.args[0] if cause is not None and cause.args else cause
        token = getattr(cause, "offendingToken", None)
        if token is not None:
            near = "end of input" if token.text == "<EOF>" else repr(token.text)
            raise QasmError(f"syntax error near {near}", token.line) from None
        raise QasmError("syntax error") from None
    except Exception as exc:  # noqa: BLE001 - the parser's visitor raises assorted types
        raise QasmError(f"cannot parse program: {exc}") from None


def import_qasm3(text: str, *, inline_definitions: bool = False) -> cirq.Circuit:
    """Read an OpenQASM 3 program written by :func:`export_qasm3` (possibly edited by hand).

    Supported: ``include "stdgates.inc"``, ``input float``/``input angle`` declarations (they
    become sympy symbols of the same name), qubit and bit declarations, gate definitions and
    calls without modifiers, measurements into declared bits, barriers (ignored). Qubits named
    ``q_R_C`` become ``cirq.GridQubit(R, C)``; a measurement into ``bit[1] d0`` has key ``d0``.

    Args:
        text: the program.
        inline_definitions: expand every gate definition into standard gates, even the native
            gates the exporter writes (which otherwise become the native Cirq gates again).

    Raises:
        QasmError: (an ``InputError``) with the line number, for an empty or OpenQASM 2
            program, a syntax error, an unknown gate or identifier, a gate definition that
            redefines a standard gate or calls itself, division by zero or a value that is
            not finite, a register size that is not an integer >= 1 or more qubits than
            :func:`qru_compile.limits.max_qubits`, or an unsupported construct.
    """
    program = _parse(_check_text(text))
    statements = [s for s in program.statements if not isinstance(s, ast.Pragma)]
    if not statements:
        raise QasmError("the program has no statements (an empty program describes no "
                        "circuit)")
    importer = _Importer(inline_definitions)
    try:
        for statement in statements:
            importer.statement(statement)
    except RecursionError:
        raise QasmError("expressions nested too deeply to evaluate", _line(statement)) from None
    return cirq.Circuit(importer.operations)


_VERSION = re.compile(r"\A(?:\s|//[^\n]*\n|/\*.*?\*/)*OPENQASM\s+([0-9.]+)", re.DOTALL)


def _check_text(text: str) -> str:
    """``text`` if it is a non-empty string and not an OpenQASM 2 program."""
    if not isinstance(text, str):
        raise QasmError(f"expected the program as a str, got {type(text).__name__}")
    if not text.strip():
        raise QasmError("empty program (no text)")
    version = _VERSION.match(text)
    if version and version[1].split(".")[0] == "2":
        line = text.count("\n", 0, version.start(1)) + 1
        raise QasmError(f"an OpenQASM {version[1]} program; import_qasm3 reads OpenQASM 3 "
                        "(qreg/creg become qubit[n]/bit[n], qelib1.inc becomes stdgates.inc)",
                        line)
    return text
