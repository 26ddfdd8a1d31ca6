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

ROLES = ("c", "t", "a")


@dataclasses.dataclass(frozen=True)
class CSwapDecomposition:
    """One stored decomposition.

    Attributes:
        name: a unique name.
        kind: ``"exact"`` or ``"fresh_ancilla"``.
        pattern: ``"triangle"``, ``"c-a-t"``, ``"c-t-a"``, ``"t-c-a"`` (fresh ancilla) or
            ``"c-t-a"``, ``"triangle"`` (exact; the targets t and a are interchangeable).
        two_qubit_count: number of CZ gates.
        ops: the operations as stored (see the module docstring of the build tool).
        source: where it comes from.
    """

    name: str
    kind: Literal["exact", "fresh_ancilla"]
    pattern: str
    two_qubit_count: int
    ops: tuple[Mapping[str, Any], ...]
    source: str = ""

    @property
    def edges(self) -> frozenset[frozenset[str]]:
        """Role pairs that two-qubit gates act on."""
        return frozenset(frozenset(op["qubits"]) for op in self.ops if len(op["qubits"]) == 2)

    def operations(self, roles: Mapping[str, cirq.Qid]) -> list[cirq.Operation]:
        """The decomposition on concrete qubits, ``roles = {"c": .., "t": .., "a": ..}``."""
        return [_operation(op, roles) for op in self.ops]


_FIXED_GATES: Mapping[str, cirq.Gate] = {
    "h": cirq.H, "t": cirq.T, "tdg": cirq.T**-1, "s": cirq.S, "sdg": cirq.S**-1,
    "x": cirq.X, "cz": cirq.CZ, "cnot": cirq.CNOT,
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
            name=e["name"], kind=e["kind"], pattern=e["pattern"],
            two_qubit_count=sum(1 for op in e["ops"] if len(op["qubits"]) == 2),
            ops=tuple(e["ops"]), source=e.get("source", ""),
        )
        for e in entries
    )


def best(kind: str, pattern: str) -> CSwapDecomposition | None:
    """The cheapest stored decomposition of ``kind`` for ``pattern``, if any."""
    matches = [d for d in decompositions() if d.kind == kind and d.pattern == pattern]
    return min(matches, key=lambda d: d.two_qubit_count, default=None)


def fresh_ancilla_costs() -> dict[str, int]:
    """CZ count of the cheapest fresh-ancilla decomposition per connectivity pattern."""
    costs: dict[str, int] = {}
    for d in decompositions():
        if d.kind == "fresh_ancilla":
            costs[d.pattern] = min(costs.get(d.pattern, d.two_qubit_count), d.two_qubit_count)
    return costs
