"""Pass framework: frozen passes with contracts, named stages, and a checked pipeline.

* A :class:`Pass` is a frozen dataclass whose fields are its options. It declares the facts
  it ``requires``, ``ensures`` and ``preserves`` (every other fact is cleared), and its ``run``
  returns a new :class:`CompilationUnit`; it never mutates its input, so passes can be reused.
* A :class:`Pipeline` is a tuple of named :class:`Stage` s. Building one folds the contracts,
  ``facts_after = (facts_before & preserves) | ensures``, and raises ContractError when a pass
  requires a fact that is not established at that point.
* Running one times every pass, records metrics, calls an optional callback, and in audit mode
  re-checks every fact after every pass (PostconditionError names the pass that lied).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import cirq

from qru_compile import facts as facts_module
from qru_compile.devices import Device
from qru_compile.errors import ContractError, PostconditionError, PreconditionError
from qru_compile.facts import Fact
from qru_compile.lowering import LoweredStep
from qru_compile.report import CircuitMetrics, PassRecord, circuit_metrics


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
    """

    circuit: cirq.FrozenCircuit
    initial_layout: Mapping[cirq.Qid, cirq.Qid] | None = None
    final_permutation: Mapping[cirq.Qid, cirq.Qid] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    facts: frozenset[Fact] = frozenset()

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


@dataclasses.dataclass(frozen=True)
class Pass:
    """Base class of compiler passes: a frozen dataclass whose fields are its options.

    Subclasses set the class variables and implement :meth:`run`. An ``analysis`` pass must
    return the circuit unchanged (the pipeline enforces it).
    """

    name: ClassVar[str] = "pass"
    kind: ClassVar[Literal["transform", "analysis"]] = "transform"
    requires: ClassVar[frozenset[Fact]] = frozenset()
    ensures: ClassVar[frozenset[Fact]] = frozenset()
    preserves: ClassVar[frozenset[Fact]] = frozenset()

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        """Transform (or analyse) ``unit``; must not mutate it."""
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Stage:
    """A named group of passes, replaceable as a whole."""

    name: str
    passes: tuple[Pass, ...]


def fold_contracts(stages: Sequence[Stage], initial: frozenset[Fact]) -> frozenset[Fact]:
    """The facts established after ``stages``, starting from ``initial``.

    Raises:
        ContractError: if a pass requires a fact not established when it runs.
    """
    current = initial
    cleared_by: dict[Fact, str] = {}
    for stage in stages:
        for p in stage.passes:
            missing = p.requires - current
            if missing:
                details = "; ".join(
                    f"{fact.name} ({fact.value})"
                    + (f", cleared by pass {cleared_by[fact]!r}" if fact in cleared_by
                       else ", never established before it")
                    for fact in sorted(missing, key=lambda f: f.name)
                )
                raise ContractError(
                    f"pass {p.name!r} in stage {stage.name!r} requires {details}"
                )
            after = (current & p.preserves) | p.ensures
            for fact in current - after:
                cleared_by[fact] = f"{p.name}"
            current = after
    return current


Callback = Callable[[PassRecord, CompilationUnit], None]


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """Stages of passes whose contracts chain; checked when built.

    Attributes:
        stages: the stages, in order.
        initial_facts: facts of the units this pipeline starts from.
    """

    stages: tuple[Stage, ...]
    initial_facts: frozenset[Fact] = frozenset({Fact.SHIFTABLE, Fact.EQUIVALENT})

    def __post_init__(self) -> None:
        fold_contracts(self.stages, self.initial_facts)

    @property
    def final_facts(self) -> frozenset[Fact]:
        """Facts every output of this pipeline has."""
        return fold_contracts(self.stages, self.initial_facts)

    def with_stage(self, name: str, *passes: Pass) -> Pipeline:
        """A copy with stage ``name`` replaced (checked again)."""
        if name not in {s.name for s in self.stages}:
            raise ContractError(f"no stage named {name!r}; stages: "
                                f"{', '.join(s.name for s in self.stages)}")
        stages = tuple(Stage(name, passes) if s.name == name else s for s in self.stages)
        return dataclasses.replace(self, stages=stages)

    def run(
        self, unit: CompilationUnit, ctx: CompileContext, callback: Callback | None = None
    ) -> tuple[CompilationUnit, tuple[PassRecord, ...]]:
        """Run every pass; returns the final unit and one record per pass."""
        records: list[PassRecord] = []
        unit = unit.replace(facts=self.initial_facts)
        for stage in self.stages:
            for p in stage.passes:
                if ctx.audit:
                    _audit(p, stage, unit, ctx, p.requires, PreconditionError, "requires")
                start = time.perf_counter()
                result = p.run(unit, ctx)
                seconds = time.perf_counter() - start
                if p.kind == "analysis" and not facts_module.unchanged(
                    result.unit.circuit, unit.circuit
                ):
                    raise PostconditionError(
                        f"analysis pass {p.name!r} in stage {stage.name!r} changed the circuit"
                    )
                new_facts = (unit.facts & p.preserves) | p.ensures
                unit = result.unit.replace(facts=new_facts)
                if ctx.audit:
                    _audit(p, stage, unit, ctx, new_facts, PostconditionError, "promised")
                record = PassRecord(
                    stage=stage.name,
                    name=p.name,
                    seconds=seconds,
                    metrics=circuit_metrics(unit.circuit, ctx.device, ctx.gateset),
                    notes=result.notes,
                    data=dict(result.data),
                )
                records.append(record)
                if callback is not None:
                    callback(record, unit)
        return unit, tuple(records)


def _audit(p: Pass, stage: Stage, unit: CompilationUnit, ctx: CompileContext,
           to_check: frozenset[Fact], error: type[Exception], verb: str) -> None:
    for fact in sorted(to_check, key=lambda f: f.name):
        reason = facts_module.check(fact, unit, ctx)
        if reason is not None:
            raise error(
                f"pass {p.name!r} in stage {stage.name!r}: {verb} {fact.name} "
                f"({fact.value}), but {reason}"
            )


__all__ = [
    "CircuitMetrics",
    "CompilationUnit",
    "CompileContext",
    "Pass",
    "PassRecord",
    "PassResult",
    "Pipeline",
    "Stage",
    "fold_contracts",
]
