"""The Braket flavour of the writer: native operations as Amazon Braket's built-in gates.

Braket's simulators know the gates of their own ``braket_gates.inc`` (built in; an
``include "stdgates.inc"`` is opened as a file and fails), and the program needs no ``gate``
definitions. Each native operation becomes:

* ``PhasedXZGate(x, z, a)``: ``rz(-pi a); rx(pi x); rz(pi (z + a))`` (a constant zero rotation
  left out); the gate is ``exp(i pi (x + z) / 2)`` times that;
* ``ZPowGate(t)``: ``phaseshift(pi t)``; ``rz(t)``: ``rz(t)``;
* ``CZ``: ``cz``; ``CZPowGate(t)``: ``cphaseshift(pi t)``;
* ``FSimGate(theta, phi)``: ``xy(-2 theta); cphaseshift(-phi)`` (the latter left out for a
  constant zero ``phi``), exact: ``xy(b)`` is ``exp(i b (XX + YY) / 4)``; ``sqrt_iswap`` is
  ``xy(pi/2)``, ``sqrt_iswap_inv`` ``xy(-pi/2)``, Sycamore ``xy(-pi); cphaseshift(-pi/6)``;
* ``ISwapPowGate(t)``: ``xy(pi t)``.

The two-qubit gates are thus exact, and a whole program equals the step up to one global phase.
"""

from __future__ import annotations

from collections.abc import Sequence

import cirq
import sympy
from openqasm3 import ast

from qru_compile.export.qasm3.errors import QasmError
from qru_compile.export.qasm3.gates import angle, gate_call, half_turns

#: The Braket built-ins the flavour writes.
BRAKET_GATES = ("rx", "rz", "phaseshift", "cz", "cphaseshift", "xy")


def _is_zero(value: float | sympy.Basic) -> bool:
    """Whether ``value`` is the constant zero (a symbolic value never is)."""
    if isinstance(value, sympy.Basic):
        return not value.free_symbols and float(value) == 0
    return float(value) == 0


def _phased_xz(gate: cirq.PhasedXZGate, qubit: str) -> list[ast.QuantumGate]:
    """``Z^z Z^a X^x Z^-a`` as ``rz(-a) rx(x) rz(z + a)``, up to a global phase."""
    x, z, a = gate.x_exponent, gate.z_exponent, gate.axis_phase_exponent
    if _is_zero(x):
        return [] if _is_zero(z) else [gate_call("rz", [half_turns(z)], qubit)]
    steps = [("rz", -a), ("rx", x), ("rz", z + a)]
    return [gate_call(name, [half_turns(e)], qubit) for name, e in steps
            if name == "rx" or not _is_zero(e)]


def _fsim(theta: float | sympy.Basic, phi: float | sympy.Basic, qubits: Sequence[str]
          ) -> list[ast.QuantumGate]:
    """``FSimGate(theta, phi)``, exactly: ``xy(-2 theta)`` then ``cphaseshift(-phi)``."""
    statements = [gate_call("xy", [angle(-2 * theta)], *qubits)]
    if not _is_zero(phi):
        statements.append(gate_call("cphaseshift", [angle(-phi)], *qubits))
    return statements


def braket_statements(op: cirq.Operation, qubits: Sequence[str]) -> list[ast.QuantumGate]:
    """The Braket built-in gate calls of one native operation on the named ``qubits``.

    Raises:
        QasmError: for a gate outside the native gatesets.
    """
    gate = op.gate
    if isinstance(gate, cirq.PhasedXZGate):
        return _phased_xz(gate, qubits[0])
    if isinstance(gate, cirq.CZPowGate) and gate.global_shift == 0:
        return [gate_call("cz", [], *qubits) if gate == cirq.CZ
                else gate_call("cphaseshift", [half_turns(gate.exponent)], *qubits)]
    if isinstance(gate, cirq.ZPowGate) and gate.global_shift in (0, -0.5):
        name = "phaseshift" if gate.global_shift == 0 else "rz"
        return [gate_call(name, [half_turns(gate.exponent)], *qubits)]
    if isinstance(gate, cirq.FSimGate):
        return _fsim(gate.theta, gate.phi, qubits)
    if isinstance(gate, cirq.ISwapPowGate) and gate.global_shift == 0:
        return [gate_call("xy", [half_turns(gate.exponent)], *qubits)]
    raise QasmError(f"cannot export operation {op!r} in the Braket flavour: not a native gate "
                    "(PhasedXZ, Z powers, CZ powers, sqrt-iSWAP, Sycamore/FSim)")
