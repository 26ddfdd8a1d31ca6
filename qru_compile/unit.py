"""The state a compilation hands from pass to pass, and the options all passes share."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import cirq

from qru_compile.devices import Device
from qru_compile.facts import Fact
from qru_compile.lowering import LoweredStep

if TYPE_CHECKING:
    from qru_compile.passes.routing import RoutePlan


@dataclasses.dataclass(frozen=True, eq=False)
class CompilationUnit:
    """The state handed from pass to pass.

    Attributes:
        circuit: the step circuit so far.
        initial_layout: logical qubit -> physical qubit at the start of the step; None while
            the circuit is still on logical qubits.
        final_permutation: physical qubit where a state starts -> physical qubit where it ends,
            for every qubit that routing moved (others stay put).
        facts: the facts established for this unit.
        planned_route: a route computed for ``circuit`` by an earlier pass (placement scores
            candidates by routing them), for the routing pass to emit instead of routing again.
        absorbed: the logical step's last CNOTs that ``circuit`` leaves out, their effect read
            as parities (:mod:`qru_compile.passes.absorb`).
    """

    circuit: cirq.FrozenCircuit
    initial_layout: Mapping[cirq.Qid, cirq.Qid] | None = None
    final_permutation: Mapping[cirq.Qid, cirq.Qid] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    facts: frozenset[Fact] = frozenset()
    planned_route: RoutePlan | None = None
    absorbed: tuple[cirq.Operation, ...] = ()

    def initial_layout_or_identity(self, logical: Sequence[cirq.Qid]) -> dict[cirq.Qid, cirq.Qid]:
        """Where each logical qubit starts (itself, before placement)."""
        if self.initial_layout is None:
            return {q: q for q in logical}
        return dict(self.initial_layout)

    def final_layout(self, logical: Sequence[cirq.Qid]) -> dict[cirq.Qid, cirq.Qid]:
        """Where each of the given logical qubits ends."""
        start = self.initial_layout_or_identity(logical)
        return {q: self.final_permutation.get(start[q], start[q]) for q in logical}

    def replace(self, **changes: Any) -> CompilationUnit:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class CompileContext:
    """Read-only options shared by all passes of one compilation.

    Attributes:
        device: the target device.
        gateset: the native gateset name.
        step: the lowered logical step (slots, qubits, reference circuit).
        audit: re-check every fact after every pass.
        seed: seed for randomised search and checks.
        equivalence_trials: random draws per equivalence check.
    """

    device: Device
    gateset: str
    step: LoweredStep
    audit: bool = False
    seed: int = 0
    equivalence_trials: int = 2


@dataclasses.dataclass(frozen=True)
class PassResult:
    """What a pass returns: the new unit and notes for the report."""

    unit: CompilationUnit
    notes: tuple[str, ...] = ()
    data: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
