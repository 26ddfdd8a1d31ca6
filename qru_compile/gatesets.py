"""Native gatesets of Google devices: which operations each accepts, and Cirq's compilers for them.

A native circuit consists of symbolic or fixed ``PhasedXZGate`` s, virtual ``ZPowGate`` s, the
gateset's two-qubit gate and measurements.
"""

from __future__ import annotations

import functools

import cirq
import cirq_google

from qru_compile.errors import DeviceError

TWO_QUBIT_GATES: dict[str, tuple[cirq.Gate, ...]] = {
    "cz": (cirq.CZ,),
    "sqrt_iswap": (cirq.SQRT_ISWAP, cirq.SQRT_ISWAP_INV),
    "sycamore": (cirq_google.SYC,),
}


def _check(name: str) -> None:
    if name not in TWO_QUBIT_GATES:
        raise DeviceError(f"unknown gateset {name!r}; known gatesets: {', '.join(TWO_QUBIT_GATES)}")


@functools.cache
def native_gateset(name: str) -> cirq.Gateset:
    """The operations a compiled circuit for gateset ``name`` may contain."""
    _check(name)
    return cirq.Gateset(
        cirq.PhasedXZGate, cirq.ZPowGate, cirq.MeasurementGate, *TWO_QUBIT_GATES[name],
        name=f"native[{name}]",
    )


def cirq_target_gateset(name: str) -> cirq.CompilationTargetGateset:
    """Cirq's compilation target for gateset ``name`` (used by ``optimize_for_target_gateset``)."""
    _check(name)
    if name == "cz":
        return cirq.CZTargetGateset()
    if name == "sqrt_iswap":
        return cirq.SqrtIswapTargetGateset()
    return cirq_google.SycamoreTargetGateset()

