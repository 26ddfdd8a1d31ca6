"""A virtual processor's calibration: its noise model and its readout confusion.

cirq_google ships median calibration data of its virtual processors (rainbow, weber,
willow_pink): per-gate Pauli errors, T1/Tphi, coherent two-qubit errors and per-qubit
asymmetric readout flip probabilities. The noisy simulators and the mitigation read them here.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import cirq
import cirq_google
import numpy as np
from cirq_google.engine import virtual_engine_factory

from qru_compile.devices import get_device
from qru_compile.errors import BackendError, DeviceError

if TYPE_CHECKING:
    from qru_compile.program import StepProgram


@functools.lru_cache(maxsize=8)
def noise_properties(device: str) -> cirq_google.GoogleNoiseProperties:
    """The calibration of a virtual processor.

    Raises:
        DeviceError: for devices without calibration data in cirq_google.
    """
    name = get_device(device).name
    if name not in virtual_engine_factory.list_virtual_processors():
        raise DeviceError(f"device {name!r} has no calibration noise model; devices with one: "
                          f"{', '.join(virtual_engine_factory.list_virtual_processors())}")
    return virtual_engine_factory.load_device_noise_properties(name)


def noise_model(device: str) -> cirq.NoiseModel:
    """cirq_google's calibration noise model of a virtual processor (gate, idle and coherent
    two-qubit errors; readout error acts on measured bits and is applied separately).

    Raises:
        DeviceError: for devices without noise properties in cirq_google.
    """
    return cirq_google.NoiseModelFromGoogleNoiseProperties(noise_properties(device))


def readout_affine(observables: tuple[cirq.PauliString[cirq.Qid], ...],
                   device: str) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric readout error as an affine map of each observable's expectation value.

    With ``e01 = p(read 1 | 0)`` and ``e10 = p(read 0 | 1)`` of the measured qubit (from the
    calibration), the reported ``<P>`` is ``(1 - e01 - e10) <P> + (e10 - e01)``: the 1 -> 0
    flips, two to five times likelier on these devices, bias every value towards ``+1``.

    Returns:
        ``(alpha [O], beta [O])``.

    Raises:
        DeviceError: for devices without calibration data.
        BackendError: for observables other than single-qubit ``Z`` or ``X``.
    """
    errors = noise_properties(device).readout_errors
    alpha, beta = [], []
    for observable in observables:
        if len(observable) != 1:
            raise BackendError(f"readout error of the parity {observable}: only single-qubit "
                               "observables are supported")
        (qubit,) = observable.qubits
        e01, e10 = errors.get(qubit, (0.0, 0.0))
        alpha.append(1.0 - e01 - e10)
        beta.append(e10 - e01)
    return np.array(alpha), np.array(beta)


def program_readout(program: StepProgram, device: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`readout_affine` of ``program``'s observables, computed once per program."""
    return program.translation(f"readout:{device}",
                               lambda: readout_affine(program.observables, device))
