"""Single-qubit clean-up that never touches a gate carrying an angle slot."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import cirq

from qru_compile.facts import Fact
from qru_compile.pipeline import CompilationUnit, CompileContext, Pass, PassResult

_ALL = frozenset(Fact)


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
        Preserves: every fact: merged runs are PhasedXZ (native), slot gates are untouched.
        Not responsible for: two-qubit gate counts.
    """

    name: ClassVar[str] = "merge_1q"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.NATIVE})
    preserves: ClassVar[frozenset[Fact]] = _ALL

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        merged = merge_fixed_single_qubit_runs(unit.circuit).freeze()
        return PassResult(unit.replace(circuit=merged))
