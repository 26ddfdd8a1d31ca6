"""Single-qubit clean-up that never touches a gate carrying an angle slot."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import cirq

from qru_compile.facts import Fact
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult


def merge_fixed_single_qubit_runs(circuit: cirq.AbstractCircuit) -> cirq.Circuit:
    """Merge each run of fixed (slot-free) single-qubit gates into one ``PhasedXZGate``.

    Symbolic gates are never merged (Cirq's merge skips operations without a unitary), drops
    merged gates equal to the identity, and re-packs moments as early as possible.
    """
    merged = cirq.merge_single_qubit_gates_to_phxz(circuit)
    merged = cirq.drop_negligible_operations(merged)
    return cirq.Circuit(merged.all_operations())  # earliest-moment packing


@dataclasses.dataclass(frozen=True)
class MergeSingleQubitGates(Pass):
    """Merge runs of fixed single-qubit gates and compact moments.

    Contract:
        Requires: NATIVE.
        Ensures: nothing new.
        Preserves: MAX_2Q, ON_DEVICE, CONNECTED, NATIVE (merged runs are PhasedXZ),
            DEVICE_VALID, SHIFTABLE (slot gates are untouched), EQUIVALENT, CSWAP_FITS (listed
            one by one: a fact added later is cleared until someone checks this pass keeps it).
        Not responsible for: two-qubit gate counts.
    """

    name: ClassVar[str] = "merge_1q"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.NATIVE})
    preserves: ClassVar[frozenset[Fact]] = frozenset({
        Fact.MAX_2Q, Fact.ON_DEVICE, Fact.CONNECTED, Fact.NATIVE, Fact.DEVICE_VALID,
        Fact.SHIFTABLE, Fact.EQUIVALENT, Fact.CSWAP_FITS})

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        merged = merge_fixed_single_qubit_runs(unit.circuit).freeze()
        return PassResult(unit.replace(circuit=merged))
