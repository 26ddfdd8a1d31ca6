"""Single-qubit clean-up that never touches a gate carrying an angle slot."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import cirq
import numpy as np

from qru_compile.facts import Fact
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult

#: Merged gates within this trace distance of the identity are dropped (Cirq's default).
NEGLIGIBLE = 1e-8


def merge_fixed_single_qubit_runs(circuit: cirq.AbstractCircuit) -> cirq.Circuit:
    """Merge each run of fixed (slot-free) single-qubit gates into one ``PhasedXZGate``.

    Symbolic gates are never merged and end a run, as do multi-qubit gates and measurements;
    merged gates equal to the identity (trace distance below 1e-8) are dropped, and moments
    are re-packed as early as possible. What ``cirq.merge_single_qubit_gates_to_phxz`` and
    ``cirq.drop_negligible_operations`` do, in one pass over the operations: Cirq's general
    merging machinery spent about a tenth of every compile here.
    """
    runs: dict[cirq.Qid, np.ndarray] = {}
    operations: list[cirq.Operation] = []

    def close(qubit: cirq.Qid) -> None:
        unitary = runs.pop(qubit, None)
        if unitary is not None:
            gate = cirq.PhasedXZGate.from_matrix(unitary)
            if cirq.trace_distance_bound(gate) > NEGLIGIBLE:
                operations.append(gate.on(qubit))

    for op in circuit.all_operations():
        if len(op.qubits) == 1 and not cirq.is_parameterized(op) and cirq.has_unitary(op):
            qubit = op.qubits[0]
            unitary = cirq.unitary(op)
            runs[qubit] = unitary if qubit not in runs else unitary @ runs[qubit]
            continue
        for qubit in op.qubits:
            close(qubit)
        operations.append(op)
    for qubit in list(runs):
        close(qubit)
    return cirq.Circuit(operations)  # earliest-moment packing


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
