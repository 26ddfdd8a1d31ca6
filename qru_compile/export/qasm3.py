"""OpenQASM 3 export of compiled QRU steps, and import of such programs back into Cirq.

A program is built as an ``openqasm3.ast`` tree and printed with ``openqasm3.dumps``; only the
leading comment block (model, device, angle map, qubit table) is written as text. Conventions:

* every angle slot is an ``input float[64]`` named as the slot's symbol, in radians, so the values
  of ``CompileResult.resolver(...)`` bind by name;
* each physical qubit is one declaration ``qubit q_R_C;`` for ``cirq.GridQubit(R, C)``
  (``q_N`` for ``cirq.LineQubit(N)``; a negative coordinate is written ``mN``);
* native gates are ``gate`` definitions over ``stdgates.inc``, exact including global phase:

  - ``phased_xz(theta_x, theta_z, theta_zaxis)`` = ``cirq.PhasedXZGate(x_exponent=theta_x/pi,
    z_exponent=theta_z/pi, axis_phase_exponent=theta_zaxis/pi)`` = ``Z^z Z^a X^x Z^-a``;
  - ``fsim(theta_swap, theta_zz)`` = ``cirq.FSimGate(theta=theta_swap, phi=theta_zz)``;
    ``sqrt_iswap``, ``sqrt_iswap_inv``
    and ``syc`` are ``fsim`` at fixed angles;
  - ``cz``, ``cp`` (CZ powers), ``p`` (``ZPowGate``) and ``rz`` come from ``stdgates.inc``;

* each measured logical qubit gets a one-bit register named after it (``bit[1] d0;``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

import cirq
import cirq_google
import openqasm3
import sympy
from openqasm3 import ast

from qru_compile.errors import InputError
from qru_compile.limits import max_qubits, qubit_limit_message

if TYPE_CHECKING:
    from qru_compile.compiler import CompileResult

BASES = ("Z", "X")

#: Largest denominator written as a fraction of pi (``3*pi/4``) instead of a float literal.
_MAX_PI_DENOMINATOR = 64
_GRID_NAME = re.compile(r"q_(m?\d+)_(m?\d+)")
_LINE_NAME = re.compile(r"q_(m?\d+)")
_CONSTANTS = {"pi": sympy.pi, "π": sympy.pi, "tau": 2 * sympy.pi, "τ": 2 * sympy.pi,
              "euler": sympy.E, "ℇ": sympy.E}


class QasmError(InputError):
    """An OpenQASM 3 program that cannot be read (or a circuit that cannot be written).

    Attributes:
        line: 1-based line of the program where the problem is, if known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


# --- expressions -------------------------------------------------------------------------------


def _ident(name: str) -> ast.Identifier:
    return ast.Identifier(name)


def _binary(op: str, left: ast.Expression, right: ast.Expression) -> ast.BinaryExpression:
    return ast.BinaryExpression(ast.BinaryOperator[op], left, right)


def _negate(expr: ast.Expression) -> ast.UnaryExpression:
    return ast.UnaryExpression(ast.UnaryOperator["-"], expr)


def _number(value: float) -> ast.Expression:
    """A real number; a small fraction of pi is written as such (``-3*pi/4``)."""
    if value < 0:
        return _negate(_number(-value))
    if value.is_integer() and value < 2**53:
        return ast.IntegerLiteral(int(value))
    ratio = Fraction(value / math.pi).limit_denominator(_MAX_PI_DENOMINATOR)
    if ratio and abs(float(ratio) * math.pi - value) <= 4e-16 * value:
        expr: ast.Expression = _ident("pi")
        if ratio.numerator != 1:
            expr = _binary("*", ast.IntegerLiteral(ratio.numerator), expr)
        if ratio.denominator != 1:
            expr = _binary("/", expr, ast.IntegerLiteral(ratio.denominator))
        return expr
    return ast.FloatLiteral(float(value))


def _angle(value: float | sympy.Basic) -> ast.Expression:
    """``value`` (radians): a number or a sympy expression affine in symbols.

    Raises:
        QasmError: for an expression that is not affine in its symbols.
    """
    if not isinstance(value, sympy.Basic):
        return _number(float(value))
    expr = sympy.expand(value)
    if not expr.free_symbols:
        return _number(float(expr))
    terms: list[tuple[float, ast.Expression]] = []  # (sign, magnitude)
    rest = expr
    for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
        coefficient = expr.coeff(symbol)
        if coefficient.free_symbols:
            raise QasmError(f"cannot export angle {value}: not affine in its symbols")
        rest -= coefficient * symbol
        c = float(coefficient)
        term: ast.Expression = _ident(symbol.name)
        terms.append((math.copysign(1, c), term if abs(c) == 1 else
                      _binary("*", _number(abs(c)), term)))
    rest = sympy.simplify(rest)
    if rest.free_symbols:
        raise QasmError(f"cannot export angle {value}: not affine in its symbols")
    if rest != 0:
        terms.append((math.copysign(1, float(rest)), _number(abs(float(rest)))))
    sign, result = terms[0]
    result = result if sign > 0 else _negate(result)
    for sign, term in terms[1:]:
        result = _binary("+" if sign > 0 else "-", result, term)
    return result


def _half_turns(exponent: float | sympy.Basic) -> ast.Expression:
    """The angle ``pi * exponent`` of a Cirq exponent (half turns)."""
    return _angle(exponent * sympy.pi if isinstance(exponent, sympy.Basic)
                  else math.pi * exponent)


# --- native gate definitions -------------------------------------------------------------------


def _call(name: str, args: Sequence[ast.Expression | str | float], *qubits: str
          ) -> ast.QuantumGate:
    def expr(arg: ast.Expression | str | float) -> ast.Expression:
        if isinstance(arg, str):
            return _ident(arg)
        return arg if isinstance(arg, ast.Expression) else _number(arg)
    return ast.QuantumGate([], _ident(name), [expr(a) for a in args],
                           [_ident(q) for q in qubits])


def _definition(name: str, params: Sequence[str], qubits: Sequence[str],
                body: Iterable[ast.QuantumGate]) -> ast.QuantumGateDefinition:
    # qiskit-qasm3-import 0.6 binds the arguments of a call to a defined gate in the sorted
    # order of the parameter names, not the declared order: name parameters in sorted order.
    return ast.QuantumGateDefinition(_ident(name), [_ident(p) for p in params],
                                     [_ident(q) for q in qubits], list(body))


def _phased_xz() -> ast.QuantumGateDefinition:
    # Z^z Z^a X^x Z^-a, with X^x = H Z^x H and Z^t = p(pi t): no global phase left over.
    return _definition("phased_xz", ("theta_x", "theta_z", "theta_zaxis"), ("q",), [
        _call("p", [_negate(_ident("theta_zaxis"))], "q"),
        _call("h", [], "q"),
        _call("p", ["theta_x"], "q"),
        _call("h", [], "q"),
        _call("p", [_binary("+", _ident("theta_z"), _ident("theta_zaxis"))], "q"),
    ])


def _fsim() -> ast.QuantumGateDefinition:
    # exp(-i theta (XX + YY) / 2) then cp(-phi); XX and YY commute, Y = S X S^dagger.
    def exp_xx(*pre_post: str) -> list[ast.QuantumGate]:
        before, after = pre_post if pre_post else ("h", "h")
        return [_call(before, [], "a"), _call(before, [], "b"), _call("cx", [], "a", "b"),
                _call("rz", ["theta_swap"], "b"), _call("cx", [], "a", "b"),
                _call(after, [], "a"), _call(after, [], "b")]
    xx = exp_xx()
    yy = ([_call("sdg", [], "a"), _call("sdg", [], "b")] + xx
          + [_call("s", [], "a"), _call("s", [], "b")])
    return _definition("fsim", ("theta_swap", "theta_zz"), ("a", "b"),
                       xx + yy + [_call("cp", [_negate(_ident("theta_zz"))], "a", "b")])


def _turns(angle: float | sympy.Basic) -> float | sympy.Basic:
    """A Cirq exponent (half turns) from an angle in radians."""
    return angle / sympy.pi if isinstance(angle, sympy.Basic) else angle / math.pi


def _fixed_fsim(name: str, theta: float, phi: float) -> Callable[[], ast.QuantumGateDefinition]:
    return lambda: _definition(name, (), ("a", "b"), [_call("fsim", [theta, phi], "a", "b")])


@dataclasses.dataclass(frozen=True)
class NativeGate:
    """A gate definition the exporter writes and the importer maps back to a Cirq gate.

    Attributes:
        name: the OpenQASM gate name.
        definition: builds the ``gate`` definition.
        cirq_gate: the Cirq gate for the definition's arguments (angles in radians).
        needs: names of the definitions this one calls.
    """

    name: str
    definition: Callable[[], ast.QuantumGateDefinition]
    cirq_gate: Callable[..., cirq.Gate]
    needs: tuple[str, ...] = ()


NATIVE_GATES: dict[str, NativeGate] = {g.name: g for g in (
    NativeGate("phased_xz", _phased_xz, lambda x, z, a: cirq.PhasedXZGate(
        x_exponent=_turns(x), z_exponent=_turns(z), axis_phase_exponent=_turns(a))),
    NativeGate("fsim", _fsim, lambda theta, phi: cirq.FSimGate(theta, phi)),
    NativeGate("sqrt_iswap", _fixed_fsim("sqrt_iswap", -math.pi / 4, 0.0),
               lambda: cirq.SQRT_ISWAP, ("fsim",)),
    NativeGate("sqrt_iswap_inv", _fixed_fsim("sqrt_iswap_inv", math.pi / 4, 0.0),
               lambda: cirq.SQRT_ISWAP_INV, ("fsim",)),
    NativeGate("syc", _fixed_fsim("syc", math.pi / 2, math.pi / 6),
               lambda: cirq_google.SYC, ("fsim",)),
)}


# --- export ------------------------------------------------------------------------------------


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


def _gate_call(op: cirq.Operation) -> tuple[ast.QuantumGate, tuple[str, ...]]:
    """The statement for one native operation and the definitions it needs.

    Raises:
        QasmError: for a gate outside the native gatesets.
    """
    gate, qubits = op.gate, [qubit_name(q) for q in op.qubits]
    if isinstance(gate, cirq.PhasedXZGate):
        args = [_half_turns(gate.x_exponent), _half_turns(gate.z_exponent),
                _half_turns(gate.axis_phase_exponent)]
        return _call("phased_xz", args, *qubits), ("phased_xz",)
    for native in NATIVE_GATES.values():
        if not native.definition().arguments and gate == native.cirq_gate():
            return _call(native.name, [], *qubits), (*native.needs, native.name)
    if isinstance(gate, cirq.CZPowGate) and gate.global_shift == 0:
        if gate == cirq.CZ:
            return _call("cz", [], *qubits), ()
        return _call("cp", [_half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift == 0:
        return _call("p", [_half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift == -0.5:
        return _call("rz", [_half_turns(gate.exponent)], *qubits), ()
    if isinstance(gate, cirq.FSimGate):
        return _call("fsim", [_angle(gate.theta), _angle(gate.phi)], *qubits), ("fsim",)
    if isinstance(gate, cirq.ISwapPowGate) and gate.global_shift == 0:
        theta = (-gate.exponent * sympy.pi / 2 if isinstance(gate.exponent, sympy.Basic)
                 else -math.pi * gate.exponent / 2)
        return _call("fsim", [_angle(theta), 0.0], *qubits), ("fsim",)
    raise QasmError(f"cannot export operation {op!r}: not a native gate "
                    "(PhasedXZ, Z powers, CZ powers, sqrt-iSWAP, Sycamore/FSim)")


def _measurement(op: cirq.Operation) -> tuple[str, list[ast.QuantumMeasurementStatement]]:
    gate = op.gate
    if any(gate.full_invert_mask()) or gate.confusion_map:
        raise QasmError(f"cannot export measurement {op!r} with an invert mask or confusion map")
    key = gate.key
    if not re.fullmatch(r"[A-Za-z_]\w*", key):
        raise QasmError(f"cannot export measurement key {key!r}: not an identifier")
    return key, [ast.QuantumMeasurementStatement(
        ast.QuantumMeasurement(_ident(qubit_name(q))),
        ast.IndexedIdentifier(_ident(key), [[ast.IntegerLiteral(i)]]))
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
    body: list[ast.Statement] = []
    bits: dict[str, int] = {}
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key, statements = _measurement(op)
            if key in bits:
                raise QasmError(f"cannot export: measurement key {key!r} is used twice")
            bits[key] = len(statements)
            body.extend(statements)
            continue
        statement, needs = _gate_call(op)
        needed.extend(n for n in needs if n not in needed)
        body.append(statement)
    qubits = sorted(circuit.all_qubits())
    header: list[ast.Statement] = [ast.Include("stdgates.inc")]
    header += [ast.IODeclaration(ast.IOKeyword.input, ast.FloatType(ast.IntegerLiteral(64)),
                                 _ident(name)) for name in symbols]
    header += [NATIVE_GATES[name].definition() for name in NATIVE_GATES if name in needed]
    header += [ast.QubitDeclaration(_ident(qubit_name(q))) for q in qubits]
    header += [ast.ClassicalDeclaration(ast.BitType(ast.IntegerLiteral(size)), _ident(key))
               for key, size in bits.items()]
    return ast.Program(header + body, version="3.0")


def _slot_formula(result: CompileResult, k: int) -> str:
    angle_map, model = result.step.angle_map, result.model
    names = model.parameter_names
    source, weight, bias = (int(angle_map.source[k]), int(angle_map.weight[k]),
                            int(angle_map.bias[k]))
    if source < model.I:
        formula = f"{names[weight]} * x[{source}]"
    elif source < angle_map.constant_source:
        formula = f"{names[weight]} * arcsin(h[{source - model.I}])"
    else:
        formula = f"parameter {names[weight]}"
    return formula + (f" + {names[bias]}" if bias >= 0 else "")


def _header(result: CompileResult, basis: str) -> list[str]:
    from qru_compile import __version__

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


# --- import ------------------------------------------------------------------------------------


_STDGATES: dict[str, tuple[int, Callable[..., cirq.Gate]]] = {
    "id": (0, lambda: cirq.I), "x": (0, lambda: cirq.X), "y": (0, lambda: cirq.Y),
    "z": (0, lambda: cirq.Z), "h": (0, lambda: cirq.H), "s": (0, lambda: cirq.S),
    "sdg": (0, lambda: cirq.S**-1), "t": (0, lambda: cirq.T), "tdg": (0, lambda: cirq.T**-1),
    "sx": (0, lambda: cirq.X**0.5),
    "rx": (1, cirq.rx), "ry": (1, cirq.ry), "rz": (1, cirq.rz),
    "p": (1, lambda t: cirq.ZPowGate(exponent=_turns(t))),
    "phase": (1, lambda t: cirq.ZPowGate(exponent=_turns(t))),
    "u1": (1, lambda t: cirq.ZPowGate(exponent=_turns(t))),
    "cx": (0, lambda: cirq.CNOT), "CX": (0, lambda: cirq.CNOT),
    "cy": (0, lambda: cirq.Y.controlled()),
    "cz": (0, lambda: cirq.CZ), "ch": (0, lambda: cirq.H.controlled()),
    "cp": (1, lambda t: cirq.CZPowGate(exponent=_turns(t))),
    "cphase": (1, lambda t: cirq.CZPowGate(exponent=_turns(t))),
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
        self.native = {name: openqasm3.dumps(g.definition()) for name, g in NATIVE_GATES.items()}

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
            size = node.type.size
            self.bits[node.identifier.name] = (
                None if size is None else self._size(size, f"bit[] {node.identifier.name}", line))
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
                and len(node.indices[0]) == 1):
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
            gate = make(*args) if len(args) == count else None
            self._check_arity(name, count, gate and gate.num_qubits(), args, qubits, line)
            return [gate.on(*qubits)]
        raise QasmError(f"unknown gate {name!r}", line)

    @staticmethod
    def _check_arity(name: str, count: int, width: int | None, args: list, qubits: list,
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
                and len(target.indices) == 1 and len(target.indices[0]) == 1):
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


def gate_definitions() -> dict[str, str]:
    """The OpenQASM text of each native gate definition, by gate name."""
    return {name: openqasm3.dumps(g.definition()) for name, g in NATIVE_GATES.items()}


__all__ = [
    "BASES",
    "NATIVE_GATES",
    "NativeGate",
    "QasmError",
    "check_basis",
    "circuit_program",
    "export_qasm3",
    "gate_definitions",
    "import_qasm3",
    "qubit_name",
]
