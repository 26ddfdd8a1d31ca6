"""The step program and the one rollout: every former loop's results unchanged, any compiled
circuit trainable, backends that say what they can do."""

import dataclasses

import cirq
import numpy as np
import pytest

import qru_compile as qc
from qru_compile.program import z_and_x
from qru_compile.sim import CirqBackend, Feedback, QsimBackend, StatevectorBackend, rollout
from qru_compile.sim.statevector import StatevectorProgram
from qru_compile.targets import step_program
from qru_compile.train import oscillation_task
from qru_compile.train.data import Dataset
from qru_compile.train.loop import TrainConfig, evaluate, fit

# Made by the loops before the rollout existed (commit 2584956): five hand-written loops over
# time steps in sim/sequence.py, train/gradients.py (two), train/tasks.py and train/noisy.py.
REFERENCE = np.load("tests/data/rollout_reference.npz")


@pytest.mark.parametrize("name", ["oscillation", "wdbc", "mnist"])
def test_former_loops_results_unchanged(name):
    model = qc.QRUModel.preset(name)
    params, x, y = (REFERENCE[f"{name}_{k}"] for k in ("params", "x", "y"))
    for backend in ("numpy", "cirq"):  # the arithmetic is unchanged, up to the machine's last bit
        result = qc.simulate_sequence(model, params, x, backend=backend)
        np.testing.assert_allclose(result.outs, REFERENCE[f"{name}_{backend}_outs"],
                                   rtol=0, atol=1e-14)
        np.testing.assert_allclose(result.hidden, REFERENCE[f"{name}_{backend}_hidden"],
                                   rtol=0, atol=1e-14)
    for method, device in (("parameter-shift", None), ("adjoint", None),
                           ("parameter-shift", "rainbow")):
        key = f"{name}_{device or method}"
        loss, grad = qc.loss_and_gradient(model, params, x, y, method=method, device=device)
        # the chain rule is now a scatter, not a dense product: summation order differs (and
        # with it the last bit of a loss, by machine)
        assert loss == pytest.approx(float(REFERENCE[f"{key}_loss"]), rel=0, abs=1e-14)
        np.testing.assert_allclose(grad, REFERENCE[f"{key}_grad"], rtol=0, atol=1e-12)
    scores = evaluate(model, params, Dataset(x, y.astype(float), name), device="rainbow")
    np.testing.assert_allclose(list(scores.values()), REFERENCE[f"{name}_rainbow_eval"],
                               rtol=0, atol=1e-14)


def test_autoregressive_test_unchanged():
    model = qc.QRUModel.preset("oscillation")
    mse = oscillation_task.autoregressive_mse(model, REFERENCE["oscillation_ar_params"], context=20,
                                   horizon=10)
    assert mse == pytest.approx(float(REFERENCE["oscillation_ar_mse"]), rel=1e-12)


def test_feedback_feeds_each_output_back_as_the_next_input(rng):
    model = qc.QRUModel.preset("oscillation")
    program = step_program(model)
    params = model.initial_parameters(seed=1)[: model.num_circuit_parameters]
    x = rng.uniform(-0.5, 0.5, (2, 3, 1))
    hidden = np.zeros((2, model.hidden_size))
    result = rollout(program, StatevectorBackend(), params, x, hidden,
                     feedback=Feedback(4, lambda outs: 0.5 * outs[:, :1]))
    assert result.outs.shape == (7, 2, 2)
    np.testing.assert_array_equal(result.inputs[:3], np.transpose(x, (1, 0, 2)))
    np.testing.assert_array_equal(result.inputs[3:], 0.5 * result.outs[2:6, :, :1])
    np.testing.assert_array_equal(result.hidden_in[1:], result.hidden[:-1])


@pytest.fixture(scope="module")
def seeded_sqrt_iswap():
    """The WDBC step compiled with a non-default seed and gateset."""
    return qc.compile(qc.QRUModel.preset("wdbc"), "rainbow", "sqrt_iswap", seed=7)


# Cirq's sqrt-iSWAP synthesis is exact to about 1e-8 (measured: loss 4e-9, gradient 3e-8 off
# the logical step's, whatever its tolerance option); CZ's to 1e-15.
@pytest.mark.parametrize("gateset, atol", [("cz", 1e-10), ("sqrt_iswap", 1e-7)])
def test_compile_result_with_other_seed_and_gateset_trains(gateset, atol, rng):
    model = qc.QRUModel.preset("wdbc")
    result = qc.compile(model, "rainbow", gateset, seed=7)
    params = model.initial_parameters(seed=2)
    params[-1] = 2.5
    x, y = rng.uniform(0, 1, (3, 4, 1)), np.array([0, 1, 1])
    logical_loss, logical = qc.loss_and_gradient(model, params, x, y)
    for method in ("parameter-shift", "adjoint"):
        loss, grad = qc.loss_and_gradient(result, params, x, y, method=method)
        assert loss == pytest.approx(logical_loss, abs=atol)
        np.testing.assert_allclose(grad, logical, rtol=0, atol=atol)
    data = Dataset(x, y.astype(float), "toy")
    config = TrainConfig(epochs=2, batch_size=3, gradient="adjoint")
    compiled_fit = fit(result, data, None, config)
    logical_fit = fit(model, data, None, config)
    np.testing.assert_allclose(compiled_fit.params, logical_fit.params, atol=100 * atol)
    assert evaluate(result, compiled_fit.params, data)["loss"] == pytest.approx(
        evaluate(model, logical_fit.params, data)["loss"], abs=100 * atol)


def test_compile_result_and_a_contradicting_device_are_refused(seeded_sqrt_iswap, rng):
    with pytest.raises(qc.InputError, match="device 'weber' contradicts the step's target 'rainbow/sqrt_iswap'"):
        qc.simulate_sequence(seeded_sqrt_iswap, np.zeros(34), np.zeros((1, 2, 1)),
                             device="weber")
    with pytest.raises(qc.InputError, match="expected a QRUModel, a CompileResult or a "
                                            "StepProgram, got str"):
        qc.simulate_sequence("wdbc", np.zeros(34), np.zeros((1, 2, 1)))


def test_qsim_trains_like_the_batched_engine_over_a_few_epochs():
    """Three epochs of a small task: qsim's float32 gradients track the engine's."""
    model = qc.QRUModel(I=2, H=4, L=1, gate="rx", layer_gates=("ry",), name="toy",
                        readout=qc.Readout(kind="binary", scale=True))
    rng = np.random.default_rng(4)
    data = Dataset(rng.uniform(0, 1, (8, 3, 2)), (np.arange(8) % 2).astype(float), "toy")
    results = {backend: fit(model, data, None, TrainConfig(epochs=3, batch_size=4,
                                                           learning_rate=0.05,
                                                           backend=backend))
               for backend in ("numpy", "qsim")}
    np.testing.assert_allclose(results["qsim"].params, results["numpy"].params, atol=1e-4)
    losses = {b: [r.train_loss for r in fit_.history] for b, fit_ in results.items()}
    np.testing.assert_allclose(losses["qsim"], losses["numpy"], rtol=1e-4)


@pytest.mark.parametrize("backend", [QsimBackend(), CirqBackend()])
def test_backend_without_a_capability_says_which_backends_have_it(backend):
    program = step_program(qc.QRUModel.preset("wdbc"))
    assert not backend.supports("vjp") and backend.supports("jacobian")
    with pytest.raises(qc.BackendError, match=f"backend '{backend.name}' cannot compute the "
                                              "adjoint gradient .'vjp'.; backends that can: "
                                              "numpy$"):
        backend.vjp(program, np.zeros((1, 47)), np.zeros((1, 10)))


def test_parity_and_y_observables_match_cirq(rng):
    """The engine takes any Pauli string: parities (for an absorbed CNOT ring) and Y."""
    step = qc.lower(qc.QRUModel.preset("wdbc"))
    d0, h0, h1, h3 = (cirq.NamedQubit(n) for n in ("d0", "h0", "h1", "h3"))
    observables = (cirq.Z(d0) * cirq.Z(h1) * cirq.Z(h3), cirq.X(h0) * cirq.X(h1),
                   cirq.Y(h0), -1.0 * cirq.Y(d0) * cirq.X(h3) * cirq.Z(h1)) + \
        z_and_x(step.measured_qubits)
    program = qc.program.StepProgram(step.model, step.circuit, step.angle_map, step.qubits,
                                     observables)
    slots = rng.uniform(0, 2 * np.pi, (3, step.angle_map.num_slots))
    reference = CirqBackend().expectations(program, slots)
    engine = StatevectorProgram.from_circuit(step.circuit, step.qubits, step.angle_map.names,
                                             observables)
    np.testing.assert_allclose(engine.expectations(slots), reference, atol=1e-12)
    values, jacobian = engine.shift_jacobian(slots)
    _literal_values, literal = CirqBackend().jacobian(program, slots)
    np.testing.assert_allclose(jacobian, literal, atol=1e-12)
    cotangent = rng.normal(size=values.shape)
    np.testing.assert_allclose(engine.vector_jacobian(slots, cotangent)[1],
                               np.einsum("ro,ros->rs", cotangent, literal), atol=1e-12)


def test_pullback_is_the_jacobians_product(rng):
    model = qc.QRUModel.preset("mnist")
    amap = qc.lower(model).angle_map
    params = model.initial_parameters(seed=0)[:-1]
    x, h = rng.uniform(0, 1, (4, model.I)), rng.uniform(-0.9, 0.9, (4, model.hidden_size))
    d_slots = rng.normal(size=(4, amap.num_slots))
    d_params, d_hidden = amap.pullback(params, x, h, d_slots)
    dense_params, _, dense_hidden = amap.jacobians(params, x, h)
    np.testing.assert_allclose(d_params, np.einsum("bs,bsp->p", d_slots, dense_params),
                               atol=1e-12)
    np.testing.assert_allclose(d_hidden, np.einsum("bs,bsh->bh", d_slots, dense_hidden),
                               atol=1e-12)


def test_auto_backend_follows_the_measured_crossover():
    from qru_compile.sim.backends import QSIM_FROM_QUBITS, get_backend

    small = step_program(qc.QRUModel.preset("mnist"))  # 10 qubits
    large = step_program(qc.QRUModel(I=8, H=12, L=1, name="large"))  # 4 + 6 + 2 = 12
    assert len(small.qubits) < QSIM_FROM_QUBITS <= len(large.qubits)
    assert isinstance(get_backend("auto", small, "jacobian"), StatevectorBackend)
    assert isinstance(get_backend("auto", large, "jacobian"), QsimBackend)
    assert isinstance(get_backend("auto", large, "vjp"), StatevectorBackend)  # the engine's alone


def test_a_backwards_model_reads_each_sequence_last_step_first(rng):
    forwards = qc.QRUModel.preset("wdbc")
    backwards = dataclasses.replace(forwards, go_backwards=True)
    params = forwards.initial_parameters(seed=3)
    x = rng.uniform(0, 1, (3, 5, 1))
    y = np.array([0.0, 1.0, 1.0])
    reversed_x = np.ascontiguousarray(x[:, ::-1])
    result = qc.simulate_sequence(backwards, params, x)
    np.testing.assert_array_equal(result.outs, qc.simulate_sequence(forwards, params,
                                                                    reversed_x).outs)
    assert not np.allclose(result.outs, qc.simulate_sequence(forwards, params, x).outs)
    for method in ("parameter-shift", "adjoint"):
        loss, grad = qc.loss_and_gradient(backwards, params, x, y, method=method)
        expected = qc.loss_and_gradient(forwards, params, reversed_x, y, method=method)
        assert loss == pytest.approx(expected[0], abs=1e-12)
        np.testing.assert_allclose(grad, expected[1], rtol=0, atol=1e-10)
