"""Evaluate trained parameters on a device's compiled circuit with its calibration noise.

Noise comes from cirq_google's noise properties of the virtual processors (rainbow, weber,
willow_pink: depolarising gate errors, T1/Tphi damping, coherent two-qubit errors), applied by
trajectories in the batched engine (or qsim's, the reference); each expectation value is the
mean over ``trajectories`` runs (:class:`DeviceSimulation`). Readout error is applied
analytically from each qubit's calibrated, asymmetric flip probabilities
(:class:`~qru_compile.devices.calibration.ReadoutMap`). :class:`DeviceEstimator` adds what a
hardware estimator does: ``shots`` per basis (Z and X) and step, each value the mean of that
many simulated single-shot outcomes, and optional mitigation (readout inversion, zero-noise
extrapolation: :mod:`qru_compile.train.mitigation`). Hidden values are fed forward from the
estimates, as on hardware.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import cirq
import numpy as np

from qru_compile import validation
from qru_compile.compiler import CompileResult
from qru_compile.compiler import compile as compile_model
from qru_compile.devices.calibration import noise_model, program_readout
from qru_compile.errors import BackendError
from qru_compile.model import QRUModel
from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend
from qru_compile.sim.qsim_kernel import QsimKernel
from qru_compile.sim.rollout import rollout
from qru_compile.sim.trajectories import NoisyProgram
from qru_compile.train.data import Dataset
from qru_compile.train.loop import evaluate
from qru_compile.train.mitigation import (
    NO_MITIGATION,
    Mitigation,
    check_scales,
    fold_global,
    fold_slot_values,
    richardson,
)
from qru_compile.train.readout import metrics
from qru_compile.train.readout_inversion import ReadoutInversion


@dataclasses.dataclass(frozen=True, eq=False)
class DeviceSimulation(Backend):
    """What the device reports of a compiled step's exact expectation values: trajectories
    under the calibration noise model (gate errors, T1/Tphi damping, coherent two-qubit
    errors), each value the mean over ``trajectories`` runs, then readout error
    (:class:`~qru_compile.devices.calibration.ReadoutMap`). No shot noise.

    Attributes:
        device: a virtual processor with calibration data (rainbow, weber, willow_pink).
        trajectories: trajectories per value.
        seed: the trajectories' seed.
        simulator: ``"engine"`` (default: Monte-Carlo trajectories as rows of the batched
            engine, :mod:`qru_compile.sim.trajectories`; one WDBC fold in about 22 s, 126x
            less than qsim) or ``"qsim"`` (qsim's trajectory simulator, the reference; the
            tests check both agree within their statistical error).
        fold: noise scale factor by global folding (odd; 1: the step as compiled), for
            zero-noise extrapolation (:mod:`qru_compile.train.mitigation`).
    """

    name: ClassVar[str] = "device-noise"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations"})
    device: str
    trajectories: int = 64
    seed: int = 0
    simulator: str = "engine"
    fold: int = 1
    _rng: np.random.Generator = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.simulator not in ("engine", "qsim"):
            raise BackendError(f"simulator: expected 'engine' or 'qsim', got {self.simulator!r}")
        if self.fold != 1:
            check_scales((1, self.fold))
        object.__setattr__(self, "_rng", np.random.default_rng(self.seed))

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        return self.trajectory_values(program, slot_values).mean(axis=1)

    def trajectory_values(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        """Each trajectory's values as read out, ``[N, trajectories, O]`` (qsim's simulator
        gives only their mean, ``[N, 1, O]``)."""
        readout = program_readout(program, self.device)
        return readout.apply(self.exact_values(program, slot_values))

    def exact_values(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        """Each trajectory's exact values of the observables and the sub-parities their
        readout needs (:attr:`ReadoutMap.extended`), before readout error,
        ``[N, trajectories, E]``."""
        return self._noisy(program, slot_values, program_readout(program, self.device).extended)

    def _noisy(self, program: StepProgram, slot_values: np.ndarray,
               observables: tuple[cirq.PauliString[cirq.Qid], ...]) -> np.ndarray:
        circuit, names = program.translation(
            f"folded:{self.fold}", lambda: fold_global(program.circuit, self.fold,
                                                       program.slot_names))
        slot_values = fold_slot_values(slot_values, self.fold)
        if self.simulator == "qsim":
            kernel = program.translation(
                f"qsim-noisy:{self.device}:{self.fold}:{self.trajectories}:{self.seed}",
                lambda: QsimKernel(circuit, program.qubits, names, observables,
                                   noise=noise_model(self.device),
                                   repetitions=self.trajectories, seed=self.seed))
            return kernel.expectations(slot_values)[:, None]
        noisy = program.translation(
            f"engine-noisy:{self.device}:{self.fold}",
            lambda: NoisyProgram.from_circuit(circuit, program.qubits, names,
                                              observables, noise_model(self.device)))
        return noisy.trajectory_values(slot_values, self.trajectories, self._rng)


@dataclasses.dataclass(frozen=True, eq=False)
class DeviceEstimator(Backend):
    """What a hardware estimator returns for each step: the device's values
    (:class:`DeviceSimulation`) with ``shots`` per basis, mitigated as ``mitigation`` says.

    Per noise scale factor (only 1 without zero-noise extrapolation): the device's values,
    then the mean of ``shots`` simulated single-shot outcomes, then the readout confusion
    inverted; the scales' estimates are then extrapolated to zero noise. Each scale factor
    spends the full shot budget.

    The shots are spread over the trajectories, each trajectory's outcomes drawn from its own
    state: with as many trajectories as shots, every shot is its own trajectory, as on
    hardware, and the estimate has exactly the device's single-shot statistics; fewer
    trajectories add the spread of their values, ``var_traj (1/T - 1/shots)``. Measured on the
    WDBC step of willow_pink, 1,000 shots: 64 trajectories give 1.05x the device's variance
    (1,000 give 0.97x, within the measurement's error), at a sixteenth of the cost.

    Attributes:
        device: a virtual processor with calibration data.
        trajectories: trajectories per value (default 64; at most one per shot).
        shots: shots per basis and circuit, or None for exact (noisy) expectation values.
        mitigation: what is corrected (:class:`~qru_compile.train.mitigation.Mitigation`).
        seed: seed of the trajectories and the shot sampling.
    """

    name: ClassVar[str] = "device-estimator"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations"})
    device: str
    trajectories: int | None = None
    shots: int | None = None
    mitigation: Mitigation = NO_MITIGATION
    seed: int = 0
    _simulations: dict[int, DeviceSimulation] = dataclasses.field(init=False, repr=False)
    _rng: np.random.Generator = dataclasses.field(init=False, repr=False)

    @property
    def trajectories_per_value(self) -> int:
        """The trajectories each value is estimated from (at most one per shot)."""
        trajectories = self.trajectories or 64
        return trajectories if self.shots is None else min(trajectories, self.shots)

    def __post_init__(self) -> None:
        scales = self.mitigation.zne_scales or (1,)
        simulations = {scale: DeviceSimulation(self.device, self.trajectories_per_value,
                                               self.seed + 7919 * k, fold=scale)
                       for k, scale in enumerate(scales)}
        object.__setattr__(self, "_simulations", simulations)
        object.__setattr__(self, "_rng", np.random.default_rng(self.seed))

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        readout = program_readout(program, self.device)
        inversion = program.translation(
            f"readout-inversion:{self.device}",
            lambda: ReadoutInversion.build(readout, self.device)) if self.mitigation.readout \
            else None
        estimates = []
        for simulation in self._simulations.values():
            exact = simulation.exact_values(program, slot_values)
            reported = readout.apply(exact)
            if self.shots is None:
                values = np.clip(reported.mean(axis=1), -1.0, 1.0)
            else:
                values = self._shot_means(reported)
            if inversion is not None:
                split = None if self.shots is None else spread_shots(self.shots, exact.shape[1])
                values = inversion.mitigate(values, exact, split, self._rng)
            estimates.append(values)
        if self.mitigation.zne_scales is None:
            return estimates[0]
        return np.clip(richardson(self.mitigation.zne_scales, np.stack(estimates)), -1.0, 1.0)

    def _shot_means(self, per_trajectory: np.ndarray) -> np.ndarray:
        """The mean of ``shots`` +-1 outcomes spread evenly over the trajectories ``[N, T, O]``."""
        assert self.shots is not None  # called with shots only
        shots = spread_shots(self.shots, per_trajectory.shape[1])
        minus = (1 - np.clip(per_trajectory, -1.0, 1.0)) / 2
        ones = self._rng.binomial(shots[None, :, None], minus).sum(axis=1)
        return 1 - 2 * ones / self.shots


def spread_shots(shots: int, trajectories: int) -> np.ndarray:
    """``shots`` spread as evenly as they go over ``trajectories``, ``[trajectories]``."""
    split = np.full(trajectories, shots // trajectories)
    split[: shots % trajectories] += 1
    return split


def noisy_outputs(model: QRUModel, params: np.ndarray, inputs: np.ndarray, result: CompileResult,
                  *, trajectories: int | None = None, shots: int | None = None, seed: int = 0,
                  mitigation: Mitigation = NO_MITIGATION) -> np.ndarray:
    """Per-step outputs ``[T, batch, 2*nd]`` of the compiled circuit as the device's estimator
    reports them (:class:`DeviceEstimator`); hidden values go forward as reported, as on
    hardware."""
    estimator = DeviceEstimator(result.device.name, trajectories, shots, mitigation, seed)
    return _estimated_outputs(model, params, inputs, result, estimator)


def _estimated_outputs(model: QRUModel, params: np.ndarray, inputs: np.ndarray,
                       result: CompileResult, estimator: DeviceEstimator) -> np.ndarray:
    hidden = np.zeros((len(inputs), model.hidden_size))
    return rollout(result.program, estimator, validation.circuit_parameters(model, params),
                   inputs, hidden).outs


def compare_ideal_and_noisy(model: QRUModel, params: np.ndarray, data: Dataset,
                            device: str | CompileResult, *, trajectories: int | None = None,
                            shots: int | None = None, seed: int = 0,
                            mitigation: Mitigation = NO_MITIGATION) -> dict[str, Any]:
    """Ideal and noisy loss and accuracy (or MSE) of ``params`` on ``data``.

    Args:
        model: the model trained.
        params: its full parameter vector.
        data: the test sequences.
        device: a device name (compiled with the default pipeline) or a compile result of
            ``model``.
        trajectories: trajectories per expectation value (default 64, at most one per shot;
            as many as ``shots`` give the device's exact single-shot statistics).
        shots: finite shots per basis and step, or None for exact noisy expectations.
        seed: seed of the trajectories and the shot sampling.
        mitigation: what the estimator corrects (readout confusion, zero-noise extrapolation).
    """
    result = compile_model(model, device) if isinstance(device, str) else device
    estimator = DeviceEstimator(result.device.name, trajectories, shots, mitigation, seed)
    outs = _estimated_outputs(model, params, data.inputs, result, estimator)
    circuits = data.inputs.shape[1] * 2 * mitigation.circuits_per_step  # Z and X bases
    return {"device": result.device.name, "samples": len(data),
            "trajectories": estimator.trajectories_per_value, "shots": shots,
            "mitigation": mitigation.name,
            "shots_per_sample": None if shots is None else circuits * shots,
            "ideal": evaluate(model, params, data),
            "noisy": metrics(model, params, outs, data.targets),
            "two_qubit_gates_per_step": result.report.final.two_qubit,
            "estimated_step_fidelity": result.report.final.fidelity}
