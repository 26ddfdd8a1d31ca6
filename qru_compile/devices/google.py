"""Google devices from cirq_google's offline specifications and median calibrations.

Corrections to cirq_google 1.7's metadata (see DESIGN.md decision 7), each recorded in the
device's ``duration_notes``:

* Sycamore, rainbow and weber report a 4 ms measurement; the value meant is 4 us
  (``known_devices.py`` says "4,000,000 ps = 4 us"; the rainbow/weber noise properties use
  4000 ns). We use 4000 ns.
* rainbow and weber report a 0 ns CZ (missing from their templates); we use the CZ time of
  their noise properties' ``gate_times_ns`` (32 ns).

The 2021 rainbow and weber calibrations have no CZ benchmarks, only sqrt-iSWAP and Sycamore
XEB; for the CZ gateset their sqrt-iSWAP errors stand in, and the device says so.
"""

from __future__ import annotations

from types import MappingProxyType

import cirq
import cirq_google
from cirq_google.engine import virtual_engine_factory

from qru_compile.devices.device import Device
from qru_compile.gatesets import registered_gatesets

VIRTUAL_PROCESSORS = ("rainbow", "weber", "willow_pink")
STATIC_DEVICES = ("Sycamore", "Sycamore23")

_ONE_QUBIT_PROBE = cirq.PhasedXZGate(x_exponent=0.5, z_exponent=0, axis_phase_exponent=0)
_MEASUREMENT_NS = 4000.0


def _metadata_duration(device: cirq_google.GridDevice, gate: cirq.Gate) -> float | None:
    durations = device.metadata.gate_durations or {}
    for family, duration in durations.items():
        if gate in family:
            return float(duration.total_nanos())
    return None


def google_device(name: str) -> Device:
    """A Device for one of ``Sycamore``, ``Sycamore23``, ``rainbow``, ``weber``, ``willow_pink``."""
    if name in STATIC_DEVICES:
        grid = getattr(cirq_google, name)
        noise = None
    else:
        grid = virtual_engine_factory.create_device_from_processor_id(name)
        noise = virtual_engine_factory.load_device_noise_properties(name)
    metadata = grid.metadata
    targets = {type(g).__name__ for g in metadata.compilation_target_gatesets}
    native = [g for g in registered_gatesets() if g.google_target in targets]
    gatesets = tuple(g.name for g in native)

    notes: list[str] = []
    durations: dict[str, float] = {"z": 0.0}
    probes: dict[str, cirq.Gate] = {"1q": _ONE_QUBIT_PROBE,
                                    **{g.name: g.two_qubit_gates[0] for g in native},
                                    "measure": cirq.MeasurementGate(1, key="m")}
    noise_gates = {g.noise_gate: g.name for g in native if g.noise_gate is not None}
    for key, gate in probes.items():
        value = _metadata_duration(grid, gate)
        if key == "measure" and value is not None and value > 1e5:
            notes.append(
                f"measurement: metadata says {value / 1e6:g} ms, a unit slip for 4 us; "
                f"using {_MEASUREMENT_NS:g} ns"
            )
            value = _MEASUREMENT_NS
        if key == "cz" and not value and noise is not None:
            value = float(noise.gate_times_ns[cirq.CZPowGate])
            notes.append(f"cz: metadata says 0 ns (missing); using {value:g} ns from the "
                         f"noise properties' gate_times_ns")
        if value is not None:
            durations[key] = value

    qubit_errors: dict[cirq.Qid, float] = {}
    pair_errors: dict[str, dict[frozenset[cirq.Qid], float]] = {}
    readout: dict[cirq.Qid, float] = {}
    error_notes: list[str] = []
    if noise is not None:
        for op_id, error in noise.gate_pauli_errors.items():
            if op_id.gate_type is cirq.PhasedXZGate:
                qubit_errors[op_id.qubits[0]] = float(error)
            elif op_id.gate_type in noise_gates:
                gateset = noise_gates[op_id.gate_type]
                pair_errors.setdefault(gateset, {})[frozenset(op_id.qubits)] = float(error)
        readout = {q: float(sum(e) / 2) for q, e in noise.readout_errors.items()}
        error_notes.append(f"median calibration of {name} (cirq_google noise properties)")
        if "cz" in gatesets and "cz" not in pair_errors and "sqrt_iswap" in pair_errors:
            pair_errors["cz"] = dict(pair_errors["sqrt_iswap"])
            error_notes.append("cz errors: no CZ benchmarks in this calibration; "
                               "sqrt-iSWAP XEB errors stand in")
    else:
        error_notes.append("no calibration data shipped with cirq_google for this device")

    couplers = frozenset(frozenset(edge) for edge in metadata.nx_graph.edges)
    return Device(
        name=name,
        qubits=tuple(sorted(metadata.qubit_set)),
        couplers=couplers,
        gatesets=gatesets,
        durations_ns=MappingProxyType(durations),
        duration_notes=tuple(notes),
        qubit_errors=MappingProxyType(qubit_errors),
        pair_errors=MappingProxyType({k: MappingProxyType(v) for k, v in pair_errors.items()}),
        readout_errors=MappingProxyType(readout),
        error_notes=tuple(error_notes),
        cirq_device=grid,
    )

