"""Which gate carries each angle slot, and whether the parameter-shift rule applies to it.

A slot is *shiftable* when its symbol occurs in exactly one operation, a single-qubit rotation
``exp(-i theta G)`` with ``G`` having eigenvalues +-1/2 up to fixed gates around it. Then the
derivative of any expectation value is ``[f(theta + pi/2) - f(theta - pi/2)] / 2``. In Cirq
terms: the symbol enters one exponent field linearly with coefficient +-1/pi (``Rx(theta)`` is
``XPowGate(exponent=theta/pi)``; a ``PhasedXZGate`` may carry it in ``x_exponent`` or
``z_exponent`` but not in ``axis_phase_exponent``), all other fields constant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import cirq
import numpy as np
import sympy

_FIELDS = {
    cirq.PhasedXZGate: ("x_exponent", "z_exponent"),
    cirq.XPowGate: ("exponent",),
    cirq.YPowGate: ("exponent",),
    cirq.ZPowGate: ("exponent",),
}
_FIXED_FIELDS = {cirq.PhasedXZGate: ("axis_phase_exponent",)}


def _symbolic_fields(gate: cirq.Gate) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    for gate_type, fields in _FIELDS.items():
        if isinstance(gate, gate_type):
            return fields, _FIXED_FIELDS.get(gate_type, ())
    return None


def _has_symbols(value: object) -> bool:
    return isinstance(value, sympy.Basic) and bool(value.free_symbols)


def _reason_not_shiftable(op: cirq.Operation, slot: str) -> str | None:
    if len(op.qubits) != 1 or op.gate is None:
        return f"slot {slot!r} is carried by {op}, not a single-qubit rotation"
    fields = _symbolic_fields(op.gate)
    if fields is None:
        return f"slot {slot!r} is carried by {op}, a gate the shift rule does not cover"
    shiftable, fixed = fields
    symbol = sympy.Symbol(slot)
    for name in fixed:
        if _has_symbols(getattr(op.gate, name)):
            return f"slot {slot!r}: {op} has a symbolic {name}"
    carriers = []
    for name in shiftable:
        value = getattr(op.gate, name)
        if isinstance(value, sympy.Basic) and symbol in value.free_symbols:
            carriers.append(name)
        elif _has_symbols(value):
            return f"slot {slot!r}: {op} has another symbol in {name}"
    if len(carriers) != 1:
        return f"slot {slot!r} occurs in {len(carriers)} fields of {op}"
    slope = sympy.diff(getattr(op.gate, carriers[0]), symbol)
    if slope.free_symbols or not np.isclose(abs(float(slope)), 1 / np.pi, rtol=1e-12):
        return f"slot {slot!r}: {op} is not linear in it with slope +-1/pi (got {slope})"
    return None


def slot_carriers(circuit: cirq.AbstractCircuit) -> dict[str, list[cirq.Operation]]:
    """For every symbol in the circuit, the operations it occurs in."""
    carriers: dict[str, list[cirq.Operation]] = defaultdict(list)
    for op in circuit.all_operations():
        for name in cirq.parameter_names(op):
            carriers[name].append(op)
    return dict(carriers)


def check_shiftable(circuit: cirq.AbstractCircuit, slots: Iterable[str]) -> str | None:
    """None if every slot is the angle of exactly one shiftable rotation, else why not."""
    slots = tuple(slots)
    carriers = slot_carriers(circuit)
    extra = sorted(set(carriers) - set(slots))
    if extra:
        return f"the circuit has symbols that are not angle slots: {', '.join(extra)}"
    for slot in slots:
        ops = carriers.get(slot, [])
        if len(ops) != 1:
            return f"slot {slot!r} occurs in {len(ops)} operations (must be exactly one)"
        reason = _reason_not_shiftable(ops[0], slot)
        if reason:
            return reason
    return None
