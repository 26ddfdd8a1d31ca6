"""Target gatesets: one object per native gateset, holding everything the compiler, the reports,
the devices and the exporter need to know about it.

In the spirit of Cirq's ``CompilationTargetGateset`` and Qiskit's ``Target``: a
:class:`TargetGateset` names its native two-qubit gates, how Cirq compiles to them, what the
stored controlled-SWAP decompositions cost in them, the name of its gate in durations, error
tables and reports, its gate's OpenQASM 3 name and a duration for synthetic devices. A native
circuit consists of symbolic or fixed ``PhasedXZGate`` s, virtual ``ZPowGate`` s, the gateset's
two-qubit gates and measurements. Adding a gateset is one :func:`register_gateset` call (the
tests add a toy CNOT gateset that way).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType

import cirq
import cirq_google

from qru_compile.errors import DeviceError

#: Native gates a stored two-qubit gate costs when the gateset names no cost for its kind.
FOREIGN_GATE_COST = 2


@dataclasses.dataclass(frozen=True, eq=False)
class TargetGateset:
    """A native gateset.

    Attributes:
        name: its name (``--gateset``, device gatesets, duration and error keys, reports).
        two_qubit_gates: its native two-qubit gates; the first is the one a device times.
        cirq_target: builds Cirq's compilation target for it (``optimize_for_target_gateset``).
        stored_gate_costs: native two-qubit gates one two-qubit gate of each kind in the
            controlled-SWAP table costs (``"cz"``, ``"sqrt_iswap"``, ``"syc"``); kinds not
            listed cost :data:`FOREIGN_GATE_COST`.
        qasm_names: the OpenQASM 3 name of each two-qubit gate (a ``stdgates.inc`` gate, or one
            whose definition :mod:`qru_compile.export.qasm3.gates` writes).
        synthetic_duration_ns: the two-qubit gate's duration on synthetic devices.
        google_target: the class name of the cirq_google compilation target that announces this
            gateset in a device's metadata, or None.
        noise_gate: the gate type cirq_google's noise properties key its errors by, or None.
    """

    name: str
    two_qubit_gates: tuple[cirq.Gate, ...]
    cirq_target: Callable[[], cirq.CompilationTargetGateset]
    stored_gate_costs: Mapping[str, int]
    qasm_names: Mapping[cirq.Gate, str]
    synthetic_duration_ns: float
    google_target: str | None = None
    noise_gate: type[cirq.Gate] | None = None

    def __repr__(self) -> str:
        return f"TargetGateset({self.name!r})"

    @functools.cached_property
    def native(self) -> cirq.Gateset:
        """The operations a circuit compiled for this gateset may contain."""
        return cirq.Gateset(cirq.PhasedXZGate, cirq.ZPowGate, cirq.MeasurementGate,
                            *self.two_qubit_gates, name=f"native[{self.name}]")

    def stored_gate_cost(self, kind: str) -> int:
        """Native two-qubit gates one stored two-qubit gate of ``kind`` costs."""
        return self.stored_gate_costs.get(kind, FOREIGN_GATE_COST)

    def is_native_two_qubit(self, gate: cirq.Gate | None) -> bool:
        """Whether ``gate`` is one of this gateset's two-qubit gates."""
        return any(gate == g for g in self.two_qubit_gates)


_GATESETS: dict[str, TargetGateset] = {}


def register_gateset(gateset: TargetGateset) -> TargetGateset:
    """Make ``gateset`` known by its name (devices, passes, reports and the exporter).

    Raises:
        DeviceError: if another gateset already has its name.
    """
    if gateset.name in _GATESETS and _GATESETS[gateset.name] is not gateset:
        raise DeviceError(f"a gateset named {gateset.name!r} is already registered")
    _GATESETS[gateset.name] = gateset
    return gateset


def unregister_gateset(name: str) -> None:
    """Forget the gateset called ``name`` (devices built while it was known keep listing it).

    Raises:
        DeviceError: for an unknown name, or one of the three built-in gatesets.
    """
    if name in ("cz", "sqrt_iswap", "sycamore"):
        raise DeviceError(f"gateset {name!r} is built in and cannot be unregistered")
    get_gateset(name)
    del _GATESETS[name]


def get_gateset(name: str) -> TargetGateset:
    """The gateset called ``name``.

    Raises:
        DeviceError: for an unknown name (the message lists the known ones).
    """
    if name not in _GATESETS:
        raise DeviceError(f"unknown gateset {name!r}; known gatesets: {', '.join(_GATESETS)}")
    return _GATESETS[name]


def known_gatesets() -> tuple[str, ...]:
    """Names of every registered gateset, in registration order."""
    return tuple(_GATESETS)


def registered_gatesets() -> tuple[TargetGateset, ...]:
    """Every registered gateset, in registration order."""
    return tuple(_GATESETS.values())


def gateset_of(gate: cirq.Gate | None) -> TargetGateset | None:
    """The registered gateset whose native two-qubit gates include ``gate``, if any."""
    return next((g for g in _GATESETS.values() if g.is_native_two_qubit(gate)), None)


def native_gateset(name: str) -> cirq.Gateset:
    """The operations a compiled circuit for gateset ``name`` may contain."""
    return get_gateset(name).native


def cirq_target_gateset(name: str) -> cirq.CompilationTargetGateset:
    """Cirq's compilation target for gateset ``name`` (used by ``optimize_for_target_gateset``)."""
    return get_gateset(name).cirq_target()


CZ = register_gateset(TargetGateset(
    "cz", (cirq.CZ,), cirq.CZTargetGateset, MappingProxyType({"cz": 1}),
    MappingProxyType({cirq.CZ: "cz"}), 42.0, "GoogleCZTargetGateset", cirq.CZPowGate))
SQRT_ISWAP = register_gateset(TargetGateset(
    "sqrt_iswap", (cirq.SQRT_ISWAP, cirq.SQRT_ISWAP_INV), cirq.SqrtIswapTargetGateset,
    MappingProxyType({"sqrt_iswap": 1}),
    MappingProxyType({cirq.SQRT_ISWAP: "sqrt_iswap", cirq.SQRT_ISWAP_INV: "sqrt_iswap_inv"}),
    32.0, "SqrtIswapTargetGateset", cirq.ISwapPowGate))
SYCAMORE = register_gateset(TargetGateset(
    "sycamore", (cirq_google.SYC,), cirq_google.SycamoreTargetGateset,
    MappingProxyType({"syc": 1}), MappingProxyType({cirq_google.SYC: "syc"}), 12.0,
    "SycamoreTargetGateset", cirq_google.SycamoreGate))
