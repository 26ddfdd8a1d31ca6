"""A virtual processor's calibration: its noise model and its readout confusion.

cirq_google ships median calibration data of its virtual processors (rainbow, weber,
willow_pink): per-gate Pauli errors, T1/Tphi, coherent two-qubit errors and per-qubit
asymmetric readout flip probabilities. The noisy simulators and the mitigation read them here.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
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


@dataclasses.dataclass(frozen=True, eq=False)
class ReadoutMap:
    """What the device reports of a step's observables after its readout error:
    ``reported = exact @ matrix.T + offset``, ``exact`` the values of ``extended``.

    Each measured bit ``j`` flips independently with the calibration's ``e01 = p(read 1 | 0)``
    and ``e10 = p(read 0 | 1)``, so its reported ``+-1`` value has mean ``a_j s_j + b_j`` with
    ``a_j = 1 - e01 - e10`` and ``b_j = e10 - e01`` (the 1 -> 0 flips, two to five times likelier
    on these devices, bias every value towards ``+1``). A parity of the bits ``K`` then reports
    ``sum over S in K of prod_{j in S} a_j prod_{j in K - S} b_j <P_S>``, ``P_S`` the parity of
    ``S``: ``extended`` holds the observables first, then every sub-parity they need. For
    single-qubit observables ``extended`` is the observables and the map is ``a <P> + b``.

    Attributes:
        extended: the observables, then the sub-parities (coefficients dropped).
        matrix: ``[O, E]``.
        offset: ``[O]``.
    """

    extended: tuple[cirq.PauliString[cirq.Qid], ...]
    matrix: np.ndarray
    offset: np.ndarray

    def apply(self, exact: np.ndarray) -> np.ndarray:
        """Reported values from the exact values of :attr:`extended` (last axis)."""
        return exact @ self.matrix.T + self.offset

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """``(a [O], b [O])`` of single-qubit observables.

        Raises:
            BackendError: if some observable is a parity.
        """
        count = len(self.offset)
        if len(self.extended) != count or np.count_nonzero(self.matrix) != count:
            raise BackendError("parity observables have no affine readout map of their own; "
                               "ReadoutInversion (qru_compile.train.readout_inversion) "
                               "mitigates them")
        return np.diag(self.matrix).copy(), self.offset.copy()


def readout_map(observables: tuple[cirq.PauliString[cirq.Qid], ...], device: str
                ) -> ReadoutMap:
    """The :class:`ReadoutMap` of ``observables`` (single qubits or parities, real +-1
    coefficients) under ``device``'s calibrated readout flips.

    Raises:
        DeviceError: for devices without calibration data.
        BackendError: for an observable whose coefficient is not +-1.
    """
    errors = noise_properties(device).readout_errors
    extended: list[cirq.PauliString[cirq.Qid]] = []
    index: dict[cirq.PauliString[cirq.Qid], int] = {}

    def column(parity: cirq.PauliString[cirq.Qid]) -> int:
        if parity not in index:
            index[parity] = len(extended)
            extended.append(parity)
        return index[parity]

    unsigned = []
    for observable in observables:
        coefficient = complex(observable.coefficient)
        if coefficient not in (1, -1):
            raise BackendError(f"readout error of {observable}: expected a coefficient of +-1")
        unsigned.append((coefficient.real, observable * coefficient.real))
        column(unsigned[-1][1])
    entries: list[dict[int, float]] = []
    offset = []
    for sign, observable in unsigned:
        qubits = sorted(observable.qubits)
        flips = {q: errors.get(q, (0.0, 0.0)) for q in qubits}  # (e01, e10)
        a = {q: 1.0 - e01 - e10 for q, (e01, e10) in flips.items()}
        b = {q: e10 - e01 for q, (e01, e10) in flips.items()}
        row: dict[int, float] = {}
        constant = 0.0
        for size in range(len(qubits) + 1):
            for subset in itertools.combinations(qubits, size):
                weight = math.prod(a[q] if q in subset else b[q] for q in qubits)
                if not subset:
                    constant += sign * weight
                    continue
                parity: cirq.PauliString[cirq.Qid] = cirq.PauliString(
                    {q: observable[q] for q in subset})
                key = column(parity)
                row[key] = row.get(key, 0.0) + sign * weight
        entries.append(row)
        offset.append(constant)
    matrix = np.zeros((len(observables), len(extended)))
    for o, row in enumerate(entries):
        for e, weight in row.items():
            matrix[o, e] = weight
    return ReadoutMap(tuple(extended), matrix, np.array(offset))


def program_readout(program: StepProgram, device: str) -> ReadoutMap:
    """:func:`readout_map` of ``program``'s observables, computed once per program."""
    return program.translation(f"readout:{device}",
                               lambda: readout_map(program.observables, device))
