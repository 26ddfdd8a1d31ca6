"""Pass framework: frozen passes with contracts, named stages, and a checked pipeline.

* A :class:`Pass` is a frozen dataclass whose fields are its options. It declares the facts
  it ``requires``, ``ensures`` and ``preserves`` (every other fact is cleared), and its ``run``
  returns a new :class:`CompilationUnit`; it never mutates its input, so passes can be reused.
  An ``analysis`` pass leaves the circuit alone, so the framework keeps every fact for it
  (it declares no ``preserves``).
* A :class:`Pipeline` is a tuple of named :class:`Stage` s. Building one folds the contracts,
  ``facts_after = (facts_before & preserves) | ensures``, and raises ContractError when a pass
  requires a fact that is not established at that point.
* Running one starts from the facts the unit carries: the contracts are folded from them first,
  so a unit that lacks a fact some pass requires fails before any pass runs. Before each pass
  its required facts are checked on the unit, as tket checks a pass's predicates on every
  application (the simulation behind EQUIVALENT only in audit mode); audit mode also re-checks
  every fact a pass promised after it (PostconditionError names the pass that lied). Each
  pass's options go into its report record.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from qru_compile import facts as facts_module
from qru_compile.errors import ContractError, PostconditionError, PreconditionError
from qru_compile.facts import LOWERED_FACTS, Fact
from qru_compile.report import CircuitMetrics, PassRecord, circuit_metrics
from qru_compile.unit import CompilationUnit, CompileContext, PassResult


@dataclasses.dataclass(frozen=True)
class Pass:
    """Base class of compiler passes: a frozen dataclass whose fields are its options.

    Subclasses set the class variables and implement :meth:`run`. An ``analysis`` pass must
    return the circuit unchanged (the pipeline enforces it) and keeps every fact.
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


def facts_after(p: Pass, facts: frozenset[Fact]) -> frozenset[Fact]:
    """The facts established after ``p`` runs on a unit with ``facts``."""
    if p.kind == "analysis":
        return facts | p.ensures
    return (facts & p.preserves) | p.ensures


def _first_unmet(stages: Sequence[Stage], initial: frozenset[Fact]
                 ) -> tuple[frozenset[Fact], str | None]:
    """The facts after ``stages`` from ``initial``, and the first unmet requirement, if any."""
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
                return current, f"pass {p.name!r} in stage {stage.name!r} requires {details}"
            after = facts_after(p, current)
            for fact in current - after:
                cleared_by[fact] = f"{p.name}"
            current = after
    return current, None


def fold_contracts(stages: Sequence[Stage], initial: frozenset[Fact]) -> frozenset[Fact]:
    """The facts established after ``stages``, starting from ``initial``.

    Raises:
        ContractError: if a pass requires a fact not established when it runs.
    """
    facts, unmet = _first_unmet(stages, initial)
    if unmet is not None:
        raise ContractError(unmet)
    return facts


Callback = Callable[[PassRecord, CompilationUnit], None]


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """Stages of passes whose contracts chain; checked when built.

    Attributes:
        stages: the stages, in order.
        initial_facts: facts of the units this pipeline starts from.
    """

    stages: tuple[Stage, ...]
    initial_facts: frozenset[Fact] = LOWERED_FACTS

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
        """Run every pass on ``unit``, from the facts it carries.

        Returns:
            The final unit and one record per pass.

        Raises:
            PreconditionError: before any pass runs, if some pass requires a fact that
                ``unit.facts`` and the passes before it do not establish; before a pass, if a
                fact it requires does not hold for the unit it gets.
            PostconditionError: if an analysis pass changed the circuit, or (audit mode) a
                pass's promised fact does not hold.
        """
        _, unmet = _first_unmet(self.stages, unit.facts)
        if unmet is not None:
            given = ", ".join(sorted(f.name for f in unit.facts)) or "none"
            raise PreconditionError(f"{unmet} (the unit's facts: {given})")
        records: list[PassRecord] = []
        for stage in self.stages:
            for p in stage.passes:
                checked = p.requires if ctx.audit else p.requires - facts_module.EXPENSIVE
                _audit(p, stage, unit, ctx, checked, PreconditionError, "requires")
                start = time.perf_counter()
                result = p.run(unit, ctx)
                seconds = time.perf_counter() - start
                if p.kind == "analysis" and not facts_module.unchanged(
                    result.unit.circuit, unit.circuit
                ):
                    raise PostconditionError(
                        f"analysis pass {p.name!r} in stage {stage.name!r} changed the circuit"
                    )
                new_facts = facts_after(p, unit.facts)
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
                    options=dataclasses.asdict(p),
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
    "facts_after",
    "fold_contracts",
]
