"""Controlled-SWAP decomposition, chosen from facts about the circuit and the device.

For each ``CSWAP(c; x, y)`` the pass checks whether one of ``x, y`` is a *fresh, discarded
ancilla*: no operation before or after the CSWAP touches it and it is not measured. If so, a
fresh-ancilla decomposition suffices (4 CZ with the ancilla between control and target, 5 with
it beyond the target); otherwise the exact decomposition is used (7 CZ on a triangle, 8 on a
line with the control at an end). Connectivity comes from the device couplers when the qubits
are device qubits, and is all-to-all otherwise. The choice never looks at qubit names.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from typing import ClassVar

import cirq

from qru_compile.errors import CompileError
from qru_compile.facts import Fact, register_check
from qru_compile.passes.ancillas import fresh_ancillas
from qru_compile.passes.cswap_table import CSwapDecomposition, decompositions
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult


def _fits(decomposition: CSwapDecomposition, roles: dict[str, cirq.Qid],
          coupled: Callable[[cirq.Qid, cirq.Qid], bool]) -> bool:
    return all(coupled(*(roles[r] for r in edge)) for edge in decomposition.edges)


def choose(op: cirq.Operation, ancilla: cirq.Qid | None,
           coupled: Callable[[cirq.Qid, cirq.Qid], bool],
           gateset: str = "cz") -> tuple[CSwapDecomposition, dict[str, cirq.Qid]]:
    """The cheapest valid decomposition of ``op`` and its role assignment.

    Args:
        op: a CSWAP operation.
        ancilla: its fresh, discarded swap target, or None.
        coupled: ``coupled(a, b)`` tells whether a two-qubit gate may act on ``a, b``.
        gateset: the target gateset; decompositions are compared by native two-qubit cost.

    Raises:
        CompileError: if no stored decomposition fits the connectivity.
    """
    control, x, y = op.qubits
    options = []
    if ancilla is not None:
        target = y if ancilla == x else x
        roles = {"c": control, "t": target, "a": ancilla}
        options += [(d, roles) for d in decompositions() if d.kind == "fresh_ancilla"]
    for t, a in itertools.permutations((x, y)):  # exact: the two targets are interchangeable
        options += [(d, {"c": control, "t": t, "a": a})
                    for d in decompositions() if d.kind == "exact"]
    valid = [(d, r) for d, r in options if _fits(d, r, coupled)]
    if not valid:
        raise CompileError(
            f"no stored decomposition of {op} fits the connectivity of its qubits; "
            f"route it onto a connected triple first"
        )
    return min(valid, key=lambda item: item[0].native_cost(gateset))


@dataclasses.dataclass(frozen=True)
class DecomposeCSwap(Pass):
    """Replace every controlled-SWAP by the cheapest stored decomposition that is valid for it.

    Contract:
        Requires: CSWAP_FITS (on a placed circuit, routing establishes it).
        Ensures: MAX_2Q.
        Preserves: ON_DEVICE, CONNECTED (decompositions use only coupled pairs of a connected
            triple), SHIFTABLE, EQUIVALENT (exact, or exact on the fresh-ancilla inputs),
            CSWAP_FITS (no controlled-SWAP is left).
        Not responsible for: other three-qubit gates; native gates.
    """

    name: ClassVar[str] = "decompose_cswap"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.CSWAP_FITS})
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.MAX_2Q})
    preserves: ClassVar[frozenset[Fact]] = frozenset(
        {Fact.ON_DEVICE, Fact.CONNECTED, Fact.SHIFTABLE, Fact.EQUIVALENT, Fact.CSWAP_FITS}
    )

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        circuit = unit.circuit
        coupled = _coupling(ctx)
        used: list[str] = []
        fresh = fresh_ancillas(circuit, _measured(unit, ctx))
        operations: list[cirq.Operation] = []
        for i, op in enumerate(circuit.all_operations()):
            if op.gate != cirq.CSWAP:
                if len(op.qubits) > 2:
                    raise CompileError(f"{op}: only controlled-SWAPs are decomposed by this pass")
                operations.append(op)
                continue
            decomposition, roles = choose(op, fresh.get(i), coupled, ctx.gateset)
            used.append(f"{decomposition.name} ({decomposition.two_qubit_count} "
                        f"{decomposition.two_qubit_gate})")
            operations += decomposition.operations(roles)
        new = cirq.FrozenCircuit(operations)
        return PassResult(unit.replace(circuit=new), notes=tuple(used),
                          data={"decompositions": used})


def _measured(unit: CompilationUnit, ctx: CompileContext) -> frozenset[cirq.Qid]:
    return frozenset(unit.final_layout(ctx.step.measured_qubits).values())


def _coupling(ctx: CompileContext) -> Callable[[cirq.Qid, cirq.Qid], bool]:
    """``coupled(a, b)``: a device coupler, or True where a qubit is not a device qubit."""
    device_qubits = set(ctx.device.qubits)

    def coupled(a: cirq.Qid, b: cirq.Qid) -> bool:
        if a in device_qubits and b in device_qubits:
            return ctx.device.are_coupled(a, b)
        return True

    return coupled


def cswaps_fit(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    """The check of CSWAP_FITS: None if a stored decomposition fits every controlled-SWAP."""
    coupled = _coupling(ctx)
    fresh = fresh_ancillas(unit.circuit, _measured(unit, ctx))
    for i, op in enumerate(unit.circuit.all_operations()):
        if op.gate == cirq.CSWAP:
            try:
                choose(op, fresh.get(i), coupled, ctx.gateset)
            except CompileError as exc:
                return str(exc)
    return None


register_check(Fact.CSWAP_FITS, cswaps_fit)
