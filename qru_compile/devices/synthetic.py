"""Synthetic devices: square grids, lines and heavy-hex lattices (networkx graphs).

They have no calibration: compiled reports state depth and duration but no fidelity estimate.
Durations are those of Google's willow_pink processor (25 ns single-qubit gates, 42 ns CZ,
600 ns measurement), with the Sycamore-generation two-qubit times (32 ns sqrt-iSWAP, 12 ns SYC).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from types import MappingProxyType

import cirq
import networkx as nx

from qru_compile.devices.device import Device
from qru_compile.gatesets import registered_gatesets

#: Durations of everything but the two-qubit gates (each gateset gives its own).
_DURATIONS_NS = {"1q": 25.0, "z": 0.0, "measure": 600.0}
_NOTE = ("synthetic device: durations of willow_pink (1q 25 ns, CZ 42 ns, measure 600 ns) and "
         "Sycamore (sqrt-iSWAP 32 ns, SYC 12 ns)",)


def _device(name: str, qubits: Sequence[cirq.Qid],
            edges: Sequence[tuple[cirq.Qid, cirq.Qid]]) -> Device:
    gatesets = registered_gatesets()
    return Device(
        name=name,
        qubits=tuple(sorted(qubits)),
        couplers=frozenset(frozenset(e) for e in edges),
        gatesets=tuple(g.name for g in gatesets),
        durations_ns=MappingProxyType({**_DURATIONS_NS, **{
            g.name: g.synthetic_duration_ns for g in gatesets}}),
        duration_notes=_NOTE,
        error_notes=("synthetic device: no calibration data",),
    )


def grid_device(rows: int, cols: int) -> Device:
    """A ``rows x cols`` square grid of ``cirq.GridQubit`` with nearest-neighbour couplers."""
    qubits = [cirq.GridQubit(r, c) for r in range(rows) for c in range(cols)]
    edges = [(q, n) for q in qubits for n in (q + (0, 1), q + (1, 0)) if n in set(qubits)]
    return _device(f"grid{rows}x{cols}", qubits, edges)


def line_device(n: int) -> Device:
    """``n`` qubits on a line (``cirq.LineQubit``)."""
    qubits = cirq.LineQubit.range(n)
    return _device(f"line{n}", list(qubits), list(itertools.pairwise(qubits)))


def heavy_hex_device(rows: int, cols: int) -> Device:
    """A heavy-hex lattice: a ``rows x cols`` hexagonal lattice with a qubit on every edge.

    Degree-3 vertex qubits alternate with degree-2 edge qubits, as on IBM's processors.
    Qubits are ``cirq.LineQubit`` numbered in sorted order of the lattice coordinates.
    """
    hexagonal = nx.hexagonal_lattice_graph(rows, cols)
    heavy = nx.Graph()
    for u, v in hexagonal.edges:
        middle = ("edge", min(u, v), max(u, v))
        heavy.add_edge(("node", u), middle)
        heavy.add_edge(middle, ("node", v))
    index = {node: cirq.LineQubit(i) for i, node in enumerate(sorted(heavy.nodes))}
    edges = [(index[u], index[v]) for u, v in heavy.edges]
    return _device(f"heavyhex{rows}x{cols}", list(index.values()), edges)
