"""Noise-injection training: the observation model, its fit, its gradient, readout error."""

import dataclasses
from typing import ClassVar

import numpy as np
import pytest
from cirq_google.engine import virtual_engine_factory

import qru_compile as qc
from qru_compile.devices.calibration import readout_map
from qru_compile.sim.backends import Backend, StatevectorBackend
from qru_compile.sim.rollout import rollout
from qru_compile.targets import step_program
from qru_compile.train.data import Dataset
from qru_compile.train.loop import TrainConfig, fit
from qru_compile.train.noise_injection import ObservationModel, fit_observation_model

MODEL = qc.QRUModel.preset("wdbc")


def _observation(observables: int, seed: int = 0) -> ObservationModel:
    rng = np.random.default_rng(seed)
    return ObservationModel(rng.uniform(0.6, 0.9, observables), rng.uniform(-0.03, 0.03,
                                                                            observables),
                            np.full(observables, 0.05), np.ones(observables))


@pytest.mark.parametrize("method", ["parameter-shift", "adjoint"])
def test_noise_injected_gradient_matches_finite_differences(method, rng):
    """The same noise draws at every evaluation make the loss a function of the parameters:
    its gradient must chain through the observation exactly."""
    params = MODEL.initial_parameters(seed=3)
    params[-1] = 2.0
    x, y = rng.uniform(0, 1, (3, 5, 1)), np.array([0, 1, 1])
    observation = _observation(10)

    def loss_and_grad(p):
        return qc.loss_and_gradient(MODEL, p, x, y, method=method,
                                    observe=observation.sampler(np.random.default_rng(9)))

    loss, grad = loss_and_grad(params)
    fd = np.zeros_like(params)
    for i in range(len(params)):
        step = np.zeros_like(params)
        step[i] = 1e-6
        fd[i] = (loss_and_grad(params + step)[0] - loss_and_grad(params - step)[0]) / 2e-6
    assert np.linalg.norm(grad - fd) / np.linalg.norm(fd) < 1e-6
    exact_loss, _exact = qc.loss_and_gradient(MODEL, params, x, y, method=method)
    assert abs(loss - exact_loss) > 1e-3  # the observation does change the loss


def test_observation_mean_and_draws():
    observation = _observation(4)
    values = np.linspace(-0.9, 0.9, 8).reshape(2, 4)
    mean, slope = observation.mean()(values)
    np.testing.assert_allclose(mean, observation.alpha * values + observation.beta)
    np.testing.assert_allclose(slope, np.broadcast_to(observation.alpha, values.shape))
    draws = np.stack([observation.sampler(np.random.default_rng(s))(values)[0]
                      for s in range(4000)])
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=4 * 0.05 / np.sqrt(4000))
    expected = observation.k * np.sqrt(1 - (observation.alpha * values) ** 2)
    np.testing.assert_allclose(draws.std(axis=0), expected, rtol=0.06)
    assert ObservationModel.from_dict(observation.to_dict()).to_dict() == observation.to_dict()
    with pytest.raises(qc.InputError, match="lists of one length"):
        ObservationModel.from_dict({"alpha": [1], "beta": [0, 1], "k": [0], "r_squared": [1]})


@dataclasses.dataclass(frozen=True, eq=False)
class _AffineDevice(Backend):
    """A stand-in device: a known affine map of the exact values plus Gaussian noise."""

    name: ClassVar[str] = "affine"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations"})
    truth: ObservationModel
    spread: float

    def expectations(self, program, slot_values):
        exact = StatevectorBackend().expectations(program, slot_values)
        noise = np.random.default_rng(1).normal(0, self.spread, exact.shape)
        return self.truth.alpha * exact + self.truth.beta + noise


def test_fit_recovers_a_known_device(rng):
    program = step_program(MODEL)
    truth = _observation(10, seed=4)
    inputs = rng.uniform(0, 1, (40, 30, 1))
    params = MODEL.initial_parameters(seed=1)[:-1]
    fitted = fit_observation_model(program, params, inputs, _AffineDevice(truth, 0.01),
                                   shots=1000, rows=600)
    np.testing.assert_allclose(fitted.alpha, truth.alpha, atol=0.02)
    np.testing.assert_allclose(fitted.beta, truth.beta, atol=0.005)
    # K^2 = residual (0.01^2 over <1 - (alpha v)^2>) + shot noise 1/1000
    np.testing.assert_allclose(fitted.k**2 - 1e-3, 1e-4, rtol=0.25)
    assert np.all(fitted.r_squared > 0.5)


def test_fit_keeps_alpha_within_zero_and_one(rng):
    # a device that reports minus a third of every value, and one that amplifies threefold:
    # outside [0, 1] the fit returns the bounded least-squares optimum (alpha 0 or 1, beta
    # the mean residual)
    program = step_program(MODEL)
    inputs = rng.uniform(0, 1, (40, 30, 1))
    params = MODEL.initial_parameters(seed=1)[:-1]
    observables = len(program.observables)
    for slope, bound in ((-1 / 3, 0.0), (3.0, 1.0)):
        truth = ObservationModel(np.full(observables, slope), np.full(observables, 0.02),
                                 np.zeros(observables), np.ones(observables))
        fitted = fit_observation_model(program, params, inputs, _AffineDevice(truth, 0.0),
                                       shots=None, rows=len(inputs) * 30)  # every row
        np.testing.assert_array_equal(fitted.alpha, bound)
        exact = StatevectorBackend()
        hidden = np.zeros((len(inputs), MODEL.hidden_size))
        slots = rollout(program, exact, params, inputs, hidden).slots.reshape(
            -1, program.angle_map.num_slots)
        values = exact.expectations(program, slots)
        np.testing.assert_allclose(fitted.beta, 0.02 + (slope - bound) * values.mean(axis=0),
                                   atol=1e-12)


def test_readout_error_is_the_calibrated_asymmetric_confusion():
    program = qc.compile(MODEL, "willow_pink").program
    alpha, beta = readout_map(program.observables, "willow_pink").affine()
    errors = virtual_engine_factory.load_device_noise_properties("willow_pink").readout_errors
    for o, observable in enumerate(program.observables):
        (qubit,) = observable.qubits
        e01, e10 = errors[qubit]
        p1 = 0.3  # an exact <P> = 0.4 read through the confusion matrix, outcome by outcome
        read_one = p1 * (1 - e10) + (1 - p1) * e01
        assert alpha[o] * 0.4 + beta[o] == pytest.approx(1 - 2 * read_one, abs=1e-15)
    assert np.all(beta > 0)  # 1 -> 0 flips dominate on willow_pink: <P> biased upwards


def test_noise_training_needs_its_observation_model_and_a_device():
    with pytest.raises(qc.InputError, match="noise needs a device"):
        TrainConfig(noise=True)
    with pytest.raises(qc.InputError, match="shots must be at least 1 and needs noise"):
        TrainConfig(shots=100)
    data = Dataset(np.zeros((2, 3, 1)), np.array([0.0, 1.0]), "toy")
    with pytest.raises(qc.InputError, match="needs its observation model"):
        fit(MODEL, data, None, TrainConfig(device="rainbow", noise=True, epochs=1))


def test_noise_injected_training_runs_and_saves_the_model(rng):
    data = Dataset(rng.uniform(0, 1, (6, 4, 1)), (np.arange(6) % 2).astype(float), "toy")
    observation = _observation(10)
    config = TrainConfig(device="rainbow", noise=True, shots=1000, epochs=2, batch_size=3,
                         gradient="adjoint")
    result = fit(MODEL, data, None, config, observation=observation)
    assert len(result.history) == 2 and np.all(np.isfinite(result.params))
    ideal = fit(MODEL, data, None, dataclasses.replace(config, noise=False, shots=None))
    assert not np.allclose(result.params, ideal.params)


@pytest.mark.parametrize("absorb", [0, 3])
def test_device_simulation_engine_agrees_with_qsim_trajectories(rng, absorb):
    """The fast noisy path (trajectories as engine rows) against qsim's trajectories, both
    through the same readout error, within their combined statistical error; also with 3
    ring CNOTs absorbed (parity outputs, readout by the sub-parity expansion)."""
    from qru_compile.train.noisy import DeviceSimulation

    program = qc.compile(MODEL, "willow_pink", absorb_ring=absorb).program
    slots = rng.uniform(0, 2 * np.pi, (4, program.angle_map.num_slots))
    fast = DeviceSimulation("willow_pink", trajectories=2000, seed=1).expectations(program,
                                                                                  slots)
    reference = DeviceSimulation("willow_pink", trajectories=1000, seed=2,
                                 simulator="qsim").expectations(program, slots)
    exact = StatevectorBackend().expectations(program, slots)
    error = np.sqrt((1 - fast**2) / 2000 + (1 - reference**2) / 1000)
    assert np.max(np.abs(fast - reference) / error) < 4.5
    assert np.max(np.abs(fast - exact)) > 0.05  # the noise is resolved


def test_noise_aware_tasks_train_without_the_output_scale():
    from qru_compile.train.tasks import get_task, noise_aware

    task = get_task("wdbc")
    model = task.model_for(TrainConfig(device="willow_pink", noise=True))
    assert not model.readout.scale and model.I == 2  # two features a step under noise
    assert model.num_circuit_parameters == task.model.num_circuit_parameters + 2
    assert model.num_qubits == task.model.num_qubits
    assert task.model_for(TrainConfig()) is task.model
    assert noise_aware(model) is model
    assert not model.go_backwards
    data, regrouped = task.load(), task.data_for(model)
    assert regrouped.inputs.shape == (569, 15, 2) and task.data_for(task.model) is not regrouped
    np.testing.assert_array_equal(regrouped.inputs[:, 3], data.inputs[:, 6:8, 0])
    np.testing.assert_array_equal(regrouped.targets, data.targets)
    digits = get_task("digits").model_for(TrainConfig(device="willow_pink", noise=True))
    assert digits.go_backwards and not digits.readout.scale
    assert noise_aware(digits, go_backwards=True) is digits
    assert noise_aware(digits) is digits  # a model that reads backwards keeps doing so


def test_refit_phase_continues_from_the_trained_parameters_under_a_refitted_model(rng, tmp_path):
    from qru_compile.train.cross_validation import device_observation, fold_jobs, run_fold
    from qru_compile.train.tasks import noise_aware

    model = noise_aware(MODEL)
    data = Dataset(rng.uniform(0, 1, (15, 4, 1)), (np.arange(15) % 2).astype(float), "toy")
    config = TrainConfig(device="willow_pink", noise=True, shots=1000, epochs=2, batch_size=5,
                         gradient="adjoint")
    (job, *_) = fold_jobs(model, data, config, folds=3, val_fraction=0.0)
    first = run_fold(job)
    refit_config = dataclasses.replace(config, refit_epochs=2)
    (job, *_) = fold_jobs(model, data, refit_config, folds=3, val_fraction=0.0)
    job = dataclasses.replace(job, state_dir=str(tmp_path))
    refitted = run_fold(job)
    expected_observation = device_observation(model, first.params, job.train, refit_config)
    assert refitted.metrics["observation_model"] == expected_observation.to_dict()
    assert refitted.metrics["start_observation_model"] == first.metrics["observation_model"]
    expected = fit(model, job.train, None, dataclasses.replace(config, epochs=2),
                   params=first.params, observation=expected_observation)
    np.testing.assert_array_equal(refitted.params, expected.params)
    assert [record.epoch for record in refitted.history] == [1, 2, 3, 4]
    assert refitted.metrics["refit_after_epoch"] == 2
    assert refitted.extra["absorb_ring"] == "auto"  # the step it ran, for evaluation
    assert "absorb_ring" not in fold_jobs(model, data, TrainConfig(epochs=1), folds=3,
                                          val_fraction=0.0)[0].identity
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fold0.r0.refit.state.json",
                                                         "fold0.r0.state.json"]
    again = run_fold(job)  # both phases resume from their finished states
    np.testing.assert_array_equal(again.params, refitted.params)
    with pytest.raises(qc.InputError, match="refit_epochs must be at least 0 and needs noise"):
        TrainConfig(refit_epochs=3)


def test_noise_training_of_a_task_refits_by_default():
    from qru_compile.train.tasks import get_task

    task = get_task("digits")
    assert task.training_config().refit_epochs == 0
    noisy = task.training_config(device="willow_pink", noise=True)
    assert noisy.refit_epochs == task.refit_epochs_under_noise > 0
    assert task.training_config(device="willow_pink", noise=True, refit_epochs=0).refit_epochs == 0
    assert noisy.epochs == task.config.epochs
    # digits keeps the best of 4 initialisations under noise, 1 without; WDBC 2 either way
    assert (task.restarts_for(noisy), task.restarts_for(task.training_config())) == (4, 1)
    wdbc = get_task("wdbc")
    assert wdbc.restarts_for(wdbc.training_config(device="willow_pink", noise=True)) == 2
