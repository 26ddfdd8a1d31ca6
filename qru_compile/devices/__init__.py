"""Target devices: Google processors from cirq_google and synthetic topologies.

``get_device(name)`` accepts ``Sycamore``, ``Sycamore23``, ``rainbow``, ``weber``,
``willow_pink`` (case-insensitive) and the synthetic ``gridRxC`` (e.g. ``grid6x6``), ``lineN``
and ``heavyhexRxC``.
"""

from __future__ import annotations

import functools
import re

from qru_compile.devices.device import Device
from qru_compile.devices.google import STATIC_DEVICES, VIRTUAL_PROCESSORS, google_device
from qru_compile.devices.synthetic import grid_device, heavy_hex_device, line_device
from qru_compile.errors import DeviceError

GOOGLE_DEVICES: tuple[str, ...] = STATIC_DEVICES + VIRTUAL_PROCESSORS
SYNTHETIC_PATTERNS: tuple[str, ...] = ("gridRxC", "lineN", "heavyhexRxC")
_MAX_SYNTHETIC_QUBITS = 1000


def known_devices() -> tuple[str, ...]:
    """Names accepted by :func:`get_device` (synthetic ones as patterns)."""
    return GOOGLE_DEVICES + SYNTHETIC_PATTERNS


def get_device(name: str) -> Device:
    """The device called ``name`` (Google names are case-insensitive; devices are cached).

    Raises:
        DeviceError: for an unknown name; the message lists the known ones.
    """
    if not isinstance(name, str):
        raise DeviceError(f"device name must be a string, got {name!r}")
    by_lower = {d.lower(): d for d in GOOGLE_DEVICES}
    return _build(by_lower.get(name.lower(), name))


@functools.lru_cache(maxsize=32)
def _build(name: str) -> Device:
    if name in GOOGLE_DEVICES:
        return google_device(name)
    if match := re.fullmatch(r"grid(\d+)x(\d+)", name):
        rows, cols = int(match[1]), int(match[2])
        _check_size(name, rows * cols, rows >= 1 and cols >= 1)
        return grid_device(rows, cols)
    if match := re.fullmatch(r"line(\d+)", name):
        _check_size(name, int(match[1]), int(match[1]) >= 2)
        return line_device(int(match[1]))
    if match := re.fullmatch(r"heavyhex(\d+)x(\d+)", name):
        rows, cols = int(match[1]), int(match[2])
        _check_size(name, 5 * rows * cols, rows >= 1 and cols >= 1)
        return heavy_hex_device(rows, cols)
    raise DeviceError(f"unknown device {name!r}; known devices: {', '.join(known_devices())}")


def _check_size(name: str, qubits: int, valid: bool) -> None:
    if not valid or qubits > _MAX_SYNTHETIC_QUBITS:
        raise DeviceError(
            f"device {name!r}: sizes must be positive and give at most "
            f"{_MAX_SYNTHETIC_QUBITS} qubits"
        )


__all__ = [
    "GOOGLE_DEVICES",
    "Device",
    "get_device",
    "grid_device",
    "heavy_hex_device",
    "known_devices",
    "line_device",
]
