"""The router and placement, Cirq-style: semantics, exact structure and idempotence together.

GL(2, F2) blocks compose as the CNOT circuits they stand for; the router's cost estimate is the
CZ count the compiled step ends with; on small graphs the emitted structure is exactly the one
expected, and a circuit that already fits its couplers is left alone.
"""

import dataclasses
import itertools

import cirq
import networkx as nx
import pytest
import sympy
from networkx.algorithms import isomorphism

import qru_compile as qc
from qru_compile.passes import cnot_blocks
from qru_compile.passes.cnot_blocks import CZ_BLOCK_COSTS, ELEMENTS, compose, oriented
from qru_compile.passes.cswap_table import fresh_ancilla_costs
from qru_compile.passes.embeddings import embeddings
from qru_compile.passes.optimize import merge_fixed_single_qubit_runs
from qru_compile.passes.placement import PlaceQubits, translates
from qru_compile.passes.router import route, route_within
from qru_compile.passes.router_types import Emitted, OneQubit, Topology, TwoQubit
from qru_compile.passes.routing import block_costs, device_index, routing_problem
from qru_compile.passes.synthesis_cache import memoized_target


def _permutation(cnots):
    """The basis-state map of a CNOT circuit on (p, q) = (bit 1, bit 0)."""
    def image(v):
        bits = [(v >> 1) & 1, v & 1]
        for c, t in cnots:
            bits[t] ^= bits[c]
        return bits[0] << 1 | bits[1]
    return tuple(image(v) for v in range(4))


def _element_map(element):
    rows = element

    def image(v):
        return (((rows[0] & v).bit_count() & 1) << 1) | ((rows[1] & v).bit_count() & 1)
    return tuple(image(v) for v in range(4))


def test_each_element_is_the_cnot_circuit_it_names():
    for element, cnots in ELEMENTS.items():
        assert _element_map(element) == _permutation(cnots)
    assert len(set(ELEMENTS)) == 6  # the whole group GL(2, F2)


def test_composition_is_the_circuit_of_both_blocks():
    for (a, ca), (b, cb) in itertools.product(ELEMENTS.items(), repeat=2):
        assert _element_map(compose(a, b)) == _permutation(ca + cb)
    # a zero-move is CNOT(state -> zero) then CNOT(zero -> state); three alternating CNOTs
    # are a SWAP
    assert _element_map(cnot_blocks.zero_move(True)) == _permutation(((0, 1), (1, 0)))
    assert _element_map(cnot_blocks.zero_move(False)) == _permutation(((1, 0), (0, 1)))
    assert compose(compose(cnot_blocks.cnot(True), cnot_blocks.cnot(False)),
                   cnot_blocks.cnot(True)) == cnot_blocks.SWAP


def test_orientation_swaps_rows_and_columns():
    for element, cnots in ELEMENTS.items():
        flipped = [(1 - c, 1 - t) for c, t in cnots]  # the same circuit with p and q swapped
        assert _element_map(oriented(1, 0, element)) == _permutation(flipped)
        assert oriented(0, 1, element) == element


def test_block_costs_are_cirqs_synthesis_counts():
    assert dict(block_costs("cz")) == dict(CZ_BLOCK_COSTS)
    for element, cnots in ELEMENTS.items():
        a, b = cirq.LineQubit.range(2)
        circuit = cirq.Circuit(cirq.CNOT((a, b)[c], (a, b)[t]) for c, t in cnots)
        native = cirq.optimize_for_target_gateset(circuit, gateset=cirq.CZTargetGateset())
        assert sum(len(op.qubits) == 2 for op in native.all_operations()) == \
            CZ_BLOCK_COSTS[element]
        cirq.testing.assert_allclose_up_to_global_phase(
            cirq.unitary(native), cirq.unitary(circuit), atol=1e-8)


def _line(n):
    neighbours = tuple(tuple(j for j in (i - 1, i + 1) if 0 <= j < n) for i in range(n))
    distance = tuple(tuple(abs(i - j) for j in range(n)) for i in range(n))
    return Topology(neighbours, distance, {})


def _route(topology, ops, initial):
    return route(topology, ops, initial, fresh_ancilla_costs("cz"))


def test_adjacent_operations_are_left_alone():
    ops = [OneQubit(0, 0, True), TwoQubit(1, 0, 1, True), TwoQubit(2, 1, 2, False)]
    result = _route(_line(3), ops, {0: 0, 1: 1, 2: 2})
    assert result.emitted == (Emitted("op", 0, (0,)), Emitted("op", 1, (0, 1)),
                              Emitted("op", 2, (1, 2)))
    assert result.swaps == 0 and result.final == result.initial
    # one CNOT and one opaque gate (3 CZ by Cirq's synthesis of an arbitrary unitary)
    assert result.cz_cost == 1 + 3


def test_a_gate_two_apart_on_a_line_gets_exactly_one_move():
    prefix = [OneQubit(0, 0, True), OneQubit(1, 2, True)]
    start = (Emitted("op", 0, (0,)), Emitted("op", 1, (2,)))
    # every qubit holds a state: one SWAP brings logical 2 next to logical 0
    swapped = _route(_line(3), [*prefix, TwoQubit(2, 0, 2, False)], {0: 0, 1: 1, 2: 2})
    assert swapped.emitted == (*start, Emitted("swap", -1, (2, 1)),
                               Emitted("op", 2, (0, 1)))
    assert (swapped.cz_cost, swapped.swaps) == (3 + 3, 1)
    assert swapped.final == {0: 0, 1: 2, 2: 1}
    # physical qubit 1 is idle (|0>): moving the state into it takes 2 CNOTs, not a SWAP's 3
    moved = _route(_line(4), [*prefix, TwoQubit(2, 0, 2, True)], {0: 0, 1: 3, 2: 2})
    assert moved.emitted == (*start, Emitted("zero_move", -1, (2, 1)),
                             Emitted("op", 2, (0, 1)))
    assert moved.cz_cost == 2 + 1 and moved.final == {0: 0, 1: 3, 2: 1}


def test_routing_is_deterministic_and_idempotent_on_compiled_steps():
    model = qc.QRUModel.preset("wdbc")
    first = qc.compile(model, "grid4x4", seed=3)
    again = qc.compile(model, "grid4x4", seed=3)
    assert first.circuit == again.circuit
    route_record = first.report.passes[1]
    assert route_record.name == "route" and "the route placement scored" in route_record.notes[0]


@pytest.mark.parametrize("device", ["rainbow", "willow_pink", "grid4x4", "heavyhex3x3"])
@pytest.mark.parametrize("preset", ["oscillation", "wdbc", "mnist"])
def test_the_cost_estimate_is_the_compiled_cz_count(device, preset):
    result = qc.compile(qc.QRUModel.preset(preset), device, absorb_ring=0)
    place, route_ = result.report.passes[0], result.report.passes[1]
    assert place.data["estimated_cz"] == route_.data["estimated_cz"] == \
        result.report.final.two_qubit


def _vf2(host, pattern):
    matcher = isomorphism.GraphMatcher(host, pattern)
    return {tuple(sorted((p, h) for h, p in m.items()))
            for m in matcher.subgraph_monomorphisms_iter()}


@pytest.mark.parametrize("pattern", [nx.path_graph(5), nx.cycle_graph(6), nx.cycle_graph(8),
                                     nx.path_graph([3, 0, 2, 1])])
@pytest.mark.parametrize("host", [nx.grid_2d_graph(3, 4), nx.hexagonal_lattice_graph(2, 2)])
def test_path_and_cycle_embeddings_are_exactly_vf2s_monomorphisms(host, pattern):
    ours = [tuple(sorted(m.items())) for m in embeddings(host, pattern)]
    assert len(ours) == len(set(ours))  # each once
    assert set(ours) == _vf2(host, pattern)
    assert all(host.has_edge(dict(m)[a], dict(m)[b]) for m in ours for a, b in pattern.edges)


def test_other_patterns_go_to_vf2_and_the_limit_holds():
    host, star = nx.grid_2d_graph(3, 3), nx.star_graph(3)
    assert {tuple(sorted(m.items())) for m in embeddings(host, star)} == _vf2(host, star)
    assert len(list(embeddings(host, nx.path_graph(4), limit=7))) == 7


@pytest.mark.parametrize("preset", ["wdbc", "mnist"])
def test_a_bounded_route_is_the_route_or_gives_up_only_when_it_would_lose(preset):
    result = qc.compile(qc.QRUModel.preset(preset), "grid4x4")
    view = device_index(result.device, "cz")
    problem = routing_problem(result.step.circuit, frozenset(result.step.measured_qubits),
                              result.step.qubits)
    start = dict(zip(range(len(problem.qubits)), range(len(problem.qubits))))
    args = (view.topology, problem.ops, start, fresh_ancilla_costs("cz"))
    full = route(*args, block_costs=block_costs("cz"))
    assert route_within(*args, full.cz_cost, block_costs=block_costs("cz")) == full
    cut = route_within(*args, full.cz_cost - 3, block_costs=block_costs("cz"))
    assert cut is None or cut.cz_cost > full.cz_cost - 3


@pytest.mark.parametrize("gateset", ["cz", "sqrt_iswap", "sycamore"])
def test_memoised_synthesis_gives_cirqs_circuit(gateset):
    a, b, c = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.CNOT(a, b), cirq.SWAP(a, b), cirq.H(c), cirq.CNOT(c, b),
                           cirq.CNOT(b, c), cirq.X(a) ** 0.3, cirq.CNOT(a, b), cirq.CZ(b, c))
    target = qc.gatesets.cirq_target_gateset(gateset)
    expected = cirq.optimize_for_target_gateset(circuit, gateset=target)
    for _ in range(2):  # the second run comes from the memo
        got = cirq.optimize_for_target_gateset(circuit, gateset=memoized_target(target))
        assert got == expected


def test_single_qubit_runs_merge_as_cirqs_merge_does():
    """Same unitary and structure as Cirq's merge + drop, runs ended by symbols, two-qubit
    gates and measurements, identity runs dropped."""
    a, b = cirq.LineQubit.range(2)
    theta = sympy.Symbol("theta")
    circuit = cirq.Circuit(
        cirq.H(a), cirq.T(a), cirq.rx(0.3)(b), cirq.rz(theta)(a), cirq.X(a), cirq.X(a),
        cirq.CZ(a, b), cirq.Y(b) ** 0.25, cirq.S(b), cirq.measure(a, key="a"), cirq.H(b))
    merged = merge_fixed_single_qubit_runs(circuit)
    expected = cirq.drop_negligible_operations(cirq.merge_single_qubit_gates_to_phxz(circuit))
    resolver = {"theta": 0.7}
    without_measurement = [cirq.Circuit(op for op in c.all_operations()
                                        if not cirq.is_measurement(op))
                           for c in (merged, expected)]
    cirq.testing.assert_allclose_up_to_global_phase(
        *(cirq.unitary(cirq.resolve_parameters(c, resolver)) for c in without_measurement),
        atol=1e-12)
    def on(qubit):
        return [type(op.gate).__name__ for op in merged.all_operations() if qubit in op.qubits]
    # H.T merged; rz(theta) kept; X.X dropped; rx(0.3) merged alone; Y^0.25.S.H one gate
    assert on(a) == ["PhasedXZGate", "Rz", "CZPowGate", "MeasurementGate"]
    assert on(b) == ["PhasedXZGate", "CZPowGate", "PhasedXZGate"]
    assert len(merged) == 4  # re-packed: rx on b beside H.T on a, H on b beside the measurement


def test_translates_land_on_the_device_and_only_lower_the_error():
    device = qc.get_device("grid4x4")
    line = {0: cirq.GridQubit(0, 0), 1: cirq.GridQubit(0, 1), 2: cirq.GridQubit(1, 1)}
    moved = translates(device, line)
    assert len(moved) == 3 * 3  # the 2x2 box fits at 3 x 3 offsets of a 4x4 grid
    assert line in moved and all(set(m.values()) <= set(device.qubits) for m in moved)
    model = qc.QRUModel.preset("wdbc")
    for name in ("rainbow", "weber"):
        base = qc.compile(model, name, pipeline=_pipeline(translate=False), cache=False,
                          absorb_ring=0)
        best = qc.compile(model, name, cache=False, absorb_ring=0)
        place = best.report.passes[0]
        assert place.data["translates"] > 1
        assert best.report.final.two_qubit <= base.report.final.two_qubit
        assert best.report.final.fidelity >= base.report.final.fidelity


def _pipeline(**placement):
    base = qc.compiler.default_pipeline()
    return qc.pipeline.Pipeline(tuple(
        qc.pipeline.Stage(stage.name, tuple(
            dataclasses.replace(p, **placement) if isinstance(p, PlaceQubits) else p
            for p in stage.passes))
        for stage in base.stages))


def test_a_bridged_cnot_leaves_every_qubit_in_place_and_costs_three_more():
    """On the path 0 - 1 - 2 a CNOT(0 -> 2) runs through qubit 1 (four CNOTs, nothing moved);
    without bridges the router moves a qubit; the bridge emits a circuit equal to the CNOT."""
    top = _line(3)
    ops = [TwoQubit(0, 0, 2, True)]
    start = {0: 0, 1: 1, 2: 2}
    bridged = route(top, ops, start, {}, bridges=True)
    assert bridged.emitted == (Emitted("bridge", 0, (0, 1, 2)),)
    assert bridged.cz_cost == 4 and bridged.final == start and bridged.swaps == 0
    moved = route(top, ops, start, {})
    assert moved.swaps == 1 and moved.final != start
    a, m, t = cirq.LineQubit.range(3)
    four = cirq.Circuit([cirq.CNOT(a, m), cirq.CNOT(m, t)] * 2)
    assert cirq.equal_up_to_global_phase(cirq.unitary(four), cirq.unitary(cirq.Circuit(cirq.CNOT(a, t), cirq.I(m))))


def test_placement_bridges_mnists_gating_cnot_where_it_saves_a_cz():
    """MNIST's interactions hold the triangles (d0, h0, d3) and (d0, h0, h3): routed with a
    bridge, the ring-absorbed step is 46 CZ on a Google grid (47 moving qubits), verified."""
    model = qc.QRUModel.preset("mnist")
    result = qc.compile(model, "willow_pink", absorb_ring="all", audit=True,
                        verify_equivalence=True)
    assert result.report.final.two_qubit == 46
    route_note = next(r for r in result.report.passes if r.name == "route").notes[0]
    assert "0 swaps/moves inserted" in route_note and "estimated 46 CZ" in route_note


def test_heavier_cuts_of_an_odd_cycle_add_few_placements():
    """WDBC's 5-cycle does not embed in a grid: the paths cut at its lightest edge keep every
    placement, the heavier cuts at most HEAVIER_CUT_PLACEMENTS each."""
    from qru_compile.passes.placement import HEAVIER_CUT_PLACEMENTS, candidate_placements

    result = qc.compile(qc.QRUModel.preset("wdbc"), "willow_pink")
    problem = routing_problem(result.step.circuit, frozenset(result.step.measured_qubits),
                              result.step.qubits)
    full = candidate_placements(result.device, problem, regions=3, per_pattern=1000)
    assert 4 * HEAVIER_CUT_PLACEMENTS < len(full) <= 150 + 4 * HEAVIER_CUT_PLACEMENTS
    # a pattern that is not a cut keeps up to per_pattern placements in every region
    wide = qc.QRUModel(I=16, H=16, L=1)
    step = qc.lower(wide)
    problem = routing_problem(step.circuit, frozenset(step.measured_qubits), step.qubits)
    assert len(candidate_placements(result.device, problem, regions=3, per_pattern=1000)) > 1000
