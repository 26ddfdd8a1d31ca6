"""tools/grid_floor.py: the exhaustive CNOT-block search behind the oscillation step's floor."""

import importlib.util
import itertools
from pathlib import Path

import qru_compile as qc

_SPEC = importlib.util.spec_from_file_location(
    "grid_floor", Path(__file__).resolve().parents[1] / "tools" / "grid_floor.py")
grid_floor = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(grid_floor)

# 2x3 grid, positions 0 1 2 / 3 4 5; the 6-cycle around it: 0 1 2 5 4 3
RECTANGLE = (0, 1, 2, 5, 4, 3)


def test_linear_map_of_a_ring_is_its_prefix_parities():
    rows = grid_floor.linear_map(grid_floor.ring(range(4)), 4)
    # q1 = x0+x1, q2 = x0+x1+x2, q3 = x0+..+x3, then q0 = x0 + q3 = x1+x2+x3
    assert rows == (0b1110, 0b0011, 0b0111, 0b1111)


def test_six_qubit_ring_costs_six_cnots_on_its_rectangle_and_the_head_seven():
    floor = grid_floor.Floor(qc.QRUModel.preset("oscillation"), 2, 3)
    search = grid_floor.CnotSearch(6, grid_floor.grid(2, 3), range(6), (), 7)
    ring_costs = {c for c, _ in search.synthesise(floor.layer, RECTANGLE, 7)}
    assert min(ring_costs) == 6 == floor.layer_min == floor._rows_changed(floor.layer)
    # the hidden 5-cycle cannot embed in a bipartite grid: no layout runs the head in 6
    head_costs = {c for layout in itertools.permutations(range(6))
                  for c, _ in search.synthesise(floor.head, layout, 7)}
    assert min(head_costs) == 7 == floor.head_min > floor._rows_changed(floor.head) == 5


def test_a_controlled_swap_may_hand_its_target_on_to_the_ancilla():
    floor = grid_floor.Floor(qc.QRUModel.preset("oscillation"), 2, 4)
    # 0 1 2 3 / 4 5 6 7; d0, h0..h4 on 0 1 2 4 5 6: h0 at 1, h1 at 2, whose free neighbour is 3
    layout = (0, 1, 2, 4, 5, 6)
    options = set(floor.cswap_options(layout, 1, 2, ()))
    assert (5, layout, (3,)) in options           # ancilla beyond the target, target stays
    assert (5, (0, 1, 3, 4, 5, 6), (2,)) in options  # target handed on to the ancilla's qubit
    assert (5, layout, ()) in options             # ancilla outside the region
