"""The device model: qubits, couplers, native gatesets, gate durations and error rates.

One frozen :class:`Device` describes every target, whether it comes from cirq_google's offline
specifications (``google.py``) or is synthetic (``synthetic.py``). Passes read the coupling
graph and gatesets; reports read durations and error rates.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import cirq
import networkx as nx

from qru_compile.errors import DeviceError
from qru_compile.gatesets import known_gatesets


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclasses.dataclass(frozen=True, eq=False)
class Device:
    """A quantum processor as the compiler sees it.

    Attributes:
        name: the device name (as given to :func:`~qru_compile.devices.get_device`).
        qubits: all qubits, sorted.
        couplers: unordered qubit pairs that a two-qubit gate may act on.
        gatesets: native gatesets, the default first; names of registered gatesets
            (:func:`~qru_compile.gatesets.known_gatesets`).
        durations_ns: gate durations in ns under the keys ``"1q"``, ``"z"`` (virtual Z),
            ``"cz"``, ``"sqrt_iswap"``, ``"sycamore"`` (where native) and ``"measure"``.
        duration_notes: where each duration comes from and what was corrected.
        qubit_errors: Pauli error per single-qubit gate, by qubit (median calibration).
        pair_errors: Pauli error per two-qubit gate, by gateset name and coupler.
        readout_errors: mean of the ``p(0|1)`` and ``p(1|0)`` readout errors, by qubit.
        error_notes: where the error rates come from.
        cirq_device: the cirq_google device, whose ``validate_circuit`` is authoritative,
            or None for synthetic devices.
    """

    name: str
    qubits: tuple[cirq.Qid, ...]
    couplers: frozenset[frozenset[cirq.Qid]]
    gatesets: tuple[str, ...]
    durations_ns: Mapping[str, float]
    duration_notes: tuple[str, ...] = ()
    qubit_errors: Mapping[cirq.Qid, float] = dataclasses.field(default_factory=_empty)
    pair_errors: Mapping[str, Mapping[frozenset[cirq.Qid], float]] = dataclasses.field(
        default_factory=_empty
    )
    readout_errors: Mapping[cirq.Qid, float] = dataclasses.field(default_factory=_empty)
    error_notes: tuple[str, ...] = ()
    cirq_device: cirq.Device | None = None

    def __repr__(self) -> str:
        return (f"Device({self.name!r}: {len(self.qubits)} qubits, {len(self.couplers)} couplers, "
                f"gatesets {', '.join(self.gatesets)})")

    def __post_init__(self) -> None:
        unknown = [g for g in self.gatesets if g not in known_gatesets()]
        if unknown or not self.gatesets:
            raise DeviceError(f"device {self.name!r}: unknown gatesets {unknown or self.gatesets}")

    # ------------------------------------------------------------------------------ graph
    @functools.cached_property
    def graph(self) -> nx.Graph:
        """The coupling graph (do not mutate it)."""
        graph = nx.Graph()
        graph.add_nodes_from(self.qubits)
        graph.add_edges_from(tuple(pair) for pair in self.couplers)
        return nx.freeze(graph)

    @functools.cached_property
    def distances(self) -> Mapping[cirq.Qid, Mapping[cirq.Qid, int]]:
        """All-pairs shortest-path lengths on the coupling graph."""
        return MappingProxyType(dict(nx.all_pairs_shortest_path_length(self.graph)))

    def are_coupled(self, a: cirq.Qid, b: cirq.Qid) -> bool:
        """Whether a two-qubit gate may act on ``a`` and ``b``."""
        return frozenset((a, b)) in self.couplers

    @property
    def default_gateset(self) -> str:
        """The gateset used when none is requested."""
        return self.gatesets[0]

    def check_gateset(self, gateset: str | None) -> str:
        """The gateset to use: ``gateset``, or the default when None.

        Raises:
            DeviceError: if the device does not support the gateset.
        """
        if gateset is None:
            return self.default_gateset
        if gateset not in self.gatesets:
            raise DeviceError(
                f"device {self.name!r} does not support gateset {gateset!r}; "
                f"its gatesets: {', '.join(self.gatesets)}"
            )
        return gateset

    # ------------------------------------------------------------------------------ errors
    def two_qubit_error(self, gateset: str, a: cirq.Qid, b: cirq.Qid) -> float | None:
        """Calibrated error of the gateset's two-qubit gate on ``(a, b)``, if known."""
        return self.pair_errors.get(gateset, {}).get(frozenset((a, b)))

    def has_calibration(self, gateset: str) -> bool:
        """Whether error rates are known for this gateset's gates."""
        return bool(self.qubit_errors) and bool(self.pair_errors.get(gateset))
