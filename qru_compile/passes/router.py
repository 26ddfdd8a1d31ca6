"""The routing engine behind placement and routing: a greedy, merge-aware router for QRU steps.

Cirq's ``RouteCQC`` and Qiskit's SABRE route any circuit; this router knows three things about
a QRU step that they do not, and prices its moves with them:

* **The final qubit permutation is free.** Every step starts fresh and only its measured qubits
  are read, so a qubit may end anywhere: nothing is ever swapped back.
* **Swaps merge with gates.** A SWAP right after a CNOT on the same pair (no slot rotation in
  between) costs one extra CZ, not three, once the pair's two-qubit block is resynthesised.
  Open blocks are tracked as elements of GL(2, F2) (CNOT, SWAP and their products), whose
  minimal CZ counts are known exactly.
* **Zeros are cheap to move through.** Idle device qubits and not-yet-used ancillas are in
  ``|0>``: moving a state into a ``|0>`` qubit takes two CNOTs, and two ``|0>`` qubits can be
  exchanged by relabelling, for free. A controlled-SWAP's fresh ancilla is placed lazily on
  whichever ``|0>`` qubit gives the cheapest fresh-ancilla decomposition at that moment.
* **A CNOT need not bring its qubits together** (``bridges``): two apart, it runs through the
  qubit between them in three more CNOTs, leaving every qubit where it was.

The engine works on integer qubit indices (:mod:`qru_compile.passes.router_types`); ``routing.py``
and ``placement.py`` wrap it as passes; ``cnot_blocks.py`` holds the GL(2, F2) block algebra.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from qru_compile.passes.cnot_blocks import (
    CZ_BLOCK_COSTS,
    IDENTITY,
    SWAP,
    cnot,
    compose,
    oriented,
    zero_move,
)
from qru_compile.passes.lookahead import LookaheadWindow
from qru_compile.passes.router_types import (
    UNREACHABLE,
    ControlledSwap,
    Emitted,
    OneQubit,
    Op,
    RouteResult,
    Topology,
    TwoQubit,
)

_FREE, _STATE, _DIRTY = 0, 1, 2
#: Extra CZs charged when routing moves a used ancilla: its CSWAP then needs the exact
#: decomposition (7-8 CZ) instead of a fresh-ancilla one (4-5).
SPOILED_ANCILLA_PENALTY = 4


class _Router:
    def __init__(self, topology: Topology, ops: Sequence[Op], initial: Mapping[int, int],
                 pattern_costs: Mapping[str, int], block_costs: Mapping[tuple[int, int], int],
                 rng: random.Random, lookahead: int, bridges: bool = False) -> None:
        self.bridges = bridges
        self.top = topology
        self.ops = ops
        self.costs = pattern_costs
        self.block_costs = block_costs
        self.rng = rng
        self.lookahead = lookahead
        n = len(topology.neighbours)
        self.position = dict(initial)
        self.occupant: list[int | None] = [None] * n
        for logical, physical in initial.items():
            self.occupant[physical] = logical
        self.ancillas = {op.ancilla for op in ops if isinstance(op, ControlledSwap)}
        self.state = [_FREE] * n  # _FREE: |0>, no logical state
        for logical, physical in initial.items():
            self.state[physical] = _FREE if logical in self.ancillas else _STATE
        self.dirty: frozenset[int] = frozenset()  # where state is _DIRTY
        self.block: dict[frozenset[int], tuple[int, int]] = {}
        self.open_on: list[frozenset[int] | None] = [None] * n
        self.emitted: list[Emitted] = []
        self.cost = 0
        self.error = 0.0
        self.swaps = 0
        self.patterns: list[str] = []
        self.spoiled: set[int] = set()
        self.guard = 0
        self.initial = dict(initial)
        self.window = LookaheadWindow.of(ops, lookahead)

    # ------------------------------------------------------------------ cost bookkeeping
    def _open_block(self, p: int, q: int) -> tuple[int, int]:
        """The pair's two-qubit block still open for merging, or the identity."""
        pair = frozenset((p, q))
        if self.open_on[p] != pair or self.open_on[q] != pair:
            return IDENTITY
        return self.block.get(pair, IDENTITY)

    def _delta(self, p: int, q: int, element: tuple[int, int]) -> int:
        old = self._open_block(p, q)
        return self.block_costs[compose(old, element)] - self.block_costs[old]

    def _apply_block(self, p: int, q: int, element: tuple[int, int]) -> None:
        pair = frozenset((p, q))
        merged = compose(self._open_block(p, q), element)
        delta = self._delta(p, q, element)
        for x in (p, q):
            if self.open_on[x] is not None and self.open_on[x] != pair:
                self._close(x)
        self.block[pair] = merged
        self.open_on[p] = self.open_on[q] = pair
        self.cost += delta
        self.error += delta * self.top.pair_error.get(pair, 0.0)

    def _close(self, x: int) -> None:
        pair = self.open_on[x]
        if pair is None:
            return
        for y in pair:
            if self.open_on[y] == pair:
                self.open_on[y] = None
        self.block.pop(pair, None)

    # ------------------------------------------------------------------ moves
    def _swap_element(self, p: int, q: int) -> tuple[int, int] | None:
        """Element of exchanging physical p and q, or None when it is a free relabelling."""
        sp, sq = self.state[p], self.state[q]
        if sp == _FREE and sq == _FREE:
            return None
        if sq == _FREE:
            return oriented(p, q, zero_move(True))
        if sp == _FREE:
            return oriented(p, q, zero_move(False))
        return SWAP

    def _swap_cost(self, p: int, q: int) -> int:
        element = self._swap_element(p, q)
        return 0 if element is None else self._delta(min(p, q), max(p, q), element)

    def _do_swap(self, p: int, q: int) -> None:
        element = self._swap_element(p, q)
        if element is not None:
            lo, hi = min(p, q), max(p, q)
            self._apply_block(lo, hi, element)
            if element == SWAP:
                self.emitted.append(Emitted("swap", -1, (p, q)))
            elif self.state[q] == _FREE:
                self.emitted.append(Emitted("zero_move", -1, (p, q)))
            else:
                self.emitted.append(Emitted("zero_move", -1, (q, p)))
            self.swaps += 1
        a, b = self.occupant[p], self.occupant[q]
        self.occupant[p], self.occupant[q] = b, a
        self.state[p], self.state[q] = self.state[q], self.state[p]
        if (self.state[p] == _DIRTY) != (self.state[q] == _DIRTY):  # a used ancilla moved
            self.dirty = self.dirty.symmetric_difference((p, q))
        if a is not None:
            self.position[a] = q
        if b is not None:
            self.position[b] = p

    def _distances_to(self, target: int, avoid_dirty: bool) -> Sequence[int]:
        """Distances to ``target``; with ``avoid_dirty``, on paths that avoid used ancillas."""
        if not avoid_dirty or not self.dirty:
            return self.top.distance[target]
        return self.top.distances_avoiding(target, self.dirty)

    def _candidate_moves(self, a: int, b: int, queue_index: int) -> list[tuple[float, int, int]]:
        """Swaps that bring logical a and b closer, scored (cost + lookahead), best first.

        Used ancillas are avoided while a path around them exists; touching one makes its
        CSWAP fall back to the exact decomposition, which the cost estimate charges.
        """
        pa, pb = self.position[a], self.position[b]
        avoid = self._distances_to(pb, True)[pa] < UNREACHABLE
        view = self.window.at(queue_index, self.position, self.top.distance)
        moves: list[tuple[float, int, int]] = []
        for mover, other in ((pa, pb), (pb, pa)):
            dist = self._distances_to(other, avoid)
            for n in self.top.neighbours[mover]:
                if dist[n] >= dist[mover] or n == other or (avoid and self.state[n] == _DIRTY):
                    continue
                moved: dict[int, int] = {}
                here, there = self.occupant[mover], self.occupant[n]
                if here is not None:
                    moved[here] = n
                if there is not None:
                    moved[there] = mover
                score = self._swap_cost(mover, n) + 0.5 * view.after(moved)
                moves.append((score + 1e-3 * self.rng.random(), mover, n))
        if not moves:
            raise RuntimeError(f"no path joins logical qubits {a} and {b} on the device")
        return sorted(moves)

    def _move(self, p: int, q: int) -> None:
        """Exchange physical p and q, charging the penalty for touching a used ancilla."""
        self._count_step()
        for x in (p, q):
            if self.state[x] == _DIRTY and x not in self.spoiled:
                self.spoiled.add(x)
                self.cost += SPOILED_ANCILLA_PENALTY
        self._do_swap(p, q)

    def _step_towards(self, a: int, b: int, queue_index: int) -> None:
        """The best-scoring swap that brings logical a and b closer."""
        _, p, q = self._candidate_moves(a, b, queue_index)[0]
        self._move(p, q)

    # ------------------------------------------------------------------ operations
    def _one_qubit(self, op: OneQubit) -> None:
        p = self.position[op.qubit]
        if op.barrier:
            self._close(p)
        self.emitted.append(Emitted("op", op.index, (p,)))

    def _two_qubit(self, op: TwoQubit, queue_index: int) -> None:
        pa, pb = self.position[op.a], self.position[op.b]
        if self.bridges and op.cnot and self.top.distance[pa][pb] == 2:
            self._bridge(op, pa, pb)
            return
        while not self.top.adjacent(self.position[op.a], self.position[op.b]):
            self._step_towards(op.a, op.b, queue_index)
        self._execute_two_qubit(op)

    def _bridge(self, op: TwoQubit, control: int, target: int) -> None:
        """CNOT(c -> t) two apart as CNOT(c, m) CNOT(m, t) CNOT(c, m) CNOT(m, t), ``m`` between
        them in any state (restored); the ``m`` merging best with what is open on ``(c, m)``."""
        middles = [m for m in self.top.neighbours[control] if self.top.adjacent(m, target)]
        middle = min(middles, key=lambda m: (self._delta(min(control, m), max(control, m),
                                                         cnot(control < m)), m))
        for a, b in ((control, middle), (middle, target)) * 2:
            self._apply_block(min(a, b), max(a, b), cnot(a < b))
        self.emitted.append(Emitted("bridge", op.index, (control, middle, target)))

    def _execute_two_qubit(self, op: TwoQubit) -> None:
        pa, pb = self.position[op.a], self.position[op.b]
        if op.cnot:
            self._apply_block(min(pa, pb), max(pa, pb), cnot(pa < pb))
        else:
            for x in (pa, pb):
                self._close(x)
            self.cost += 3
        self.emitted.append(Emitted("op", op.index, (pa, pb)))

    def _cswap_options(self, pc: int, pt: int) -> list[tuple[int, str, int]]:
        options = []
        zeros_near = {z for x in (pc, pt) for z in self.top.neighbours[x]
                      if self.state[z] == _FREE}
        for z in zeros_near:
            c_adj, t_adj = self.top.adjacent(pc, z), self.top.adjacent(pt, z)
            ct_adj = self.top.adjacent(pc, pt)
            if c_adj and t_adj and ct_adj:
                pattern = "triangle"
            elif c_adj and t_adj:
                pattern = "c-a-t"
            elif ct_adj and t_adj:
                pattern = "c-t-a"
            elif ct_adj and c_adj:
                pattern = "t-c-a"
            else:
                continue
            if pattern in self.costs:
                options.append((self.costs[pattern], pattern, z))
        return options

    def _controlled_swap(self, op: ControlledSwap, queue_index: int) -> None:
        while True:
            pc, pt = self.position[op.control], self.position[op.target]
            options = self._cswap_options(pc, pt)
            if options:
                break
            self._prepare_cswap(op, queue_index)
        self._execute_cswap(op, min(options, key=lambda o: (o[0], self.rng.random())))

    def _prepare_cswap(self, op: ControlledSwap, queue_index: int) -> None:
        """One move towards a connected (control, target, |0>) triple."""
        pc, pt = self.position[op.control], self.position[op.target]
        if self.top.distance[pc][pt] > 1:
            self._step_towards(op.control, op.target, queue_index)
        else:
            self._bring_zero_next_to(pt)

    def _execute_cswap(self, op: ControlledSwap, option: tuple[int, str, int]) -> None:
        pc, pt = self.position[op.control], self.position[op.target]
        cost, pattern, z = option
        ancilla_at = self.position[op.ancilla]
        if ancilla_at != z:  # both |0>: exchange by relabelling
            self._do_swap(ancilla_at, z)
        for x in (pc, pt, z):
            self._close(x)
        self.cost += cost
        for a, b in ((pc, pt), (pc, z), (pt, z)):
            if self.top.adjacent(a, b):
                self.error += cost / 2 * self.top.pair_error.get(frozenset((a, b)), 0.0)
        self.state[z] = _DIRTY
        self.dirty = self.dirty | {z}
        self.patterns.append(pattern)
        self.emitted.append(Emitted("cswap", op.index, (pc, pt, z)))

    def _count_step(self) -> None:
        self.guard += 1
        if self.guard > 50 * len(self.state):
            raise RuntimeError("routing does not converge (moves keep undoing each other)")

    def _bring_zero_next_to(self, target: int) -> None:
        """Move the nearest ``|0>`` qubit one step closer to ``target``."""
        for avoid in (True, False):
            dist = self._distances_to(target, avoid)
            zeros = [z for z, s in enumerate(self.state)
                     if s == _FREE and z != target and dist[z] < UNREACHABLE]
            if zeros:
                break
        else:
            raise RuntimeError("the device has no idle qubit left for a fresh ancilla")
        z = min(zeros, key=lambda z: (dist[z], self.rng.random()))
        step = min((n for n in self.top.neighbours[z]
                    if dist[n] < dist[z] and not (avoid and self.state[n] == _DIRTY)),
                   key=lambda n: self.rng.random())
        self._move(step, z)

    def result(self) -> RouteResult:
        return RouteResult(emitted=tuple(self.emitted), initial=self.initial,
                           final=dict(self.position), cz_cost=self.cost, error=self.error,
                           swaps=self.swaps, cswap_patterns=tuple(self.patterns))

    def _unavoidable_costs(self) -> list[int]:
        """Per operation index, the least cost of the operations after it: every opaque
        two-qubit gate costs 3, every controlled-SWAP at least its cheapest pattern (CNOTs
        may merge into blocks for nothing)."""
        cheapest_cswap = min(self.costs.values(), default=0)
        after, total = [0] * len(self.ops), 0
        for i in range(len(self.ops) - 1, -1, -1):
            after[i] = total
            op = self.ops[i]
            if isinstance(op, ControlledSwap):
                total += cheapest_cswap
            elif isinstance(op, TwoQubit) and not op.cnot:
                total += 3
        return after

    def _least_final_cost(self, still_to_pay: int) -> int:
        """A lower bound of the final cost: open blocks may still merge down to nothing, the
        rest is spent, and ``still_to_pay`` is to come."""
        open_blocks = sum(self.block_costs[element] for element in self.block.values())
        return self.cost - open_blocks + still_to_pay

    def run(self, cost_bound: int | None = None) -> RouteResult | None:
        """Route every operation greedily, in order; None as soon as the cost is sure to
        exceed ``cost_bound``."""
        still_to_pay = self._unavoidable_costs() if cost_bound is not None else []
        queue_position = 0
        for i, op in enumerate(self.ops):
            if isinstance(op, OneQubit):
                self._one_qubit(op)
                continue
            queue_position += 1
            if isinstance(op, TwoQubit):
                self._two_qubit(op, queue_position)
            else:
                self._controlled_swap(op, queue_position)
            if cost_bound is not None and self._least_final_cost(still_to_pay[i]) > cost_bound:
                return None
        return self.result()


def route(topology: Topology, ops: Sequence[Op], initial: Mapping[int, int],
          pattern_costs: Mapping[str, int], *, block_costs: Mapping[tuple[int, int], int]
          = CZ_BLOCK_COSTS, seed: int = 0, lookahead: int = 12,
          bridges: bool = False) -> RouteResult:
    """Route ``ops`` from the ``initial`` placement (logical -> physical index).

    Args:
        topology: the coupling graph.
        ops: the step's operations in a topological order, on logical indices.
        initial: starting position of every logical qubit (ancillas included).
        pattern_costs: two-qubit gate cost of a fresh-ancilla controlled-SWAP per connectivity
            pattern (``"c-a-t"``, ``"c-t-a"``, ``"t-c-a"``, ``"triangle"``).
        block_costs: two-qubit gate cost of each GL(2, F2) element (see
            :data:`~qru_compile.passes.cnot_blocks.ELEMENTS`) in the target gateset.
        seed: tie-breaking seed (results are deterministic for a seed).
        lookahead: two-qubit operations considered when scoring a swap.
        bridges: run a CNOT between qubits two apart through the qubit between them
            (:meth:`_Router._bridge`) instead of moving them together.

    Raises:
        RuntimeError: if the device cannot host the step (disconnected, or no idle qubit).
    """
    result = _Router(topology, ops, initial, pattern_costs, block_costs, random.Random(seed),
                     lookahead, bridges).run()
    assert result is not None  # no bound
    return result


def route_within(topology: Topology, ops: Sequence[Op], initial: Mapping[int, int],
                 pattern_costs: Mapping[str, int], cost_bound: int, *,
                 block_costs: Mapping[tuple[int, int], int] = CZ_BLOCK_COSTS, seed: int = 0,
                 lookahead: int = 12) -> RouteResult | None:
    """:func:`route`, or None once its cost is sure to exceed ``cost_bound`` (placement scores
    many candidates and needs only those that could beat the best so far; the route of a
    candidate that finishes is the one :func:`route` gives)."""
    return _Router(topology, ops, initial, pattern_costs, block_costs, random.Random(seed),
                   lookahead).run(cost_bound)
