"""Exhaustive floor of a small QRU step's CZ count on a square-grid region, final ring absorbed.

Answers "can this step, with its final CNOT ring read as parities, run in at most BUDGET CZ
on this patch of a square grid?" by exhaustive search, not by routing heuristics. A step with
the ring absorbed is three kinds of pieces, and each is searched exactly:

* the head block: the data ring, the hidden ring and the gating CNOT, one linear map over
  GF(2) (the encodings' rotations all come before it);
* the two controlled-SWAPs on fresh ancillas, at the table's costs: 4 CZ with the ancilla
  between control and target, 5 with it beyond the target (the 7-CZ and exact forms are left
  out, so budgets from the floor + 3 up are refused); each may also hand the target's state
  on to the ancilla's qubit at no cost (``X(c) CSWAP X(c)`` is ``SWAP(t, a) CSWAP``; an option
  more can only lower the floor);
* the kept layer rings, each a linear map between single-qubit layers.

Every linear block is synthesised as a CNOT circuit on the region's couplers with its output
permutation free (qubits may end anywhere), idle qubits in ``|0>`` usable and left clean, and
spent ancillas never touched again: a breadth-first search over all CNOT circuits (rows of the
map as bit masks, numpy). The layouts after the controlled-SWAPs and the layer rings are
enumerated first (the "tail"), the head is searched only for tails within the budget.

Not covered: blocks synthesised with other than CNOTs (Cliffords with Hadamards), gates of a
controlled-SWAP's decomposition merged into a neighbouring block, qubits leaving the region.

The blocks' floors are searched first (the fewest CNOTs from any layout in the region); each
layer ring may spend at most ``--max-extra`` CNOTs above its floor, which is no restriction
when the budget is at most the step's floor plus that.

Usage: python tools/grid_floor.py oscillation --region 2x4 --budget 35
"""

from __future__ import annotations

import argparse
import collections
import functools
import itertools
import sys
import time
from collections.abc import Iterator, Sequence

import numpy as np

import qru_compile as qc

Layout = tuple[int, ...]  # logical index -> region position


def grid(rows: int, cols: int) -> list[tuple[int, int]]:
    """The couplers of a rows x cols square grid, positions numbered row by row."""
    def at(r: int, c: int) -> int:
        return r * cols + c
    return ([(at(r, c), at(r, c + 1)) for r in range(rows) for c in range(cols - 1)]
            + [(at(r, c), at(r + 1, c)) for r in range(rows - 1) for c in range(cols)])


def linear_map(cnots: Sequence[tuple[int, int]], n: int) -> tuple[int, ...]:
    """Output rows (bit masks over the n inputs) of a CNOT sequence on logical indices."""
    rows = [1 << q for q in range(n)]
    for control, target in cnots:
        rows[target] ^= rows[control]
    return tuple(rows)


def ring(qubits: Sequence[int]) -> list[tuple[int, int]]:
    """The QRU's CNOT ring over ``qubits`` (none for one qubit; two CNOTs for two)."""
    if len(qubits) < 2:
        return []
    return [(qubits[i], qubits[i + 1]) for i in range(len(qubits) - 1)] + [(qubits[-1], qubits[0])]


def unpack_rows(states: np.ndarray, n: int, width: int) -> np.ndarray:
    """The ``n`` rows (``width`` bits each) packed in every state, one column per position."""
    mask = np.uint64((1 << width) - 1)
    return np.stack([(states >> np.uint64(width * q)) & mask for q in range(n)], axis=1)


def next_level(level: np.ndarray, moves: Sequence[tuple[int, int]], width: int,
               seen: np.ndarray) -> np.ndarray:
    """The states one CNOT from ``level`` that are not in ``seen`` (sorted, unique)."""
    mask = np.uint64((1 << width) - 1)
    candidates = []
    for control, target in moves:
        row = (level >> np.uint64(width * control)) & mask
        moving = row != 0
        candidates.append(level[moving] ^ (row[moving] << np.uint64(width * target)))
    return np.setdiff1d(np.unique(np.concatenate(candidates)), seen, assume_unique=True)


class CnotSearch:
    """Every CNOT circuit up to ``depth`` gates on a coupling graph, from one occupied set.

    A state is the row (a bit mask over the occupied positions' inputs) held by every
    position, packed into one integer: idle positions start as 0 rows and must end as 0 rows.
    """

    def __init__(self, n: int, couplers: Sequence[tuple[int, int]], occupied: Sequence[int],
                 dead: Sequence[int], depth: int) -> None:
        self.width = len(occupied)
        if n * self.width > 64:
            raise ValueError(f"{n} positions x {self.width} rows do not fit 64 bits")
        self.n, self.occupied = n, sorted(occupied)
        self.moves = [(a, b) for a, b in [*couplers, *((b, a) for a, b in couplers)]
                      if a not in dead and b not in dead]
        w = self.width
        start = sum((1 << k) << (w * q) for k, q in enumerate(self.occupied))
        level = np.array([start], dtype=np.uint64)
        levels, seen = [level], level
        for _ in range(depth):
            level = next_level(level, self.moves, w, seen)
            levels.append(level)
            seen = np.union1d(seen, level)
        self.states = np.concatenate(levels)
        self.cost = np.concatenate([np.full(len(lv), d) for d, lv in enumerate(levels)])
        rows = unpack_rows(self.states, n, w)
        rows.sort(axis=1)
        keys = np.zeros(len(rows), dtype=np.uint64)
        for q in range(n):
            keys |= rows[:, q] << np.uint64(w * q)
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def synthesise(self, target: Sequence[int], layout: Layout,
                   max_cost: int) -> Iterator[tuple[int, Layout]]:
        """(cost, output layout) of every circuit found taking ``layout`` through ``target``."""
        column = {q: k for k, q in enumerate(self.occupied)}
        rows = [sum(1 << column[layout[j]] for j in range(len(layout)) if t >> j & 1)
                for t in target]
        wanted = sorted(rows + [0] * (self.n - len(rows)))
        key = np.uint64(sum(v << (self.width * q) for q, v in enumerate(wanted)))
        lo, hi = np.searchsorted(self.keys, key), np.searchsorted(self.keys, key, "right")
        for index in self.order[lo:hi]:
            if self.cost[index] <= max_cost:
                state = int(self.states[index])
                held = [(state >> (self.width * q)) & ((1 << self.width) - 1)
                        for q in range(self.n)]
                yield int(self.cost[index]), tuple(held.index(r) for r in rows)


class Floor:
    """The exhaustive search for one model on one region (see the module docstring)."""

    def __init__(self, model: qc.QRUModel, rows: int, cols: int, max_extra: int = 2,
                 cache_size: int = 16) -> None:
        nd, nh = model.num_data_qubits, model.num_hidden_qubits
        if nh < 2:
            raise ValueError("the search needs at least two hidden qubits")
        self.n_logical = nd + nh  # logical d0..d[nd-1], then h0..h[nh-1]
        data, hidden = list(range(nd)), list(range(nd, nd + nh))
        self.head = linear_map(ring(data) + ring(hidden) + [(0, nd)], self.n_logical)
        self.layer = linear_map(ring(data + hidden), self.n_logical)
        self.kept_rings = model.L - 1
        self.cswaps = ((nd, nd + 1), (nd, nd + nh - 1))  # (control, target) logical indices
        self.rows, self.cols = rows, cols
        self.n = rows * cols
        self.couplers = grid(rows, cols)
        self.neighbours: dict[int, set[int]] = collections.defaultdict(set)
        for a, b in self.couplers:
            self.neighbours[a].add(b)
            self.neighbours[b].add(a)
        self._searches: collections.OrderedDict[tuple, CnotSearch] = collections.OrderedDict()
        self.cache_size = cache_size
        self.max_extra = max_extra

    @functools.cached_property
    def head_min(self) -> int:
        """The head's floor in the region, searched (the first call takes a while)."""
        return self._measured_minimum(self.head)

    @functools.cached_property
    def layer_min(self) -> int:
        """A layer ring's floor in the region, searched."""
        return self._measured_minimum(self.layer)

    @staticmethod
    def _rows_changed(target: Sequence[int]) -> int:
        """A floor: every row the map changes is a CNOT target at least once."""
        return sum(1 for q, row in enumerate(target) if row != 1 << q)

    def _measured_minimum(self, target: Sequence[int]) -> int:
        """The fewest CNOTs running ``target`` from any layout in the region, searched."""
        cost = self._rows_changed(target)
        while True:
            for occupied in itertools.combinations(range(self.n), self.n_logical):
                search = CnotSearch(self.n, self.couplers, occupied, (), cost)
                if any(next(search.synthesise(target, layout, cost), None)
                       for layout in itertools.permutations(occupied)):
                    return cost
            cost += 1

    def search(self, occupied: Sequence[int], dead: Sequence[int], depth: int) -> CnotSearch:
        key = (frozenset(occupied), frozenset(dead), depth)
        if key in self._searches:
            self._searches.move_to_end(key)
        else:
            while len(self._searches) >= self.cache_size:
                self._searches.popitem(last=False)
            self._searches[key] = CnotSearch(self.n, self.couplers, occupied, dead, depth)
        return self._searches[key]

    def _on_boundary(self, q: int) -> bool:
        r, c = divmod(q, self.cols)
        return r in (0, self.rows - 1) or c in (0, self.cols - 1)

    def cswap_options(self, layout: Layout, control: int, target: int,
                      dead: tuple[int, ...]) -> Iterator[tuple[int, Layout, tuple[int, ...]]]:
        """(CZ, layout after, dead positions after) of each way to run one controlled-SWAP."""
        taken = set(layout) | set(dead)
        c, t = layout[control], layout[target]
        ancillas = [(4, a) for a in self.neighbours[c] & self.neighbours[t] if a not in taken]
        if t in self.neighbours[c]:
            ancillas += [(5, a) for a in self.neighbours[t] if a not in taken]
        for cost, a in ancillas:
            yield cost, layout, (*dead, a)
            handed_on = list(layout)
            handed_on[target] = a
            yield cost, tuple(handed_on), (*dead, t)
        if t in self.neighbours[c] and self._on_boundary(t):
            yield 5, layout, dead  # the ancilla on a qubit outside the region

    def run(self, budget: int, log=print) -> tuple[int, dict] | None:
        """The cheapest step within ``budget`` CZ, or None if there is none."""
        floor = self.head_min + 8 + self.kept_rings * self.layer_min
        if budget >= floor + 3:
            raise ValueError(f"budget {budget} admits a 7-CZ controlled-SWAP (floor {floor}), "
                             "which this search leaves out")
        after_cswaps: dict[tuple[Layout, frozenset[int]], dict[int, int]] = {}
        for layout in itertools.permutations(range(self.n), self.n_logical):
            first, second = self.cswaps
            for c1, mid, dead1 in self.cswap_options(layout, *first, ()):
                for c2, end, dead2 in self.cswap_options(mid, *second, dead1):
                    if floor - 8 + c1 + c2 <= budget:
                        options = after_cswaps.setdefault((end, frozenset(dead2)), {})
                        options[layout] = min(options.get(layout, 99), c1 + c2)
        log(f"{len(after_cswaps)} layouts after the controlled-SWAPs within the budget")
        tails: list[tuple[int, Layout]] = []
        for (end, dead), options in sorted(after_cswaps.items(),
                                           key=lambda kv: (sorted(kv[0][0]), sorted(kv[0][1]))):
            spare = budget - self.head_min - min(options.values())
            for rings in self._ring_costs(end, tuple(dead), spare, self.kept_rings):
                tails += [(cs + rings, before) for before, cs in options.items()
                          if self.head_min + cs + rings <= budget]
        log(f"{len(tails)} tails (controlled-SWAPs and kept rings) within the budget")
        best: tuple[int, dict] | None = None
        for tail, before in sorted(set(tails)):
            spare = budget - tail
            if best is not None:
                spare = min(spare, best[0] - tail - 1)
            head = self._head_cost(before, spare)
            if head is not None:
                best = (tail + head, {"head": head, "tail": tail, "layout": before})
                log(f"found {best}")
        return best

    def _ring_costs(self, layout: Layout, dead: tuple[int, ...], spare: int,
                    rings: int) -> Iterator[int]:
        if rings == 0:
            yield 0
            return
        depth = min(spare - (rings - 1) * self.layer_min, self.layer_min + self.max_extra)
        if depth < self.layer_min:
            return
        search = self.search(layout, dead, depth)
        for cost, out in set(search.synthesise(self.layer, layout, depth)):
            for rest in self._ring_costs(out, dead, spare - cost, rings - 1):
                yield cost + rest

    def _head_cost(self, output: Layout, spare: int) -> int | None:
        """The fewest CNOTs taking some input layout to ``output`` through the head, if <= spare.

        Searched backwards (a CNOT circuit run in reverse undoes itself): from the head's output
        rows on ``output`` until every logical input sits alone on one position.
        """
        if spare < self.head_min:
            return None
        w = self.n_logical
        held = dict(zip(output, self.head))
        level = np.array([sum(held.get(q, 0) << (w * q) for q in range(self.n))],
                         dtype=np.uint64)
        seen = level
        moves = [*self.couplers, *((b, a) for a, b in self.couplers)]
        for cost in range(spare + 1):
            rows = unpack_rows(level, self.n, w)
            single = (rows & (rows - np.uint64(1))) == 0  # 0 or one input
            if np.any(single.all(axis=1)):
                return cost
            level = next_level(level, moves, w, seen)
            seen = np.union1d(seen, level)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a preset name")
    parser.add_argument("--region", default="2x4", help="rows x columns of the grid patch")
    parser.add_argument("--budget", type=int, required=True, help="CZ per step to beat")
    parser.add_argument("--max-extra", type=int, default=2,
                        help="CNOTs a layer ring may spend above its floor (no limit within "
                             "the budget when the budget is at most the step's floor + this)")
    args = parser.parse_args(argv)
    rows, cols = (int(v) for v in args.region.split("x"))
    start = time.perf_counter()
    floor = Floor(qc.QRUModel.preset(args.model), rows, cols, args.max_extra)
    print(f"floors (searched): head {floor.head_min} CNOTs, layer ring {floor.layer_min}, "
          f"controlled-SWAPs 4 + 4")
    try:
        best = floor.run(args.budget)
    except ValueError as exc:
        print(f"grid_floor: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    if best is None:
        print(f"{args.model} on a {args.region} grid: no step with at most {args.budget} CZ "
              f"(ring absorbed; {seconds:.0f} s)")
    else:
        print(f"{args.model} on a {args.region} grid: {best[0]} CZ ({best[1]}; {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
