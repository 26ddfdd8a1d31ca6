"""Placement and routing passes on top of the merge-aware router (``router.py``).

``PlaceQubits`` searches placements of the data and hidden qubits (embeddings of the step's
interaction pattern found with networkx's subgraph matcher in compact regions of the device,
in regions chosen by calibration error where known) and scores each by routing it.
``RouteOnDevice`` routes from the chosen placement and records the final permutation.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

import cirq
import networkx as nx
from networkx.algorithms import isomorphism

from qru_compile.devices import Device
from qru_compile.errors import CompileError
from qru_compile.facts import Fact
from qru_compile.gatesets import cirq_target_gateset
from qru_compile.passes import router
from qru_compile.passes.cswap_table import fresh_ancilla_costs
from qru_compile.pipeline import CompilationUnit, CompileContext, Pass, PassResult

_PRESERVED = frozenset({Fact.SHIFTABLE, Fact.EQUIVALENT})
#: Tag on the operations routing inserts (SWAPs and moves into idle qubits).
ROUTING_TAG = "routing"


# ----------------------------------------------------------------------------- translation
@dataclasses.dataclass(frozen=True)
class _Problem:
    qubits: tuple[cirq.Qid, ...]  # index -> circuit qubit
    ops: tuple[router.Op, ...]
    operations: tuple[cirq.Operation, ...]  # index -> circuit operation
    ancillas: frozenset[int]


def fresh_ancillas(circuit: cirq.AbstractCircuit,
                   measured: frozenset[cirq.Qid]) -> dict[int, cirq.Qid]:
    """Controlled-SWAPs whose swap target is a fresh ancilla, by operation position.

    A target qualifies when it is provably ``|0>`` right before the CSWAP, nothing touches it
    afterwards, and it is not measured. "Provably ``|0>``": every qubit starts in ``|0>``, and
    through CNOTs and SWAPs each qubit's basis value is tracked as a parity of unknowns; a qubit
    whose parity is empty is ``|0>`` in every branch (so a state moved out of a ``|0>`` qubit
    by two CNOTs leaves ``|0>`` behind). Any other gate makes its qubits unknown. These are
    facts of the circuit, not of qubit names.

    Returns:
        ``{position in circuit.all_operations(): ancilla qubit}``.
    """
    operations = list(circuit.all_operations())
    last_use = {q: i for i, op in enumerate(operations) for q in op.qubits}
    parity: dict[cirq.Qid, int] = {}
    unknowns = itertools.count()
    found: dict[int, cirq.Qid] = {}
    for i, op in enumerate(operations):
        if op.gate == cirq.CSWAP:
            for candidate in op.qubits[1:]:
                if (candidate not in measured and parity.get(candidate, 0) == 0
                        and last_use[candidate] == i):
                    found[i] = candidate
                    break
        if op.gate == cirq.CNOT:
            control, target = op.qubits
            parity[target] = parity.get(target, 0) ^ parity.get(control, 0)
        elif op.gate == cirq.SWAP:
            a, b = op.qubits
            parity[a], parity[b] = parity.get(b, 0), parity.get(a, 0)
        else:
            for q in op.qubits:
                parity[q] = 1 << next(unknowns)
    return found


def _problem(circuit: cirq.AbstractCircuit, measured: frozenset[cirq.Qid],
             order: Sequence[cirq.Qid]) -> _Problem:
    qubits = tuple(order) + tuple(sorted(set(circuit.all_qubits()) - set(order)))
    index = {q: i for i, q in enumerate(qubits)}
    ops: list[router.Op] = []
    operations = tuple(circuit.all_operations())
    ancillas = set()
    fresh = fresh_ancillas(circuit, measured)
    for i, op in enumerate(operations):
        if len(op.qubits) == 1:
            ops.append(router.OneQubit(i, index[op.qubits[0]], cirq.is_parameterized(op)))
        elif len(op.qubits) == 2:
            a, b = (index[q] for q in op.qubits)
            ops.append(router.TwoQubit(i, a, b, op.gate == cirq.CNOT))
        else:
            ancilla = fresh.get(i)
            if ancilla is None:
                raise CompileError(
                    f"cannot route {op}: only controlled-SWAPs onto a fresh, discarded ancilla "
                    f"are routed as a whole; decompose other multi-qubit gates before routing"
                )
            control = op.qubits[0]
            target = next(q for q in op.qubits[1:] if q != ancilla)
            ops.append(router.ControlledSwap(i, index[control], index[target], index[ancilla]))
            ancillas.add(index[ancilla])
    return _Problem(qubits, tuple(ops), operations, frozenset(ancillas))


@dataclasses.dataclass(frozen=True, eq=False)
class _DeviceIndex:
    device: Device
    qubits: tuple[cirq.Qid, ...]
    index: Mapping[cirq.Qid, int]
    topology: router.Topology


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
    return _DeviceIndex(device, qubits, index, router.Topology(neighbours, distance, pair_error))


@functools.lru_cache(maxsize=None)
def block_costs(gateset: str) -> Mapping[tuple[int, int], int]:
    """Native two-qubit gates Cirq's synthesis spends on each CNOT/SWAP block, per element.

    The router prices merged blocks with these numbers, so its estimate matches what the
    native mapping (which uses the same Cirq synthesis) produces.
    """
    a, b = cirq.LineQubit.range(2)
    target = cirq_target_gateset(gateset)
    costs = {}
    for element, cnots in router.ELEMENTS.items():
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


# ----------------------------------------------------------------------------- placement
def _interaction_graph(problem: _Problem) -> nx.Graph:
    graph = nx.Graph()
    for op in problem.ops:
        if isinstance(op, router.TwoQubit):
            pairs = [(op.a, op.b)]
        elif isinstance(op, router.ControlledSwap):
            pairs = [(op.control, op.target)]
        else:
            continue
        for a, b in pairs:
            weight = graph.get_edge_data(a, b, {"weight": 0})["weight"]
            graph.add_edge(a, b, weight=weight + 1)
    return graph


def _patterns(graph: nx.Graph) -> list[nx.Graph]:
    """Subgraphs to embed: the heaviest Hamiltonian-like cycle and paths cut from it."""
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
        for a, b in list(heavy.edges):
            path = heavy.copy()
            path.remove_edge(a, b)
            patterns.append(path)
    else:
        patterns.append(heavy)
    return patterns


def _regions(device: Device, size: int, count: int) -> list[list[cirq.Qid]]:
    """Compact regions (balls) of at least ``size`` qubits, best calibrated first."""
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
    regions, seen = [], set()
    for *_, ball in scored:
        key = frozenset(ball)
        if key not in seen:
            seen.add(key)
            regions.append(ball)
        if len(regions) >= count:
            break
    return regions


def _shape(qubits: Sequence[cirq.Qid | None]) -> tuple:
    """A placement up to translation on a grid (translates route alike away from edges)."""
    if all(isinstance(q, cirq.GridQubit) for q in qubits):
        row = min(q.row for q in qubits)  # type: ignore[union-attr]
        col = min(q.col for q in qubits)  # type: ignore[union-attr]
        return tuple((q.row - row, q.col - col) for q in qubits)  # type: ignore[union-attr]
    return tuple(qubits)


def candidate_placements(device: Device, problem: _Problem, *, regions: int,
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
    for index, pattern in enumerate(patterns):
        if index == 1 and placements:
            break  # the whole cycle embeds: the paths cut from it add nothing
        for ball in balls:
            matcher = isomorphism.GraphMatcher(device.graph.subgraph(ball), pattern)
            for mapping in itertools.islice(matcher.subgraph_monomorphisms_iter(), per_pattern):
                placement = {logical: physical for physical, logical in mapping.items()}
                key = _shape([placement.get(i) for i in state_qubits])
                if len(placement) == len(state_qubits) and key not in seen:
                    seen.add(key)
                    placements.append(placement)
    if not placements:  # nothing embeds: fall back to a breadth-first fill of a region
        for ball in _regions(device, min(size, len(device.qubits)), 1):
            placements.append(dict(zip(state_qubits, ball)))
    return placements


def _with_ancillas(device: Device, problem: _Problem,
                   placement: Mapping[int, cirq.Qid]) -> dict[int, cirq.Qid]:
    used = set(placement.values())
    anchor = next(iter(placement.values()))
    free = sorted((q for q in device.qubits if q not in used),
                  key=lambda q: (device.distances[anchor].get(q, 1 << 30), q))
    full = dict(placement)
    for ancilla, q in zip(sorted(problem.ancillas), free):
        full[ancilla] = q
    if len(full) < len(problem.qubits):
        raise CompileError(
            f"device {device.name} has {len(device.qubits)} qubits; the step needs "
            f"{len(problem.qubits)}"
        )
    return full


def _route(ctx: CompileContext, problem: _Problem, layout: Mapping[int, cirq.Qid],
           seed: int, lookahead: int) -> router.RouteResult:
    view = device_index(ctx.device, ctx.gateset)
    initial = {logical: view.index[q] for logical, q in layout.items()}
    try:
        return router.route(view.topology, problem.ops, initial,
                            fresh_ancilla_costs(ctx.gateset), block_costs=block_costs(ctx.gateset),
                            seed=seed, lookahead=lookahead)
    except RuntimeError as exc:
        raise CompileError(f"cannot route the step on {ctx.device.name}: {exc}") from None


def _check_fits(device: Device, problem: _Problem) -> None:
    if len(problem.qubits) > len(device.qubits):
        raise CompileError(
            f"the step needs {len(problem.qubits)} qubits but device {device.name} has "
            f"{len(device.qubits)}"
        )
    if not nx.is_connected(device.graph):
        raise CompileError(f"device {device.name}: coupling graph is not connected")


@dataclasses.dataclass(frozen=True)
class PlaceQubits(Pass):
    """Choose where every logical qubit starts on the device.

    Candidates embed the step's heaviest interaction cycle (or its paths) with networkx's
    subgraph monomorphism search in compact regions of the device (best-calibrated regions
    first); each candidate is routed and the one needing the fewest CZs (then the lowest
    calibrated error) wins. Ancillas get idle qubits; routing relabels them for free.

    Contract:
        Requires: nothing.
        Ensures: ON_DEVICE.
        Preserves: SHIFTABLE, EQUIVALENT (the circuit is only relabelled).
        Not responsible for: connectivity (routing's job).

    Attributes:
        regions: device regions searched.
        per_pattern: embeddings tried per pattern and region.
        lookahead: routing lookahead used for scoring (must match RouteOnDevice's).
    """

    name: ClassVar[str] = "place"
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.ON_DEVICE})
    preserves: ClassVar[frozenset[Fact]] = _PRESERVED
    regions: int = 3
    per_pattern: int = 200
    lookahead: int = 12

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        measured = frozenset(ctx.step.measured_qubits)
        order = [q for q in ctx.step.qubits if q in unit.circuit.all_qubits()]
        problem = _problem(unit.circuit, measured, order)
        _check_fits(ctx.device, problem)
        best: tuple[tuple[int, float], dict[int, cirq.Qid]] | None = None
        candidates = candidate_placements(ctx.device, problem, regions=self.regions,
                                          per_pattern=self.per_pattern)
        for placement in candidates:
            layout = _with_ancillas(ctx.device, problem, placement)
            result = _route(ctx, problem, layout, ctx.seed, self.lookahead)
            score = (result.cz_cost, result.error)
            if best is None or score < best[0]:
                best = (score, layout)
        assert best is not None
        (cost, _), layout = best
        mapping = {problem.qubits[i]: q for i, q in layout.items()}
        circuit = cirq.FrozenCircuit(unit.circuit.unfreeze().transform_qubits(lambda q: mapping[q]))
        new = unit.replace(circuit=circuit, initial_layout=MappingProxyType(mapping))
        return PassResult(new, notes=(f"{len(candidates)} placements scored; best routes with "
                                      f"an estimated {cost} CZ",),
                          data={"candidates": len(candidates), "estimated_cz": cost})


@dataclasses.dataclass(frozen=True)
class RouteOnDevice(Pass):
    """Insert SWAPs (and moves into idle ``|0>`` qubits) so every gate acts on coupled qubits.

    Each controlled-SWAP onto a fresh ancilla gets its ancilla on an idle qubit adjacent to
    its control and target, in the connectivity pattern with the cheapest stored decomposition.
    The final permutation is recorded, never undone (only measured qubits matter at the end).

    Contract:
        Requires: ON_DEVICE.
        Ensures: CONNECTED (two-qubit gates on couplers; every CSWAP on a connected triple
            with a stored fresh-ancilla decomposition for its pattern).
        Preserves: ON_DEVICE, SHIFTABLE, EQUIVALENT (up to the recorded permutation).
        Not responsible for: native gates (SWAPs and CNOTs remain).

    Attributes:
        lookahead: two-qubit gates looked ahead when scoring a swap.
    """

    name: ClassVar[str] = "route"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.ON_DEVICE})
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.CONNECTED})
    preserves: ClassVar[frozenset[Fact]] = _PRESERVED | {Fact.ON_DEVICE}
    lookahead: int = 12

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        measured = _measured(unit, ctx)
        view = device_index(ctx.device, ctx.gateset)
        order = sorted(unit.circuit.all_qubits())
        problem = _problem(unit.circuit, measured, order)
        layout = {i: q for i, q in enumerate(problem.qubits)}
        result = _route(ctx, problem, layout, ctx.seed, self.lookahead)
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
        used = {problem.qubits[i]: physical[result.final[i]] for i in problem.ancillas}
        initial = unit.initial_layout_or_identity(ctx.step.qubits)
        layout = {logical: used.get(q, q) for logical, q in initial.items()}
        new = unit.replace(circuit=cirq.FrozenCircuit(operations),
                           initial_layout=MappingProxyType(layout),
                           final_permutation=MappingProxyType(composed))
        return PassResult(
            new,
            notes=(f"{result.swaps} swaps/moves inserted; controlled-SWAP patterns "
                   f"{', '.join(result.cswap_patterns) or 'none'}; estimated {result.cz_cost} CZ",),
            data={"swaps": result.swaps, "estimated_cz": result.cz_cost,
                  "cswap_patterns": list(result.cswap_patterns)},
        )

