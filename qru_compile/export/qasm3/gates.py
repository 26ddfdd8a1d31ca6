"""The native gates of the OpenQASM 3 dialect, and the AST building blocks both directions use.

Each :class:`NativeGate` pairs a ``gate`` definition (over ``stdgates.inc``, exact including
global phase) with the Cirq gate it stands for; :func:`number`, :func:`angle`, :func:`gate_call`
and friends build the ``openqasm3.ast`` nodes of such definitions and of the program the writer
prints.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

import cirq
import cirq_google
import openqasm3
import sympy
from openqasm3 import ast

from qru_compile.export.qasm3.errors import QasmError

#: Largest denominator written as a fraction of pi (``3*pi/4``) instead of a float literal.
_MAX_PI_DENOMINATOR = 64


# --- expressions -------------------------------------------------------------------------------


def identifier(name: str) -> ast.Identifier:
    """The identifier ``name``."""
    return ast.Identifier(name)


def binary(op: str, left: ast.Expression, right: ast.Expression) -> ast.BinaryExpression:
    """``left op right``, for an operator symbol such as ``"+"`` or ``"*"``."""
    return ast.BinaryExpression(ast.BinaryOperator[op], left, right)


def negate(expr: ast.Expression) -> ast.UnaryExpression:
    """``-expr``."""
    return ast.UnaryExpression(ast.UnaryOperator["-"], expr)


def number(value: float) -> ast.Expression:
    """A real number; a small fraction of pi is written as such (``-3*pi/4``).

    Args:
        value: the number (an integer below 2**53 becomes an integer literal).
    """
    if value < 0:
        return negate(number(-value))
    if value.is_integer() and value < 2**53:
        return ast.IntegerLiteral(int(value))
    ratio = Fraction(value / math.pi).limit_denominator(_MAX_PI_DENOMINATOR)
    if ratio and abs(float(ratio) * math.pi - value) <= 4e-16 * value:
        expr: ast.Expression = identifier("pi")
        if ratio.numerator != 1:
            expr = binary("*", ast.IntegerLiteral(ratio.numerator), expr)
        if ratio.denominator != 1:
            expr = binary("/", expr, ast.IntegerLiteral(ratio.denominator))
        return expr
    return ast.FloatLiteral(float(value))


def angle(value: float | sympy.Basic) -> ast.Expression:
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


def half_turns(exponent: float | sympy.Basic) -> ast.Expression:
    """The angle ``pi * exponent`` of a Cirq exponent (half turns)."""
    return angle(exponent * sympy.pi if isinstance(exponent, sympy.Basic)
                 else math.pi * exponent)


# --- native gate definitions -------------------------------------------------------------------


def gate_call(name: str, args: Sequence[ast.Expression | str | float], *qubits: str
              ) -> ast.QuantumGate:
    """The statement ``name(args) qubits;``.

    Args:
        name: the gate called.
        args: its arguments: expressions, identifiers (as names) or numbers.
        *qubits: the names of the qubit operands.
    """
    def expr(arg: ast.Expression | str | float) -> ast.Expression:
        if isinstance(arg, str):
            return identifier(arg)
        return arg if isinstance(arg, ast.Expression) else number(arg)
    return ast.QuantumGate([], identifier(name), [expr(a) for a in args],
                           [identifier(q) for q in qubits])


def _definition(name: str, params: Sequence[str], qubits: Sequence[str],
                body: Iterable[ast.QuantumGate]) -> ast.QuantumGateDefinition:
    # qiskit-qasm3-import 0.6 binds the arguments of a call to a defined gate in the sorted
    # order of the parameter names, not the declared order: name parameters in sorted order.
    return ast.QuantumGateDefinition(identifier(name), [identifier(p) for p in params],
                                     [identifier(q) for q in qubits], list(body))


def _phased_xz() -> ast.QuantumGateDefinition:
    # Z^z Z^a X^x Z^-a, with X^x = H Z^x H and Z^t = p(pi t): no global phase left over.
    return _definition("phased_xz", ("theta_x", "theta_z", "theta_zaxis"), ("q",), [
        gate_call("p", [negate(identifier("theta_zaxis"))], "q"),
        gate_call("h", [], "q"),
        gate_call("p", ["theta_x"], "q"),
        gate_call("h", [], "q"),
        gate_call("p", [binary("+", identifier("theta_z"), identifier("theta_zaxis"))], "q"),
    ])


def _fsim() -> ast.QuantumGateDefinition:
    # exp(-i theta (XX + YY) / 2) then cp(-phi); XX and YY commute, Y = S X S^dagger.
    def exp_xx(*pre_post: str) -> list[ast.QuantumGate]:
        before, after = pre_post if pre_post else ("h", "h")
        return [gate_call(before, [], "a"), gate_call(before, [], "b"),
                gate_call("cx", [], "a", "b"),
                gate_call("rz", ["theta_swap"], "b"), gate_call("cx", [], "a", "b"),
                gate_call(after, [], "a"), gate_call(after, [], "b")]
    xx = exp_xx()
    yy = ([gate_call("sdg", [], "a"), gate_call("sdg", [], "b")] + xx
          + [gate_call("s", [], "a"), gate_call("s", [], "b")])
    return _definition("fsim", ("theta_swap", "theta_zz"), ("a", "b"),
                       xx + yy + [gate_call("cp", [negate(identifier("theta_zz"))], "a", "b")])


def turns(angle: float | sympy.Basic) -> float | sympy.Basic:
    """A Cirq exponent (half turns) from an angle in radians."""
    return angle / sympy.pi if isinstance(angle, sympy.Basic) else angle / math.pi


def _fixed_fsim(name: str, theta: float, phi: float) -> Callable[[], ast.QuantumGateDefinition]:
    return lambda: _definition(name, (), ("a", "b"), [gate_call("fsim", [theta, phi], "a", "b")])


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
        x_exponent=turns(x), z_exponent=turns(z), axis_phase_exponent=turns(a))),
    NativeGate("fsim", _fsim, lambda theta, phi: cirq.FSimGate(theta, phi)),
    NativeGate("sqrt_iswap", _fixed_fsim("sqrt_iswap", -math.pi / 4, 0.0),
               lambda: cirq.SQRT_ISWAP, ("fsim",)),
    NativeGate("sqrt_iswap_inv", _fixed_fsim("sqrt_iswap_inv", math.pi / 4, 0.0),
               lambda: cirq.SQRT_ISWAP_INV, ("fsim",)),
    NativeGate("syc", _fixed_fsim("syc", math.pi / 2, math.pi / 6),
               lambda: cirq_google.SYC, ("fsim",)),
)}


def gate_definitions() -> dict[str, str]:
    """The OpenQASM text of each native gate definition, by gate name."""
    return {name: openqasm3.dumps(g.definition()) for name, g in NATIVE_GATES.items()}
