"""Embeddings of a path or a cycle into a coupling graph, for placement.

A QRU step's heaviest interactions form a ring (or the paths cut from it), so placement asks
one question many times: every way to lay a labelled path or cycle onto the device's coupling
graph, edges onto couplers. networkx's VF2 matcher answers it for any pattern, but spends
about 0.3 s per compile in its general machinery; a depth-first walk over adjacency lists
enumerates the same embeddings of a path or a cycle about ten times faster. Other patterns go
to VF2.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import networkx as nx
from networkx.algorithms import isomorphism


def chain_order(pattern: nx.Graph) -> tuple[list[int], bool] | None:
    """The nodes of ``pattern`` in walk order and whether it is a cycle, if it is one path
    or one cycle through all its nodes (None otherwise)."""
    nodes = list(pattern.nodes)
    if len(nodes) < 2 or not nx.is_connected(pattern):
        return None
    degrees = dict(pattern.degree)
    if any(d > 2 for d in degrees.values()):
        return None
    ends = sorted(n for n, d in degrees.items() if d == 1)
    cycle = not ends
    if cycle and pattern.number_of_edges() != len(nodes):
        return None
    start = min(nodes) if cycle else ends[0]
    order, previous = [start], None
    while len(order) < len(nodes):
        here = order[-1]
        step = min(n for n in pattern[here] if n != previous)
        previous = here
        order.append(step)
    return order, cycle


def _walks(adjacency: Mapping[int, Sequence[int]], length: int, closed: bool
           ) -> Iterator[tuple[int, ...]]:
    """Self-avoiding walks of ``length`` nodes (returning next to their start if ``closed``)."""
    for start in sorted(adjacency):
        walk, used = [start], {start}
        stack = [iter(adjacency[start])]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                used.discard(walk.pop())
                continue
            if step in used:
                continue
            if len(walk) + 1 == length:
                if not closed or start in adjacency[step]:
                    yield (*walk, step)
                continue
            walk.append(step)
            used.add(step)
            stack.append(iter(adjacency[step]))


def embeddings(host: nx.Graph, pattern: nx.Graph, limit: int | None = None
               ) -> Iterator[dict[Any, Any]]:
    """Monomorphisms of ``pattern`` into ``host`` (pattern node -> host node), at most
    ``limit`` of them; every edge of the pattern lands on an edge of the host."""
    chain = chain_order(pattern)
    if chain is None:
        matcher = isomorphism.GraphMatcher(host, pattern)
        found = ({p: h for h, p in m.items()} for m in matcher.subgraph_monomorphisms_iter())
        yield from itertools.islice(found, limit)
        return
    order, cycle = chain
    nodes = sorted(host.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = {index[n]: sorted(index[m] for m in host[n]) for n in nodes}
    walks = _walks(adjacency, len(order), cycle)
    for walk in itertools.islice(walks, limit):
        yield {logical: nodes[i] for logical, i in zip(order, walk)}
