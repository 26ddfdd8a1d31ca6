"""The exact noisy channel of a compiled step: density matrices under the device's calibration.

Cirq's density-matrix simulator (double precision) runs the step circuit with cirq_google's
calibration noise model of the step's device (:mod:`qru_compile.devices.calibration`), and each
qubit's asymmetric readout confusion maps the observables' values. No trajectories and no shots:
the values are the exact expectations a device with that calibration would converge to.

The noise depends on gate types, qubits and moment durations, not on the angles (the symbolic
circuit is made noisy once, then resolved), so the parameter-shift rule stays exact on the noisy
channel: ``(f(t + pi/2) - f(t - pi/2)) / 2`` of the noisy values is their derivative. Training
on this backend therefore follows the exact gradient of the noisy loss (the tests check it
against finite differences). Its cost grows as ``4**n``: use it up to about 8 qubits; the
trajectory simulation (:class:`qru_compile.train.noisy.DeviceSimulation`) is the fast estimate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import cirq
import numpy as np

from qru_compile.devices.calibration import noise_model, program_readout
from qru_compile.errors import BackendError
from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend, resolvers
from qru_compile.sim.trajectories import noisy_operations

#: Beyond this many qubits a density matrix of the step (``4**n`` entries per row) is refused.
MAX_DENSITY_QUBITS = 10


@dataclasses.dataclass(frozen=True)
class DensityMatrixBackend(Backend):
    """Exact noisy expectation values of a compiled step (see the module docstring).

    Attributes:
        device: whose calibration; None: the device the step was compiled for.
        readout: apply the readout confusion (the values a measurement reports).
    """

    name: ClassVar[str] = "density"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations", "jacobian"})
    device: str | None = None
    readout: bool = True

    def _device(self, program: StepProgram) -> str:
        device = self.device or program.device
        if device is None:
            raise BackendError("the density backend simulates a device's noise: give it a step "
                               "compiled for a device (--device) or a device")
        if len(program.qubits) > MAX_DENSITY_QUBITS:
            raise BackendError(f"the density backend holds 4**n numbers per row; the step has "
                               f"{len(program.qubits)} qubits (at most {MAX_DENSITY_QUBITS})")
        return device

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        device = self._device(program)
        channel = program.translation(f"density:{device}",
                                      lambda: _NoisyChannel.of(program, device))
        if not self.readout:
            matrices = program.translation("density-observables", lambda: _matrices(
                program, program.observables))
            return channel.expectations(program, slot_values, matrices)
        readout = program_readout(program, device)
        matrices = program.translation(f"density-readout-observables:{device}",
                                       lambda: _matrices(program, readout.extended))
        return readout.apply(channel.expectations(program, slot_values, matrices))


def _matrices(program: StepProgram, observables: Sequence[cirq.PauliString[cirq.Qid]]
              ) -> np.ndarray:
    """The observables as matrices on the program's qubits, ``[O, 2**n, 2**n]``."""
    return np.array([observable.matrix(program.qubits) for observable in observables])


@dataclasses.dataclass(frozen=True)
class _NoisyChannel:
    """The noisy step as operations on qubit positions: fixed Kraus operators, or a symbolic
    unitary resolved per row.

    Cirq's density-matrix simulator takes about half a second per row for a 5-qubit noisy step
    (it resolves and walks ~500 operations in Python for every parameter set); here every row
    goes through each operation at once, as one batched contraction.
    """

    num_qubits: int
    operations: tuple[tuple[tuple[int, ...], cirq.Operation | None, np.ndarray | None], ...]

    @classmethod
    def of(cls, program: StepProgram, device: str) -> _NoisyChannel:
        position = {q: i for i, q in enumerate(program.qubits)}
        operations: list[tuple[tuple[int, ...], cirq.Operation | None, np.ndarray | None]] = []
        for op in noisy_operations(program.circuit, program.qubits, noise_model(device)):
            targets = tuple(position[q] for q in op.qubits)
            if cirq.is_parameterized(op):
                operations.append((targets, op, None))
            else:
                operations.append((targets, None, _superoperator(cirq.kraus(op), len(targets))))
        return cls(len(program.qubits), tuple(operations))

    def expectations(self, program: StepProgram, slot_values: np.ndarray,
                     observables: np.ndarray) -> np.ndarray:
        """``[N, O]`` values of the observables (``[O, 2**n, 2**n]`` matrices) per row."""
        n, rows = self.num_qubits, len(slot_values)
        rho = np.zeros((rows, 2**n, 2**n), complex)
        rho[:, 0, 0] = 1.0
        rho = rho.reshape((rows,) + (2,) * (2 * n))
        resolved = resolvers(program, slot_values)
        for targets, symbolic, superoperator in self.operations:
            axes = [1 + q for q in targets] + [1 + n + q for q in targets]
            if superoperator is not None:
                m = len(targets)
                out = np.tensordot(superoperator, rho, axes=(range(2 * m, 4 * m), axes))
                rho = np.moveaxis(out, range(2 * m), axes)
            else:
                unitaries = np.array([cirq.unitary(cirq.resolve_parameters(symbolic, r))
                                      for r in resolved])
                rho = _conjugate(rho, targets, n, unitaries)
        flat = rho.reshape(rows, 2**n, 2**n)
        return np.einsum("oij,nji->no", observables, flat).real


def _superoperator(kraus: Sequence[np.ndarray], m: int) -> np.ndarray:
    """``sum_k K (.) K^dag`` as a tensor ``[out rows, out columns, in rows, in columns]``
    of ``2``-dimensional axes, ``m`` qubits each."""
    operators = np.asarray(kraus, complex).reshape((-1,) + (2,) * (2 * m))
    out, inner = "ABCDEFGH"[: m], "abcdefgh"[: m]
    out_c, inner_c = "IJKLMNOP"[: m], "ijklmnop"[: m]
    return np.einsum(f"z{out}{inner},z{out_c}{inner_c}->{out}{out_c}{inner}{inner_c}",
                     operators, operators.conj())


def _conjugate(rho: np.ndarray, targets: tuple[int, ...], n: int,
               unitaries: np.ndarray) -> np.ndarray:
    """``U_r rho_r U_r^dag`` on ``targets`` of every row ``r`` of ``rho [N, 2, ..., 2]``."""
    m = len(targets)
    u = unitaries.reshape((len(unitaries),) + (2,) * (2 * m))
    letters = [chr(ord("a") + i) for i in range(2 * n)]
    state = "Z" + "".join(letters)
    new = list(letters)
    for i, q in enumerate(targets):
        new[q], new[n + q] = "ABCDEFGH"[i], "IJKLMNOP"[i]
    rows = "".join(new[q] for q in targets) + "".join(letters[q] for q in targets)
    cols = "".join(new[n + q] for q in targets) + "".join(letters[n + q] for q in targets)
    return np.einsum(f"Z{rows},{state},Z{cols}->Z{''.join(new)}", u, rho, u.conj(),
                     optimize=True)
