"""The router's lookahead: how far apart the next two-qubit operations' qubits would be.

A candidate swap is scored by its cost plus the weighted distances of the next ``lookahead``
two-qubit operations after it (weights 1, 0.7, 0.49, ...). Routing a WDBC step scores about
20,000 candidates per compile, so the distances are computed once per routing step and a
candidate re-prices only the operations of the qubits it moves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from qru_compile.passes.router_types import OneQubit, Op, TwoQubit

_DECAY = 0.7


@dataclasses.dataclass(frozen=True)
class LookaheadWindow:
    """The step's two-qubit work in order (the pair of logical qubits each joins) and the
    weights of a window over it."""

    pairs: tuple[tuple[int, int], ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, ops: Sequence[Op], lookahead: int) -> LookaheadWindow:
        """The window of ``lookahead`` operations over the two-qubit work of ``ops``."""
        pairs = tuple((op.a, op.b) if isinstance(op, TwoQubit) else (op.control, op.target)
                      for op in ops if not isinstance(op, OneQubit))
        weights = [1.0]
        for _ in range(lookahead - 1):
            weights.append(weights[-1] * _DECAY)
        return cls(pairs, tuple(weights))

    def at(self, start: int, position: Mapping[int, int],
           distance: Sequence[Sequence[int]]) -> PricedWindow:
        """The window from two-qubit operation ``start`` with the qubits where they are."""
        pairs = self.pairs[start : start + len(self.weights)]
        terms: list[float] = []
        touching: dict[int, list[int]] = {}
        for i, ((a, b), weight) in enumerate(zip(pairs, self.weights)):
            terms.append(weight * distance[position[a]][position[b]])
            touching.setdefault(a, []).append(i)
            touching.setdefault(b, []).append(i)
        return PricedWindow(pairs, self.weights, terms, touching, position, distance)


@dataclasses.dataclass(frozen=True)
class PricedWindow:
    """A window's weighted distances, and per logical qubit the operations it takes part in."""

    pairs: Sequence[tuple[int, int]]
    weights: Sequence[float]
    terms: Sequence[float]
    touching: Mapping[int, list[int]]
    position: Mapping[int, int]
    distance: Sequence[Sequence[int]]

    def after(self, moved: Mapping[int, int]) -> float:
        """The lookahead distance once the logical qubits in ``moved`` stand where it says."""
        changed = list(self.terms)
        for logical in moved:
            for i in self.touching.get(logical, ()):
                a, b = self.pairs[i]
                changed[i] = self.weights[i] * self.distance[
                    moved.get(a, self.position[a])][moved.get(b, self.position[b])]
        return sum(changed)  # left to right, as a plain running total would
