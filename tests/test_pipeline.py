import dataclasses
from typing import ClassVar

import cirq
import pytest

import qru_compile as qc
from qru_compile.facts import LOWERED_FACTS, Fact
from qru_compile.lowering import lower
from qru_compile.passes import (
    DecomposeCSwap,
    MapToNative,
    PlaceQubits,
    RouteOnDevice,
    VerifyDevice,
    VerifyShiftable,
)
from qru_compile.pipeline import (
    CompilationUnit,
    CompileContext,
    Pass,
    PassResult,
    Pipeline,
    Stage,
)


def _ctx(model="wdbc", device="rainbow", audit=True):
    step = lower(qc.QRUModel.preset(model))
    return CompileContext(device=qc.get_device(device), gateset="cz", step=step, audit=audit)


def test_contracts_that_do_not_chain_are_refused_at_build_time():
    with pytest.raises(qc.ContractError, match=r"pass 'map_to_native' in stage 'native' requires "
                                               r"MAX_2Q .*never established before it"):
        Pipeline((Stage("native", (MapToNative(),)),))
    with pytest.raises(qc.ContractError, match=r"'route' in stage 'route' requires ON_DEVICE"):
        Pipeline((Stage("route", (RouteOnDevice(),)),))
    # routing before native mapping is fine; verifying without native mapping is not
    with pytest.raises(qc.ContractError, match=r"'verify_device' .* requires NATIVE"):
        Pipeline((Stage("layout", (PlaceQubits(),)), Stage("route", (RouteOnDevice(),)),
                  Stage("verify", (VerifyDevice(),))))


def test_a_fact_cleared_by_a_pass_is_named():
    @dataclasses.dataclass(frozen=True)
    class Scramble(Pass):
        name: ClassVar[str] = "scramble"

    with pytest.raises(qc.ContractError, match=r"requires MAX_2Q .* cleared by pass 'scramble'"):
        Pipeline((Stage("a", (DecomposeCSwap(), Scramble())), Stage("b", (MapToNative(),))))


def test_with_stage_replaces_and_rechecks():
    pipeline = qc.default_pipeline()
    assert [s.name for s in pipeline.stages] == ["layout", "route", "decompose", "native",
                                                 "optimize", "verify"]
    with pytest.raises(qc.ContractError):
        pipeline.with_stage("decompose")  # nothing left to ensure MAX_2Q
    with pytest.raises(qc.ContractError, match="no stage named 'lint'"):
        pipeline.with_stage("lint")
    assert Fact.DEVICE_VALID in pipeline.final_facts


@dataclasses.dataclass(frozen=True)
class ClaimsDecomposition(Pass):
    """Lies: claims MAX_2Q but leaves the CSWAPs in place."""

    name: ClassVar[str] = "liar"
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.MAX_2Q})
    preserves: ClassVar[frozenset[Fact]] = frozenset({Fact.SHIFTABLE, Fact.EQUIVALENT})

    def run(self, unit, ctx):
        return PassResult(unit)


@dataclasses.dataclass(frozen=True)
class DropsAGate(Pass):
    """Lies: claims to preserve equivalence but deletes the first CNOT."""

    name: ClassVar[str] = "dropper"
    preserves: ClassVar[frozenset[Fact]] = frozenset({Fact.SHIFTABLE, Fact.EQUIVALENT})

    def run(self, unit, ctx):
        ops = list(unit.circuit.all_operations())
        first = next(i for i, op in enumerate(ops) if op.gate == cirq.CNOT)
        return PassResult(unit.replace(circuit=cirq.FrozenCircuit(ops[:first] + ops[first + 1:])))


@pytest.mark.parametrize("liar, fact", [(ClaimsDecomposition(), "MAX_2Q"),
                                        (DropsAGate(), "EQUIVALENT")])
def test_audit_mode_catches_a_pass_that_lies(liar, fact):
    pipeline = Pipeline((Stage("lie", (liar,)),))
    ctx = _ctx()
    unit = CompilationUnit(ctx.step.circuit, facts=LOWERED_FACTS)
    with pytest.raises(qc.PostconditionError, match=rf"pass '{liar.name}' .* promised {fact}"):
        pipeline.run(unit, ctx)
    # without audit the lie goes unnoticed by the pipeline (the verify stage exists for that)
    pipeline.run(unit, dataclasses.replace(ctx, audit=False))


def test_analysis_pass_must_not_change_the_circuit():
    @dataclasses.dataclass(frozen=True)
    class SneakyAnalysis(Pass):
        name: ClassVar[str] = "sneaky"
        kind: ClassVar[str] = "analysis"

        def run(self, unit, ctx):
            return PassResult(unit.replace(circuit=cirq.FrozenCircuit()))

    ctx = _ctx(audit=False)
    with pytest.raises(qc.PostconditionError, match="analysis pass 'sneaky' .* changed"):
        Pipeline((Stage("a", (SneakyAnalysis(),)),)).run(CompilationUnit(ctx.step.circuit), ctx)


def test_passes_are_frozen_and_a_pipeline_is_reusable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RouteOnDevice().lookahead = 3  # type: ignore[misc]
    pipeline = qc.default_pipeline()
    model = qc.QRUModel.preset("wdbc")
    first = qc.compile(model, "rainbow", pipeline=pipeline)
    second = qc.compile(model, "rainbow", pipeline=pipeline)
    third = qc.compile(qc.QRUModel.preset("oscillation"), "rainbow", pipeline=pipeline)
    again = qc.compile(model, "rainbow", pipeline=pipeline)
    assert first.circuit == second.circuit == again.circuit
    assert dict(first.measured_qubits) == dict(again.measured_qubits)
    assert third.circuit != first.circuit


def test_callback_sees_every_pass_its_options_and_the_unit_measured():
    seen = []
    result = qc.compile(qc.QRUModel.preset("wdbc"), "rainbow",
                        callback=lambda record, unit: seen.append((record, unit)))
    assert [(r.stage, r.name) for r, _ in seen] == [
        ("layout", "place"), ("route", "route"), ("absorb", "absorb_ring"),
        ("decompose", "decompose_cswap"), ("native", "map_to_native"), ("optimize", "merge_1q"), ("verify", "verify_device"),
        ("verify", "verify_shiftable")]
    assert [r.metrics.depth for r, _ in seen] == \
        [sum(1 for moment in unit.circuit if moment.operations) for _, unit in seen]
    assert seen[-1][1].circuit == result.circuit
    assert seen[0][0].options == {"regions": 3, "per_pattern": 1000, "lookahead": 12,
                                  "translate": True}
    assert result.report.to_dict()["passes"][1]["options"] == {"lookahead": 12}


@dataclasses.dataclass(frozen=True)
class Records(Pass):
    """Requires MAX_2Q and keeps it; remembers that it ran."""

    name: ClassVar[str] = "records"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.MAX_2Q})
    preserves: ClassVar[frozenset[Fact]] = frozenset({Fact.MAX_2Q})
    ran: list = dataclasses.field(default_factory=list)

    def run(self, unit, ctx):
        self.ran.append(unit)
        return PassResult(unit)


def test_a_unit_lacking_a_required_fact_fails_before_any_pass_runs():
    first, second = Records(), Records()
    # built for units that have MAX_2Q
    pipeline = Pipeline((Stage("a", (first,)), Stage("b", (second,))),
                        initial_facts=frozenset({Fact.MAX_2Q}))
    ctx = _ctx(audit=False)
    unit = CompilationUnit(ctx.step.circuit, facts=LOWERED_FACTS)
    with pytest.raises(qc.PreconditionError,
                       match=r"pass 'records' in stage 'a' requires MAX_2Q .*never established"):
        pipeline.run(unit, ctx)
    assert first.ran == [] and second.ran == []


def test_required_facts_are_checked_on_every_run_without_audit():
    """A unit that claims a fact it lacks is caught before the pass that relies on it."""
    ctx = _ctx(audit=False)
    pipeline = Pipeline((Stage("route", (RouteOnDevice(),)),),
                        initial_facts=LOWERED_FACTS | {Fact.ON_DEVICE})
    unit = CompilationUnit(ctx.step.circuit, facts=LOWERED_FACTS | {Fact.ON_DEVICE})
    with pytest.raises(qc.PreconditionError,
                       match=r"pass 'route' in stage 'route': requires ON_DEVICE .* qubit a0 "
                             r"is not on device rainbow"):
        pipeline.run(unit, ctx)


def test_an_analysis_pass_keeps_every_fact():
    pipeline = Pipeline((Stage("a", (DecomposeCSwap(),)), Stage("check", (VerifyShiftable(),)),
                         Stage("native", (MapToNative(),))))
    assert {Fact.MAX_2Q, Fact.NATIVE, Fact.SHIFTABLE} <= pipeline.final_facts
