"""How much of the final CNOT ring to read as parities, chosen on the routed circuit.

``absorb_ring="auto"`` (the default of :func:`qru_compile.compile`): once the whole step is
placed and routed, the ring's last CNOTs that are each the last operation on both their qubits
can be left out, the outputs read as parities instead (:mod:`qru_compile.ring_absorption`).
For every count the pass estimates the fidelity of what is measured from the calibration (the
native two-qubit gates the left-out CNOTs cost on their couplers, against the readout
attenuation of the parities on the qubits where the outputs end) and keeps the best; on a tie,
or without calibration, the ring. The single-qubit gates the native mapping would spend on a
left-out CNOT are not counted, so every saving is understated and the choice errs towards
keeping the ring. Placement and routing are those of the whole step, so ``"auto"`` costs one
compile; ``"search"`` compiles every count with its own placement instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import ClassVar

import cirq

from qru_compile.facts import Fact
from qru_compile.pipeline import Pass
from qru_compile.ring_absorption import absorption_estimates, without_final_cnots
from qru_compile.unit import CompilationUnit, CompileContext, PassResult

_Position = tuple[int, cirq.Operation]


def removable_tail(circuit: cirq.AbstractCircuit, ring: Sequence[cirq.Operation],
                   where: Mapping[cirq.Qid, cirq.Qid]) -> list[_Position]:
    """The ring's CNOTs, last first, that end ``circuit`` on their physical qubits.

    A CNOT qualifies when every later operation on its qubits is a CNOT already taken and the
    operation before it on its qubits is not another two-qubit gate on the same pair (native
    mapping merges such a pair, so leaving the CNOT out would not save its gate).

    Args:
        circuit: the routed step.
        ring: the logical ring's CNOTs in time order.
        where: logical qubit -> the physical qubit it ends on.

    Returns:
        (moment index, operation) of each CNOT that may be left out, the ring's last first.
    """
    positions = [(index, op) for index, moment in enumerate(circuit) for op in moment]
    expected = [cirq.CNOT(*(where[q] for q in op.qubits)) for op in reversed(ring)]
    taken: list[_Position] = []
    blocked: set[cirq.Qid] = set()
    for at in range(len(positions) - 1, -1, -1):
        if len(taken) == len(expected) or set(expected[len(taken)].qubits) <= blocked:
            break
        op = positions[at][1]
        if op == expected[len(taken)] and not blocked & set(op.qubits):
            before = next((p for _, p in reversed(positions[:at])
                           if set(p.qubits) & set(op.qubits)), None)
            if before is not None and set(before.qubits) == set(op.qubits):
                break
            taken.append(positions[at])
        else:
            blocked |= set(op.qubits)
    return taken


@dataclasses.dataclass(frozen=True)
class ChooseRingAbsorption(Pass):
    """Leave out as many of the final ring's CNOTs as the calibration says pays.

    Contract:
        Requires: ON_DEVICE (a placed, routed circuit).
        Ensures: nothing new.
        Preserves: every fact (only trailing CNOTs on coupled pairs are removed;
            EQUIVALENT: against the step without the CNOTs recorded in ``unit.absorbed``).
        Not responsible for: CNOTs routing moved within the ring (they stay).
    """

    name: ClassVar[str] = "absorb_ring"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.ON_DEVICE})
    preserves: ClassVar[frozenset[Fact]] = frozenset(Fact)

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        _, ring = without_final_cnots(ctx.step, "all")
        where = unit.final_layout(ctx.step.measured_qubits)
        tail = removable_tail(unit.circuit, ring, where)
        estimates = absorption_estimates(ctx.step, where, ctx.device, ctx.gateset)
        if estimates is None:
            return PassResult(unit, notes=("no calibration: the final ring is kept",))
        estimates = estimates[: len(tail) + 1]
        best = max(range(len(estimates)), key=lambda k: (estimates[k], -k))
        shown = ", ".join(f"{e:.4f}" for e in estimates)
        data = {"absorbed": best, "relative_estimates": tuple(estimates)}
        note = (f"{best} of the final ring's {len(ring)} CNOTs absorbed ({len(tail)} could be); "
                f"estimated fidelity of what is measured relative to the ring kept, for 0, 1, "
                f"... absorbed: {shown}")
        if best == 0:
            return PassResult(unit, notes=(note,), data=data)
        dropped = set(tail[:best])
        kept = (cirq.Moment(op for op in moment if (index, op) not in dropped)
                for index, moment in enumerate(unit.circuit))
        circuit = cirq.FrozenCircuit(moment for moment in kept if moment.operations)
        return PassResult(unit.replace(circuit=circuit, absorbed=tuple(ring[len(ring) - best:])),
                          notes=(note,), data=data)
