"""Placement: where every logical qubit starts on the device (the ``PlaceQubits`` pass).

Candidates embed the step's interaction pattern (every embedding of its ring or paths in
compact regions of the device, regions chosen by calibration error where known, found by
:mod:`qru_compile.passes.embeddings`); each is scored by routing it with the merge-aware router
(:mod:`qru_compile.passes.routing`), which gives up on a candidate as soon as it cannot beat
the best so far.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import cirq
import networkx as nx

from qru_compile.devices import Device
from qru_compile.errors import CompileError
from qru_compile.facts import Fact
from qru_compile.passes.cnot_blocks import CZ_BLOCK_COSTS
from qru_compile.passes.embeddings import embeddings
from qru_compile.passes.router_types import ControlledSwap, RouteResult, TwoQubit
from qru_compile.passes.routing import (
    PRESERVED,
    Problem,
    RoutePlan,
    block_costs,
    check_fits,
    route_problem,
    routing_problem,
)
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult


def _interaction_graph(problem: Problem) -> nx.Graph:
    graph = nx.Graph()
    for op in problem.ops:
        if isinstance(op, TwoQubit):
            pairs = [(op.a, op.b)]
        elif isinstance(op, ControlledSwap):
            pairs = [(op.control, op.target)]
        else:
            continue
        for a, b in pairs:
            weight = graph.get_edge_data(a, b, {"weight": 0})["weight"]
            graph.add_edge(a, b, weight=weight + 1)
    return graph


#: Placements kept from a path cut at a heavier edge than the cycle's lightest. Cutting the
#: lightest edge routes the fewest interactions and gave the best placement of all 39 preset x
#: device x gateset compiles; the heavier cuts of an odd cycle (WDBC's 5, which a grid cannot
#: embed) added 450 candidates and half the compile time, but a small step may still want one
#: (a 3-qubit triangle of weights 1, 2, 5: 16 CZ from its weight-2 cut, 17 without).
HEAVIER_CUT_PLACEMENTS = 24


def _patterns(graph: nx.Graph) -> list[nx.Graph]:
    """Subgraphs to embed: the heaviest Hamiltonian-like cycle, then the paths cut from it at
    its lightest edges, then those cut at heavier ones."""
    nodes = sorted(graph.nodes)
    if len(nodes) <= 1:
        return [graph]
    heavy = nx.Graph()
    heavy.add_nodes_from(nodes)
    by_weight = sorted(graph.edges(data="weight"), key=lambda e: -e[2])
    for a, b, _ in by_weight:  # greedy: keep heavy edges while every degree stays <= 2
        if heavy.degree(a) < 2 and heavy.degree(b) < 2:
            heavy.add_edge(a, b)
            if nx.cycle_basis(heavy) and heavy.number_of_edges() < len(nodes):
                heavy.remove_edge(a, b)
    patterns = []
    if heavy.number_of_edges() == len(nodes):
        patterns.append(heavy.copy())
        for a, b in sorted(heavy.edges, key=lambda e: graph[e[0]][e[1]]["weight"]):
            path = heavy.copy()
            path.remove_edge(a, b)
            path.graph["cut_weight"] = graph[a][b]["weight"]
            patterns.append(path)
    else:
        patterns.append(heavy)
    return patterns


@functools.lru_cache(maxsize=64)
def _regions(device: Device, size: int, count: int) -> tuple[tuple[cirq.Qid, ...], ...]:
    """Compact regions (balls) of at least ``size`` qubits, best calibrated first (a device
    is immutable: cached)."""
    graph = device.graph
    scored = []
    for center in device.qubits:
        radius, ball = 0, {center}
        while len(ball) < size and radius < len(device.qubits):
            radius += 1
            ball = set(nx.single_source_shortest_path_length(graph, center, cutoff=radius))
        if len(ball) < size:
            continue
        errors = [device.two_qubit_error(device.default_gateset, a, b) or 0.0
                  for a, b in graph.subgraph(ball).edges]
        mean_error = sum(errors) / max(len(errors), 1)
        eccentricity = max(device.distances[center][q] for q in ball)
        scored.append((mean_error, eccentricity, -len(ball), center, sorted(ball)))
    scored.sort(key=lambda s: s[:4])
    regions: list[tuple[cirq.Qid, ...]] = []
    seen: set[frozenset[cirq.Qid]] = set()
    for *_, region in scored:
        key = frozenset(region)
        if key not in seen:
            seen.add(key)
            regions.append(tuple(region))
        if len(regions) >= count:
            break
    return tuple(regions)


def _shape(qubits: Sequence[cirq.Qid | None]) -> tuple[Any, ...]:
    """A placement up to translation on a grid (translates route alike away from edges)."""
    if all(isinstance(q, cirq.GridQubit) for q in qubits):
        row = min(q.row for q in qubits)  # type: ignore[union-attr]
        col = min(q.col for q in qubits)  # type: ignore[union-attr]
        return tuple((q.row - row, q.col - col) for q in qubits)  # type: ignore[union-attr]
    return tuple(qubits)


def translates(device: Device, placement: Mapping[int, cirq.Qid]) -> list[dict[int, cirq.Qid]]:
    """Every translate of a grid placement that lands on the device's qubits (the placement
    itself included; nothing for a device that is not a grid)."""
    grid = {i: q for i, q in placement.items() if isinstance(q, cirq.GridQubit)}
    if len(grid) < len(placement):
        return []
    on_device = set(device.qubits)
    anchor = min(grid.values())
    found: list[dict[int, cirq.Qid]] = []
    for q in device.qubits:
        if not isinstance(q, cirq.GridQubit):
            continue
        dr, dc = q.row - anchor.row, q.col - anchor.col
        moved: dict[int, cirq.Qid] = {i: cirq.GridQubit(p.row + dr, p.col + dc)
                                      for i, p in grid.items()}
        if all(m in on_device for m in moved.values()):
            found.append(moved)
    return found


def candidate_placements(device: Device, problem: Problem, *, regions: int,
                         per_pattern: int) -> list[dict[int, cirq.Qid]]:
    """Placements of the non-ancilla qubits that embed the step's heaviest interactions."""
    state_qubits = [i for i in range(len(problem.qubits)) if i not in problem.ancillas]
    graph = _interaction_graph(problem).subgraph(state_qubits).copy()
    graph.add_nodes_from(state_qubits)
    size = max(2 * len(problem.qubits), len(problem.qubits) + 6)
    placements: list[dict[int, cirq.Qid]] = []
    seen: set[tuple[cirq.Qid, ...]] = set()
    patterns = _patterns(graph)
    balls = _regions(device, min(size, len(device.qubits)), regions)
    lightest = min((p.graph["cut_weight"] for p in patterns if "cut_weight" in p.graph),
                   default=0)
    for index, pattern in enumerate(patterns):
        if index == 1 and placements:
            break  # the whole cycle embeds: the paths cut from it add nothing
        heavier = pattern.graph.get("cut_weight", lightest) > lightest
        budget = HEAVIER_CUT_PLACEMENTS if heavier else len(balls) * per_pattern
        added = 0
        for ball in balls:
            for placement in embeddings(device.graph.subgraph(ball), pattern, per_pattern):
                key = _shape([placement.get(i) for i in state_qubits])
                if len(placement) == len(state_qubits) and key not in seen and added < budget:
                    seen.add(key)
                    placements.append(placement)
                    added += 1
    if not placements:  # nothing embeds: fall back to a breadth-first fill of a region
        for ball in _regions(device, min(size, len(device.qubits)), 1):
            placements.append(dict(zip(state_qubits, ball)))
    return placements


@functools.lru_cache(maxsize=1024)
def _nearest_first(device: Device, anchor: cirq.Qid) -> tuple[cirq.Qid, ...]:
    """The device's qubits by distance from ``anchor``, then by name."""
    return tuple(sorted(device.qubits,
                        key=lambda q: (device.distances[anchor].get(q, 1 << 30), q)))


def _with_ancillas(device: Device, problem: Problem,
                   placement: Mapping[int, cirq.Qid]) -> dict[int, cirq.Qid]:
    used = set(placement.values())
    anchor = next(iter(placement.values()))
    free = [q for q in _nearest_first(device, anchor) if q not in used]
    full = dict(placement)
    for ancilla, q in zip(sorted(problem.ancillas), free):
        full[ancilla] = q
    if len(full) < len(problem.qubits):
        raise CompileError(
            f"device {device.name} has {len(device.qubits)} qubits; the step needs "
            f"{len(problem.qubits)}"
        )
    return full


#: A scored placement: (CZ cost, calibrated error), the layout, its route.
_Scored = tuple[tuple[int, float], dict[int, cirq.Qid], RouteResult]


@dataclasses.dataclass(frozen=True)
class PlaceQubits(Pass):
    """Choose where every logical qubit starts on the device.

    Candidates embed the step's heaviest interaction cycle (or its paths) in compact regions
    of the device (best-calibrated regions first), one per shape up to translation; each is
    routed and the one needing the fewest CZs (then the lowest calibrated error) wins, and
    then every translate of it over the device competes on calibrated error at no more CZ.
    Ancillas get idle qubits; routing relabels them for free.

    Contract:
        Requires: nothing.
        Ensures: ON_DEVICE.
        Preserves: SHIFTABLE, EQUIVALENT (the circuit is only relabelled).
        Not responsible for: connectivity (routing's job).

    Attributes:
        regions: device regions searched.
        per_pattern: embeddings tried per pattern and region.
        lookahead: routing lookahead of the scoring; the winner's route goes on to
            RouteOnDevice in the unit (``planned_route``), which emits it as scored.
        translate: then route every translate of the winner over the device (grids) and
            keep the lowest calibrated error at no more CZ.
    """

    name: ClassVar[str] = "place"
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.ON_DEVICE})
    preserves: ClassVar[frozenset[Fact]] = PRESERVED
    regions: int = 3
    per_pattern: int = 1000
    lookahead: int = 12
    translate: bool = True

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        measured = frozenset(ctx.step.measured_qubits)
        order = [q for q in ctx.step.qubits if q in unit.circuit.all_qubits()]
        problem = routing_problem(unit.circuit, measured, order)
        check_fits(ctx.device, problem)
        candidates = candidate_placements(ctx.device, problem, regions=self.regions,
                                          per_pattern=self.per_pattern)
        best = self._best_of(ctx, problem, candidates, None)
        assert best is not None
        # Candidates are distinct up to translation (translates route alike), kept in the
        # best-calibrated region where first found; the winner's translates over the whole
        # device then compete on calibrated error at no more CZ.
        state = {i: best[1][i] for i in range(len(problem.qubits)) if i not in problem.ancillas}
        moved = translates(ctx.device, state) if self.translate else []
        best = self._best_of(ctx, problem, moved, best)
        assert best is not None
        best = self._with_bridges(ctx, problem, best)
        (cost, _), layout, route = best
        mapping = {problem.qubits[i]: q for i, q in layout.items()}
        circuit = cirq.FrozenCircuit(unit.circuit.unfreeze().transform_qubits(lambda q: mapping[q]))
        plan = RoutePlan(circuit, problem, MappingProxyType(layout), route, self.lookahead)
        new = unit.replace(circuit=circuit, initial_layout=MappingProxyType(mapping),
                           planned_route=plan)
        return PassResult(new, notes=(f"{len(candidates)} placements scored, then "
                                      f"{len(moved)} translates of the best; best routes with "
                                      f"an estimated {cost} CZ",),
                          data={"candidates": len(candidates), "translates": len(moved),
                                "estimated_cz": cost})

    def _with_bridges(self, ctx: CompileContext, problem: Problem, best: _Scored) -> _Scored:
        """``best``, or its placement routed with CNOTs two apart run through the qubit
        between them where that costs less (a step whose interactions hold a triangle, which
        a square grid cannot embed: MNIST's gating CNOT, 47 -> 46 CZ with the ring absorbed).
        Only where a CNOT is one native gate (CZ-like costs): there the router's cost is the
        compiled count (tested); for Sycamore gates the bridge's estimate was one gate low."""
        if block_costs(ctx.gateset) != CZ_BLOCK_COSTS:
            return best
        layout = best[1]
        bridged = route_problem(ctx, problem, layout, ctx.seed, self.lookahead, bridges=True)
        assert bridged is not None  # no bound
        score = (bridged.cz_cost, bridged.error)
        return (score, layout, bridged) if score < best[0] else best

    def _best_of(self, ctx: CompileContext, problem: Problem,
                 placements: Sequence[Mapping[int, cirq.Qid]], best: _Scored | None
                 ) -> _Scored | None:
        """``best`` or the placement that routes with fewer CZ (then less calibrated error);
        each route stops once it cannot win."""
        for placement in placements:
            layout = _with_ancillas(ctx.device, problem, placement)
            result = route_problem(ctx, problem, layout, ctx.seed, self.lookahead,
                                   cost_bound=None if best is None else best[0][0])
            if result is None:  # sure to cost more than the best so far
                continue
            score = (result.cz_cost, result.error)
            if best is None or score < best[0]:
                best = (score, layout, result)
        return best

