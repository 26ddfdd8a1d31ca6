"""Routing: the step as the router's integer problem, and the ``RouteOnDevice`` pass.

The circuit is translated into the operations of the merge-aware router (``router.py``) on
integer qubit indices, the device into its integer topology; ``RouteOnDevice`` routes from the
placement :mod:`qru_compile.passes.placement` chose and records the final permutation.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

import cirq
import networkx as nx

from qru_compile.devices import Device
from qru_compile.errors import CompileError
from qru_compile.facts import Fact
from qru_compile.gatesets import cirq_target_gateset
from qru_compile.passes.ancillas import fresh_ancillas
from qru_compile.passes.cnot_blocks import ELEMENTS
from qru_compile.passes.cswap_table import fresh_ancilla_costs
from qru_compile.passes.router import route, route_within
from qru_compile.passes.router_types import (
    ControlledSwap,
    OneQubit,
    Op,
    RouteResult,
    Topology,
    TwoQubit,
)
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult

#: Facts placement and routing preserve (they only relabel qubits and insert moves).
PRESERVED = frozenset({Fact.SHIFTABLE, Fact.EQUIVALENT})
#: Tag on the operations routing inserts (SWAPs and moves into idle qubits).
ROUTING_TAG = "routing"


# ----------------------------------------------------------------------------- translation
@dataclasses.dataclass(frozen=True)
class Problem:
    """A circuit as the router's operations on integer qubit indices."""

    qubits: tuple[cirq.Qid, ...]  # index -> circuit qubit
    ops: tuple[Op, ...]
    operations: tuple[cirq.Operation, ...]  # index -> circuit operation
    ancillas: frozenset[int]


def routing_problem(circuit: cirq.AbstractCircuit, measured: frozenset[cirq.Qid],
                    order: Sequence[cirq.Qid]) -> Problem:
    """The circuit as a routing problem; qubit ``i`` is ``order[i]``, then the other qubits.

    Args:
        circuit: the step circuit (one-, two-qubit gates and controlled-SWAPs).
        measured: the measured qubits (never fresh ancillas).
        order: the qubits numbered first, in this order.

    Raises:
        CompileError: for a gate on three or more qubits that is not a controlled-SWAP onto a
            fresh ancilla.
    """
    qubits = tuple(order) + tuple(sorted(set(circuit.all_qubits()) - set(order)))
    index = {q: i for i, q in enumerate(qubits)}
    ops: list[Op] = []
    operations = tuple(circuit.all_operations())
    ancillas = set()
    fresh = fresh_ancillas(circuit, measured)
    for i, op in enumerate(operations):
        if len(op.qubits) == 1:
            ops.append(OneQubit(i, index[op.qubits[0]], cirq.is_parameterized(op)))
        elif len(op.qubits) == 2:
            a, b = (index[q] for q in op.qubits)
            ops.append(TwoQubit(i, a, b, op.gate == cirq.CNOT))
        else:
            ancilla = fresh.get(i)
            if ancilla is None:
                raise CompileError(
                    f"cannot route {op}: only controlled-SWAPs onto a fresh, discarded ancilla "
                    f"are routed as a whole; decompose other multi-qubit gates before routing"
                )
            control = op.qubits[0]
            target = next(q for q in op.qubits[1:] if q != ancilla)
            ops.append(ControlledSwap(i, index[control], index[target], index[ancilla]))
            ancillas.add(index[ancilla])
    return Problem(qubits, tuple(ops), operations, frozenset(ancillas))


@dataclasses.dataclass(frozen=True, eq=False)
class _DeviceIndex:
    device: Device
    qubits: tuple[cirq.Qid, ...]
    index: Mapping[cirq.Qid, int]
    topology: Topology


def _device_index(device: Device, gateset: str) -> _DeviceIndex:
    qubits = device.qubits
    index = {q: i for i, q in enumerate(qubits)}
    neighbours = tuple(tuple(sorted(index[n] for n in device.graph[q])) for q in qubits)
    big = len(qubits) + 1
    distance = tuple(
        tuple(device.distances[a].get(b, big) for b in qubits) for a in qubits
    )
    pair_error = {frozenset((index[a], index[b])): e
                  for (pair, e) in device.pair_errors.get(gateset, {}).items()
                  for a, b in [tuple(pair)]}
    return _DeviceIndex(device, qubits, index, Topology(neighbours, distance, pair_error))


@functools.cache
def block_costs(gateset: str) -> Mapping[tuple[int, int], int]:
    """Native two-qubit gates Cirq's synthesis spends on each CNOT/SWAP block, per element.

    The router prices merged blocks with these numbers, so its estimate matches what the
    native mapping (which uses the same Cirq synthesis) produces.
    """
    a, b = cirq.LineQubit.range(2)
    target = cirq_target_gateset(gateset)
    costs = {}
    for element, cnots in ELEMENTS.items():
        circuit = cirq.Circuit(cirq.CNOT((a, b)[c], (a, b)[t]) for c, t in cnots)
        native = cirq.optimize_for_target_gateset(circuit, gateset=target)
        costs[element] = sum(1 for op in native.all_operations() if len(op.qubits) == 2)
    return MappingProxyType(costs)


_INDEX_CACHE: dict[tuple[str, str], _DeviceIndex] = {}


def device_index(device: Device, gateset: str) -> _DeviceIndex:
    """Integer view of the device (cached per device and gateset)."""
    key = (device.name, gateset)
    if key not in _INDEX_CACHE or _INDEX_CACHE[key].device is not device:
        _INDEX_CACHE[key] = _device_index(device, gateset)
    return _INDEX_CACHE[key]


def _measured(unit: CompilationUnit, ctx: CompileContext) -> frozenset[cirq.Qid]:
    start = unit.initial_layout_or_identity(ctx.step.qubits)
    return frozenset(start[q] for q in ctx.step.measured_qubits)


def route_problem(ctx: CompileContext, problem: Problem, layout: Mapping[int, cirq.Qid],
                  seed: int, lookahead: int, cost_bound: int | None = None, *,
                  bridges: bool = False) -> RouteResult | None:
    """Route ``problem`` on the context's device from ``layout`` (index -> device qubit).

    Args:
        ctx: the compile context (device and gateset).
        problem: the routing problem.
        layout: the device qubit of every problem index.
        seed: the router's tie-breaking seed.
        lookahead: two-qubit operations considered when scoring a swap.
        cost_bound: give up (return None) once the route is sure to cost more than this.
        bridges: run CNOTs two apart through the qubit between them (unbounded routes only).

    Raises:
        CompileError: if the device cannot host the step.
    """
    view = device_index(ctx.device, ctx.gateset)
    initial = {logical: view.index[q] for logical, q in layout.items()}
    costs = fresh_ancilla_costs(ctx.gateset)
    blocks = block_costs(ctx.gateset)
    try:
        if cost_bound is None:
            return route(view.topology, problem.ops, initial, costs, block_costs=blocks,
                         seed=seed, lookahead=lookahead, bridges=bridges)
        return route_within(view.topology, problem.ops, initial, costs, cost_bound,
                            block_costs=blocks, seed=seed, lookahead=lookahead)
    except RuntimeError as exc:
        raise CompileError(f"cannot route the step on {ctx.device.name}: {exc}") from None


@dataclasses.dataclass(frozen=True, eq=False)
class RoutePlan:
    """A route already computed for a unit's circuit (placement hands on the one it scored).

    Attributes:
        circuit: the circuit it routes; the plan is used only while the unit still has it.
        problem: that circuit as a routing problem.
        start: the device qubit where each problem index starts.
        result: the route.
        lookahead: the lookahead it was routed with (for the report).
    """

    circuit: cirq.FrozenCircuit
    problem: Problem
    start: Mapping[int, cirq.Qid]
    result: RouteResult
    lookahead: int


def check_fits(device: Device, problem: Problem) -> None:
    """Refuse a step with more qubits than the device, or a device that is not connected.

    Raises:
        CompileError: if the step cannot fit the device.
    """
    if len(problem.qubits) > len(device.qubits):
        raise CompileError(
            f"the step needs {len(problem.qubits)} qubits but device {device.name} has "
            f"{len(device.qubits)}"
        )
    if not nx.is_connected(device.graph):
        raise CompileError(f"device {device.name}: coupling graph is not connected")


@dataclasses.dataclass(frozen=True)
class RouteOnDevice(Pass):
    """Insert SWAPs (and moves into idle ``|0>`` qubits) so every gate acts on coupled qubits.

    Each controlled-SWAP onto a fresh ancilla gets its ancilla on an idle qubit adjacent to
    its control and target, in the connectivity pattern with the cheapest stored decomposition.
    The final permutation is recorded, never undone (only measured qubits matter at the end).

    Contract:
        Requires: ON_DEVICE.
        Ensures: CONNECTED (two-qubit gates on couplers), CSWAP_FITS (every CSWAP on a
            connected triple with a stored fresh-ancilla decomposition for its pattern).
        Preserves: ON_DEVICE, SHIFTABLE, EQUIVALENT (up to the recorded permutation).
        Not responsible for: native gates (SWAPs and CNOTs remain).

    Attributes:
        lookahead: two-qubit gates looked ahead when scoring a swap.
    """

    name: ClassVar[str] = "route"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.ON_DEVICE})
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.CONNECTED, Fact.CSWAP_FITS})
    preserves: ClassVar[frozenset[Fact]] = PRESERVED | {Fact.ON_DEVICE}
    lookahead: int = 12

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        view = device_index(ctx.device, ctx.gateset)
        plan = unit.planned_route
        if plan is None or plan.circuit is not unit.circuit:
            measured = _measured(unit, ctx)
            order = sorted(unit.circuit.all_qubits())
            problem = routing_problem(unit.circuit, measured, order)
            start: Mapping[int, cirq.Qid] = dict(enumerate(problem.qubits))
            routed = route_problem(ctx, problem, start, ctx.seed, self.lookahead)
            assert routed is not None  # no cost bound
            result = routed
            how = f"routed with lookahead {self.lookahead}"
        else:
            problem, start, result = plan.problem, plan.start, plan.result
            how = f"the route placement scored (lookahead {plan.lookahead})"
        physical = view.qubits
        operations: list[cirq.Operation] = []
        for item in result.emitted:
            qubits = [physical[i] for i in item.qubits]
            if item.kind == "swap":
                operations.append(cirq.SWAP(*qubits).with_tags(ROUTING_TAG))
            elif item.kind == "zero_move":
                source, zero = qubits
                operations += [cirq.CNOT(source, zero).with_tags(ROUTING_TAG),
                               cirq.CNOT(zero, source).with_tags(ROUTING_TAG)]
            elif item.kind == "cswap":
                operations.append(cirq.CSWAP(*qubits))
            elif item.kind == "bridge":
                control, middle, target = qubits
                operations += [cirq.CNOT(control, middle).with_tags(ROUTING_TAG),
                               cirq.CNOT(middle, target).with_tags(ROUTING_TAG)] * 2
            else:
                operations.append(problem.operations[item.index].with_qubits(*qubits))
        permutation = {
            physical[result.initial[i]]: physical[result.final[i]]
            for i in result.final
            if result.initial[i] != result.final[i] and i not in problem.ancillas
        }
        before = unit.final_permutation  # where earlier passes moved states: start -> now
        starts = set(before) | (set(permutation) - set(before.values()))
        composed = {s: permutation.get(before.get(s, s), before.get(s, s)) for s in starts}
        # An ancilla is |0> until its CSWAP and routing exchanges it only with other |0> qubits,
        # so the layout records it where it is used.
        used = {start[i]: physical[result.final[i]] for i in problem.ancillas}
        initial = unit.initial_layout_or_identity(ctx.step.qubits)
        layout = {logical: used.get(q, q) for logical, q in initial.items()}
        new = unit.replace(circuit=cirq.FrozenCircuit(operations),
                           initial_layout=MappingProxyType(layout),
                           final_permutation=MappingProxyType(composed), planned_route=None)
        return PassResult(
            new,
            notes=(f"{how}: {result.swaps} swaps/moves inserted; controlled-SWAP patterns "
                   f"{', '.join(result.cswap_patterns) or 'none'}; estimated {result.cz_cost} CZ",),
            data={"swaps": result.swaps, "estimated_cz": result.cz_cost,
                  "cswap_patterns": list(result.cswap_patterns)},
        )
