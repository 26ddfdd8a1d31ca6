"""Evaluate trained parameters on a device's compiled circuit with its calibration noise.

Noise comes from cirq_google's noise properties of the virtual processors (rainbow, weber,
willow_pink: depolarising gate errors, T1/Tphi damping, coherent two-qubit errors), applied by
trajectories in the batched engine (or qsim's, the reference); each expectation value is the
mean over ``trajectories`` runs.
Readout error is applied analytically from each qubit's calibrated, asymmetric flip
probabilities (:func:`readout_affine`). With ``shots``, every expectation value is replaced by
the mean of that many simulated single-shot outcomes (binomial sampling), one budget per basis
(Z and X). Hidden values are fed forward from the noisy estimates, as on hardware.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import cirq
import cirq_google
import numpy as np
from cirq_google.engine import virtual_engine_factory

from qru_compile import validation
from qru_compile.compiler import CompileResult
from qru_compile.compiler import compile as compile_model
from qru_compile.devices import get_device
from qru_compile.errors import BackendError, DeviceError
from qru_compile.model import QRUModel
from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend
from qru_compile.sim.qsim_kernel import QsimKernel
from qru_compile.sim.trajectories import NoisyProgram
from qru_compile.sim.rollout import rollout
from qru_compile.train.data import Dataset
from qru_compile.train.loop import evaluate
from qru_compile.train.readout import metrics


def noise_model(device: str) -> cirq.NoiseModel:
    """cirq_google's calibration noise model of a virtual processor.

    Raises:
        DeviceError: for devices without noise properties in cirq_google.
    """
    return cirq_google.NoiseModelFromGoogleNoiseProperties(_noise_properties(device))


def _noise_properties(device: str) -> cirq_google.GoogleNoiseProperties:
    name = get_device(device).name
    if name not in virtual_engine_factory.list_virtual_processors():
        raise DeviceError(f"device {name!r} has no calibration noise model; devices with one: "
                          f"{', '.join(virtual_engine_factory.list_virtual_processors())}")
    return virtual_engine_factory.load_device_noise_properties(name)


def readout_affine(program: StepProgram, device: str) -> tuple[np.ndarray, np.ndarray]:
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
    errors = _noise_properties(device).readout_errors
    alpha, beta = [], []
    for observable in program.observables:
        if len(observable) != 1:
            raise BackendError(f"readout error of the parity {observable}: only single-qubit "
                               "observables are supported")
        (qubit,) = observable.qubits
        e01, e10 = errors.get(qubit, (0.0, 0.0))
        alpha.append(1.0 - e01 - e10)
        beta.append(e10 - e01)
    return np.array(alpha), np.array(beta)


@dataclasses.dataclass(frozen=True, eq=False)
class DeviceSimulation(Backend):
    """What the device reports of a compiled step's exact expectation values: trajectories
    under the calibration noise model (gate errors, T1/Tphi damping, coherent two-qubit
    errors), each value the mean over ``trajectories`` runs, then readout error
    (:func:`readout_affine`). No shot noise.

    Attributes:
        device: a virtual processor with calibration data (rainbow, weber, willow_pink).
        trajectories: trajectories per value.
        seed: the trajectories' seed.
        simulator: ``"engine"`` (default: Monte-Carlo trajectories as rows of the batched
            engine, :mod:`qru_compile.sim.trajectories`; one WDBC fold in about 22 s, 126x
            less than qsim) or ``"qsim"`` (qsim's trajectory simulator, the reference; the
            tests check both agree within their statistical error).
    """

    name: ClassVar[str] = "device-noise"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations"})
    device: str
    trajectories: int = 64
    seed: int = 0
    simulator: str = "engine"

    def __post_init__(self) -> None:
        if self.simulator not in ("engine", "qsim"):
            raise BackendError(f"simulator: expected 'engine' or 'qsim', got {self.simulator!r}")
        object.__setattr__(self, "_rng", np.random.default_rng(self.seed))

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        alpha, beta = program.translation(f"readout:{self.device}",
                                          lambda: readout_affine(program, self.device))
        return alpha * self._noisy(program, slot_values) + beta

    def _noisy(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        if self.simulator == "qsim":
            kernel = program.translation(
                f"qsim-noisy:{self.device}:{self.trajectories}:{self.seed}",
                lambda: QsimKernel(program.circuit, program.qubits, program.slot_names,
                                   program.observables, noise=noise_model(self.device),
                                   repetitions=self.trajectories, seed=self.seed))
            return kernel.expectations(slot_values)
        noisy = program.translation(
            f"engine-noisy:{self.device}",
            lambda: NoisyProgram.from_circuit(program.circuit, program.qubits,
                                              program.slot_names, program.observables,
                                              noise_model(self.device)))
        return noisy.expectations(slot_values, self.trajectories, self._rng)[0]


def noisy_outputs(model: QRUModel, params: np.ndarray, inputs: np.ndarray, result: CompileResult,
                  *, trajectories: int = 64, shots: int | None = None, seed: int = 0
                  ) -> np.ndarray:
    """Per-step outputs ``[T, batch, 2*nd]`` of the compiled circuit as the device reports
    them (:class:`DeviceSimulation`), with ``shots`` per basis and step when given; hidden
    values go forward as reported, as on hardware."""
    rng = np.random.default_rng(seed)

    def observe(values: np.ndarray) -> tuple[np.ndarray, None]:
        values = np.clip(values, -1.0, 1.0)
        if shots is None:
            return values, None
        ones = rng.binomial(shots, (1 - values) / 2)
        return 1 - 2 * ones / shots, None

    hidden = np.zeros((len(inputs), model.hidden_size))
    device = DeviceSimulation(result.device.name, trajectories, seed)
    return rollout(result.program, device, validation.circuit_parameters(model, params), inputs,
                   hidden, observe=observe).outs


def compare_ideal_and_noisy(model: QRUModel, params: np.ndarray, data: Dataset,
                            device: str | CompileResult, *, trajectories: int = 64,
                            shots: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Ideal and noisy loss and accuracy (or MSE) of ``params`` on ``data``.

    Args:
        model: the model trained.
        params: its full parameter vector.
        data: the test sequences.
        device: a device name (compiled with the default pipeline) or a compile result of
            ``model``.
        trajectories: qsim trajectories per expectation value.
        shots: finite shots per basis and step, or None for exact noisy expectations.
        seed: seed of the trajectories and the shot sampling.
    """
    result = compile_model(model, device) if isinstance(device, str) else device
    outs = noisy_outputs(model, params, data.inputs, result, trajectories=trajectories,
                         shots=shots, seed=seed)
    return {"device": result.device.name, "samples": len(data), "trajectories": trajectories,
            "shots": shots, "ideal": evaluate(model, params, data),
            "noisy": metrics(model, params, outs, data.targets),
            "two_qubit_gates_per_step": result.report.final.two_qubit,
            "estimated_step_fidelity": result.report.final.fidelity}
