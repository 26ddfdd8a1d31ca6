"""Stored controlled-SWAP decompositions: exact ones, and cheaper ones for a fresh ancilla.

The table lives in ``data/cswap_decompositions.json`` (built by ``tools/build_cswap_table.py``
from numerical searches; the tests rebuild every entry's unitary and check it). Qubit roles are
``c`` (control), ``t`` (target) and ``a`` (the other target: for ``fresh_ancilla`` entries the
ancilla, which must start in ``|0>`` and be discarded afterwards).

* ``kind = "exact"``: equals ``CSWAP(c; t, a)`` as a unitary, up to global phase.
* ``kind = "fresh_ancilla"``: for every state of ``c, t`` with ``a`` in ``|0>``, gives the same
  output as ``CSWAP`` up to a unitary acting on ``a`` alone afterwards. That is all a QRU step
  needs, since its ancillas are fresh and discarded.

``pattern`` names the connectivity the two-qubit gates use: ``triangle`` (all three pairs) or a
line written end to end with the middle qubit in the middle (``c-a-t``: ancilla between control
and target).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import cirq
import cirq_google

from qru_compile.gatesets import get_gateset

ROLES = ("c", "t", "a")


@dataclasses.dataclass(frozen=True)
class CSwapDecomposition:
    """One stored decomposition.

    Attributes:
        name: a unique name.
        kind: ``"exact"`` or ``"fresh_ancilla"``.
        pattern: the narrowest connectivity its two-qubit gates need: ``"triangle"``,
            ``"c-a-t"``, ``"c-t-a"`` or ``"t-c-a"`` (for exact ones the targets t and a are
            interchangeable).
        two_qubit_count: number of two-qubit gates.
        ops: the operations as stored (see the module docstring of the build tool).
        source: where it comes from.
        two_qubit_gate: ``"cz"``, ``"sqrt_iswap"`` or ``"syc"``.
    """

    name: str
    kind: Literal["exact", "fresh_ancilla"]
    pattern: str
    two_qubit_count: int
    ops: tuple[Mapping[str, Any], ...]
    source: str = ""
    two_qubit_gate: str = "cz"

    def native_cost(self, gateset: str) -> int:
        """Two-qubit gates it costs once mapped to ``gateset``
        (:meth:`~qru_compile.gatesets.TargetGateset.stored_gate_cost` per stored gate)."""
        return get_gateset(gateset).stored_gate_cost(self.two_qubit_gate) * self.two_qubit_count

    @property
    def edges(self) -> frozenset[frozenset[str]]:
        """Role pairs that two-qubit gates act on."""
        return frozenset(frozenset(op["qubits"]) for op in self.ops if len(op["qubits"]) == 2)

    def operations(self, roles: Mapping[str, cirq.Qid]) -> list[cirq.Operation]:
        """The decomposition on concrete qubits, ``roles = {"c": .., "t": .., "a": ..}``."""
        return [_operation(op, roles) for op in self.ops]


_FIXED_GATES: Mapping[str, cirq.Gate] = {
    "h": cirq.H, "t": cirq.T, "tdg": cirq.T**-1, "s": cirq.S, "sdg": cirq.S**-1,
    "x": cirq.X, "cz": cirq.CZ, "cnot": cirq.CNOT, "sqrt_iswap": cirq.SQRT_ISWAP,
    "syc": cirq_google.SYC,
}


def _operation(op: Mapping[str, Any], roles: Mapping[str, cirq.Qid]) -> cirq.Operation:
    qubits = [roles[r] for r in op["qubits"]]
    if op["gate"] == "phxz":
        gate = cirq.PhasedXZGate(
            x_exponent=op["x_exponent"],
            z_exponent=op["z_exponent"],
            axis_phase_exponent=op["axis_phase_exponent"],
        )
        return gate.on(*qubits)
    return _FIXED_GATES[op["gate"]].on(*qubits)


@functools.lru_cache(maxsize=1)
def decompositions() -> tuple[CSwapDecomposition, ...]:
    """All stored decompositions."""
    text = resources.files("qru_compile.passes").joinpath("data/cswap_decompositions.json")
    entries = json.loads(text.read_text())
    return tuple(
        CSwapDecomposition(
            name=e["name"], kind=e["kind"],
            pattern=pattern_of(frozenset(frozenset(op["qubits"]) for op in e["ops"]
                                         if len(op["qubits"]) == 2)),
            two_qubit_count=sum(1 for op in e["ops"] if len(op["qubits"]) == 2),
            ops=tuple(e["ops"]), source=e.get("source", ""),
            two_qubit_gate=e.get("two_qubit_gate", "cz"),
        )
        for e in entries
    )


#: Role pairs each connectivity pattern couples.
PATTERN_EDGES: Mapping[str, frozenset[frozenset[str]]] = {
    name: frozenset(frozenset(pair) for pair in pairs)
    for name, pairs in {
        "triangle": ("ct", "ca", "ta"), "c-a-t": ("ca", "ta"), "c-t-a": ("ct", "ta"),
        "t-c-a": ("ct", "ca"),
    }.items()
}


def pattern_of(edges: frozenset[frozenset[str]]) -> str:
    """The narrowest connectivity pattern containing ``edges``."""
    fitting = [name for name, pattern in PATTERN_EDGES.items() if edges <= pattern]
    return min(fitting, key=lambda name: len(PATTERN_EDGES[name]))


@functools.cache
def fresh_ancilla_costs(gateset: str = "cz") -> dict[str, int]:
    """Native two-qubit cost of the cheapest fresh-ancilla decomposition usable per pattern.

    A decomposition is usable on every pattern that contains its edges (a line circuit also
    runs on a triangle).
    """
    costs: dict[str, int] = {}
    for d in decompositions():
        if d.kind != "fresh_ancilla":
            continue
        for name, pattern in PATTERN_EDGES.items():
            if d.edges <= pattern:
                costs[name] = min(costs.get(name, d.native_cost(gateset)), d.native_cost(gateset))
    return costs
