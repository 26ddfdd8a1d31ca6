"""The router's vocabulary: operations on integer qubit indices, the coupling topology, and
the routed result (:mod:`qru_compile.passes.router` routes, :mod:`qru_compile.passes.routing`
translates circuits and devices into these)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class OneQubit:
    """A single-qubit operation; ``barrier`` if it carries an angle slot (ends merging)."""

    index: int
    qubit: int
    barrier: bool


@dataclasses.dataclass(frozen=True)
class TwoQubit:
    """A two-qubit operation; ``cnot`` if it is a CNOT (control first), else opaque."""

    index: int
    a: int
    b: int
    cnot: bool


@dataclasses.dataclass(frozen=True)
class ControlledSwap:
    """A controlled-SWAP whose ``ancilla`` is fresh (``|0>``, untouched before and after)."""

    index: int
    control: int
    target: int
    ancilla: int


Op = OneQubit | TwoQubit | ControlledSwap


@dataclasses.dataclass(frozen=True)
class Emitted:
    """One routed operation on physical qubits.

    ``kind`` is ``"op"`` (the input operation ``index`` on ``qubits``), ``"swap"`` (a SWAP),
    ``"zero_move"`` (move the state of ``qubits[0]`` into the ``|0>`` qubit ``qubits[1]``),
    ``"cswap"`` (input operation ``index`` with qubits control, target, ancilla) or
    ``"bridge"`` (the input CNOT ``index`` through a middle qubit: control, middle, target).
    """

    kind: str
    index: int
    qubits: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class RouteResult:
    """Routed operations, where every logical qubit started and ended, and the estimated cost
    (in native two-qubit gates)."""

    emitted: tuple[Emitted, ...]
    initial: Mapping[int, int]
    final: Mapping[int, int]
    cz_cost: int
    error: float
    swaps: int
    cswap_patterns: tuple[str, ...]


#: The distance :meth:`Topology.distances_avoiding` gives where no path exists.
UNREACHABLE = 1 << 20


@dataclasses.dataclass(frozen=True)
class Topology:
    """Coupling graph on integers 0..n-1 with distances and optional two-qubit error rates."""

    neighbours: tuple[tuple[int, ...], ...]
    distance: tuple[tuple[int, ...], ...]
    pair_error: Mapping[frozenset[int], float]
    _avoiding: dict[tuple[int, frozenset[int]], tuple[int, ...]] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False)

    def adjacent(self, a: int, b: int) -> bool:
        """Whether physical qubits ``a`` and ``b`` are coupled."""
        return self.distance[a][b] == 1

    def distances_avoiding(self, target: int, blocked: frozenset[int]) -> tuple[int, ...]:
        """Distances to ``target`` on paths that never enter ``blocked`` (``UNREACHABLE``
        where there is none); memoised, as routing asks the same few questions many times."""
        key = (target, blocked)
        found = self._avoiding.get(key)
        if found is None:
            distances, frontier = [UNREACHABLE] * len(self.neighbours), [target]
            distances[target] = 0
            while frontier:
                nxt = []
                for x in frontier:
                    for n in self.neighbours[x]:
                        if distances[n] == UNREACHABLE and n not in blocked:
                            distances[n] = distances[x] + 1
                            nxt.append(n)
                frontier = nxt
            found = self._avoiding[key] = tuple(distances)
        return found
