"""What running a compiled step on the device costs in device time.

Estimated device time counts, per circuit execution, ``repetitions x (step duration +
measurement + reset)``: the step's critical path (its basis change included), the measurement
and the qubit reset before the next repetition, all from the :class:`~qru_compile.devices.Device`
(whose measurement durations correct the rainbow/weber templates' 4 ms for 4 us). It is pure
device time: the Engine's queueing, compilation, upload and per-repetition control overhead
come on top, so read it as a lower bound.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import cirq

from qru_compile.compiler import CompileResult
from qru_compile.devices import Device
from qru_compile.errors import BackendError
from qru_compile.program import BASES


@dataclasses.dataclass(frozen=True)
class CircuitTiming:
    """Device time of one repetition of one measured circuit.

    Attributes:
        step_ns: the step's critical path, its basis change included (no measurement).
        measure_ns: the measurement.
        reset_ns: the qubit reset before the next repetition.
    """

    step_ns: float
    measure_ns: float
    reset_ns: float

    @property
    def total_ns(self) -> float:
        """``step_ns + measure_ns + reset_ns``."""
        return self.step_ns + self.measure_ns + self.reset_ns

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dictionary (with the total)."""
        return {**dataclasses.asdict(self), "total_ns": self.total_ns}


def reset_duration_ns(device: Device) -> tuple[float, str | None]:
    """The device's qubit reset duration, and a note when it is not known.

    ``durations_ns["reset"]`` if the device model has it, else the ``ResetChannel`` duration of
    the cirq_google device specification (willow_pink: 160 ns), else 0 (rainbow and weber
    specify no reset), with a note saying so.
    """
    if "reset" in device.durations_ns:
        return float(device.durations_ns["reset"]), None
    grid = device.cirq_device
    durations = getattr(getattr(grid, "metadata", None), "gate_durations", None) or {}
    for family, duration in durations.items():
        if cirq.ResetChannel() in family:
            return float(duration.total_nanos()), None
    return 0.0, (f"reset: {device.name} specifies no reset duration; counted as 0 ns "
                 "(the estimate is a lower bound)")


def circuit_timings(result: CompileResult) -> tuple[dict[str, CircuitTiming], tuple[str, ...]]:
    """Per basis, the device time of one repetition of the compiled step, and notes.

    The step duration is the measured executable's critical path minus the measurement (the
    measurements form its last moment), so an X-basis change that does not merge into the
    step's last single-qubit gates is counted.

    Raises:
        BackendError: if the device cannot time the executables.
    """
    device = result.device
    if "measure" not in device.durations_ns:
        raise BackendError(f"device {device.name!r} has no measurement duration")
    measure = float(device.durations_ns["measure"])
    reset, note = reset_duration_ns(device)
    timings = {}
    for basis in BASES:
        total = result.report.executables[basis].duration_ns
        if total is None:
            raise BackendError(f"device {device.name!r} cannot time the {basis} executable")
        timings[basis] = CircuitTiming(float(total) - measure, measure, reset)
    return timings, tuple(device.duration_notes) + ((note,) if note else ())


def estimated_device_seconds(timings: Mapping[str, CircuitTiming], circuits_per_basis: int,
                             repetitions: int) -> float:
    """``circuits_per_basis x repetitions x sum over bases of (step + measure + reset)``."""
    return circuits_per_basis * repetitions * sum(t.total_ns for t in timings.values()) * 1e-9


def training_epoch_cost(timings: Mapping[str, CircuitTiming], *, samples: int, steps: int,
                        slots: int, repetitions: int) -> dict[str, Any]:
    """Cost of one epoch of shot-based parameter-shift training on the device.

    Per training sample and step, each basis runs the unshifted step and each of the ``slots``
    angle slots shifted by ``+pi/2`` and ``-pi/2``: ``2 x (2 S + 1)`` circuits, each with
    ``repetitions`` shots.

    Args:
        timings: per basis, the device time of one repetition (:func:`circuit_timings`).
        samples: training-set size.
        steps: time steps per sequence.
        slots: angle slots of the step (``S``).
        repetitions: shots per circuit.
    """
    per_basis = samples * steps * (2 * slots + 1)
    return {
        "samples": samples, "steps": steps, "slots": slots, "repetitions": repetitions,
        "circuits": per_basis * len(timings),
        "shots": per_basis * len(timings) * repetitions,
        "device_seconds": estimated_device_seconds(timings, per_basis, repetitions),
    }
