"""Map a routed circuit to a device gateset, keeping every angle slot on its own rotation.

Slot rotations are rewritten first as symbolic ``PhasedXZGate`` s (``rx(t)`` -> ``x_exponent
= t/pi``, ``ry(t)`` -> the same with ``axis_phase_exponent = 1/2``, ``rz(t)`` ->
``z_exponent = t/pi``), which every Google gateset accepts and Cirq never merges. Then Cirq's
``optimize_for_target_gateset`` (always strict, ``ignore_failures=False``) merges each run of
fixed gates on a pair (a CNOT with the SWAP after it, say) into one two-qubit unitary and
resynthesises it with the fewest native two-qubit gates.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import cirq

from qru_compile.errors import CompileError
from qru_compile.facts import Fact
from qru_compile.gatesets import cirq_target_gateset
from qru_compile.passes.optimize import merge_fixed_single_qubit_runs
from qru_compile.passes.synthesis_cache import memoized_target
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult


def symbolic_phxz(op: cirq.Operation) -> cirq.Operation:
    """A symbolic ``rx/ry/rz`` (or X/Y/ZPow) as an equivalent symbolic ``PhasedXZGate``.

    Equal up to global phase. Other operations are returned unchanged.
    """
    gate = op.gate
    if not cirq.is_parameterized(op) or len(op.qubits) != 1:
        return op
    if isinstance(gate, cirq.XPowGate):
        new = cirq.PhasedXZGate(x_exponent=gate.exponent, z_exponent=0, axis_phase_exponent=0)
    elif isinstance(gate, cirq.YPowGate):
        new = cirq.PhasedXZGate(x_exponent=gate.exponent, z_exponent=0, axis_phase_exponent=0.5)
    elif isinstance(gate, cirq.ZPowGate):
        new = cirq.PhasedXZGate(x_exponent=0, z_exponent=gate.exponent, axis_phase_exponent=0)
    elif isinstance(gate, cirq.PhasedXZGate):
        return op
    else:
        raise CompileError(f"{op}: symbolic gate of a type the native mapping does not know")
    return new.on(*op.qubits).with_tags(*op.tags)


@dataclasses.dataclass(frozen=True)
class MapToNative(Pass):
    """Rewrite every gate into the context's native gateset.

    Contract:
        Requires: MAX_2Q.
        Ensures: NATIVE, SHIFTABLE.
        Preserves: ON_DEVICE, CONNECTED (two-qubit unitaries are resynthesised on their own
            pair), EQUIVALENT, CSWAP_FITS (MAX_2Q: no controlled-SWAP is left).
        Not responsible for: depth (moments are compacted by the optimisation stage).
    """

    name: ClassVar[str] = "map_to_native"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.MAX_2Q})
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.NATIVE, Fact.SHIFTABLE})
    preserves: ClassVar[frozenset[Fact]] = frozenset(
        {Fact.MAX_2Q, Fact.ON_DEVICE, Fact.CONNECTED, Fact.EQUIVALENT, Fact.CSWAP_FITS}
    )

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        prepared = cirq.map_operations(unit.circuit, lambda op, _: symbolic_phxz(op))
        try:
            native = cirq.optimize_for_target_gateset(
                prepared, gateset=memoized_target(cirq_target_gateset(ctx.gateset)),
                ignore_failures=False
            )
        except ValueError as exc:
            raise CompileError(f"native mapping to {ctx.gateset} failed: {exc}") from None
        if any(len(op.qubits) == 1 and not isinstance(op.gate, cirq.PhasedXZGate)
               for op in native.all_operations()):
            # Cirq's Sycamore target leaves fixed single-qubit gates as Rx/Rz: make them
            # PhasedXZ (merging runs, as the optimisation stage would).
            native = merge_fixed_single_qubit_runs(native)
        return PassResult(unit.replace(circuit=native.freeze()))
