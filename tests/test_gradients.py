import cirq
import numpy as np
import pytest

import qru_compile as qc
from qru_compile.lowering import lower
from qru_compile.program import z_and_x
from qru_compile.sim.statevector import StatevectorProgram
from qru_compile.targets import step_program
from qru_compile.train import loss_and_gradient


def _batch(model, rng, batch=2, steps=3):
    x = rng.uniform(0, 1, (batch, steps, model.I))
    y = {"sequence": rng.uniform(-0.5, 0.5, (batch, steps)),
         "binary": np.arange(batch) % 2,
         "multiclass": (np.arange(batch) + 1) % model.readout.classes}[model.readout.kind]
    params = model.initial_parameters(seed=7)
    if model.readout.scale:
        params[-1] = 2.5  # a moderate scale keeps the loss away from saturation
    return params, x, y


@pytest.mark.parametrize("name", ["oscillation", "wdbc", "mnist"])
def test_parameter_shift_matches_central_differences_through_time(name, rng):
    model = qc.QRUModel.preset(name)
    params, x, y = _batch(model, rng)
    loss, grad = loss_and_gradient(model, params, x, y)
    fd_loss, fd = loss_and_gradient(model, params, x, y, method="finite-difference",
                                    epsilon=1e-6)
    assert loss == pytest.approx(fd_loss, abs=1e-12)
    assert grad.shape == params.shape
    assert np.linalg.norm(grad - fd) / np.linalg.norm(fd) < 1e-6
    # the hidden feed-forward matters: the first input's weight gets gradient from later steps
    assert abs(grad[model.parameter_index("hidden_w0")]) > 0


def test_on_cirq_double_precision_backend(rng):
    model = qc.QRUModel.preset("wdbc")
    params, x, y = _batch(model, rng)
    _, grad = loss_and_gradient(model, params, x, y, backend="cirq")
    _, fd = loss_and_gradient(model, params, x, y, method="finite-difference", backend="cirq",
                              epsilon=1e-6)
    assert np.linalg.norm(grad - fd) / np.linalg.norm(fd) < 1e-6
    _, fast = loss_and_gradient(model, params, x, y)  # the batched engine
    np.testing.assert_allclose(fast, grad, atol=1e-12)
    _, single = loss_and_gradient(model, params, x, y, backend="qsim")
    np.testing.assert_allclose(single, grad, atol=1e-5)


@pytest.mark.parametrize("name, device", [("oscillation", None), ("wdbc", None),
                                          ("mnist", None), ("wdbc", "rainbow")])
def test_adjoint_equals_parameter_shift(name, device, rng):
    model = qc.QRUModel.preset(name)
    params, x, y = _batch(model, rng, batch=3, steps=4)
    shift_loss, shift = loss_and_gradient(model, params, x, y, device=device)
    loss, adjoint = loss_and_gradient(model, params, x, y, method="adjoint", device=device)
    assert loss == pytest.approx(shift_loss, abs=1e-12)
    assert np.linalg.norm(adjoint - shift) / np.linalg.norm(shift) < 1e-12


def test_engine_vector_jacobian_is_the_jacobian_product(rng):
    step = lower(qc.QRUModel.preset("mnist"))
    program = StatevectorProgram.from_circuit(step.circuit, step.qubits, step.angle_map.names,
                                              z_and_x(step.measured_qubits))
    slots = rng.uniform(0, 2 * np.pi, (3, step.angle_map.num_slots))
    cotangent = rng.normal(size=(3, 2 * len(step.measured_qubits)))
    values, jacobian = program.shift_jacobian(slots)
    adjoint_values, products = program.vector_jacobian(slots, cotangent)
    np.testing.assert_allclose(adjoint_values, values, atol=1e-14)
    np.testing.assert_allclose(products, np.einsum("ro,ros->rs", cotangent, jacobian),
                               atol=1e-13)


@pytest.mark.parametrize("name", ["oscillation", "wdbc"])
def test_logical_and_compiled_gradients_agree(name, rng):
    model = qc.QRUModel.preset(name)
    params, x, y = _batch(model, rng, steps=2)
    _, logical = loss_and_gradient(model, params, x, y)
    _, compiled = loss_and_gradient(model, params, x, y, device="rainbow")
    np.testing.assert_allclose(compiled, logical, atol=1e-10)


@pytest.mark.parametrize("gateset", ["cz", "sqrt_iswap", "sycamore"])
def test_batched_engine_matches_cirq_on_compiled_circuits(gateset, rng):
    model = qc.QRUModel.preset("wdbc")
    result = qc.compile(model, "rainbow", gateset)
    step = lower(model)
    compiled = result.program
    program = StatevectorProgram.from_circuit(compiled.circuit, compiled.qubits,
                                              compiled.slot_names, compiled.observables)
    slots = rng.uniform(0, 2 * np.pi, (3, step.angle_map.num_slots))
    reference = qc.sim.CirqBackend().expectations(compiled, slots)
    np.testing.assert_allclose(program.expectations(slots), reference, atol=1e-12)
    values, jacobian = program.shift_jacobian(slots)
    np.testing.assert_allclose(values, reference, atol=1e-12)
    k = 3
    plus, minus = slots.copy(), slots.copy()
    plus[:, k] += 1e-6
    minus[:, k] -= 1e-6
    fd = (program.expectations(plus) - program.expectations(minus)) / 2e-6
    np.testing.assert_allclose(jacobian[:, :, k], fd, atol=1e-8)
    cotangent = rng.normal(size=values.shape)  # the adjoint sweep undoes every native gate
    np.testing.assert_allclose(program.vector_jacobian(slots, cotangent)[1],
                               np.einsum("ro,ros->rs", cotangent, jacobian), atol=1e-12)


def test_engine_refuses_slots_it_cannot_shift():
    q = cirq.LineQubit(0)
    import sympy

    t = sympy.Symbol("t")
    twice = cirq.Circuit(cirq.rx(t).on(q), cirq.ry(t).on(q))
    with pytest.raises(qc.BackendError, match="more than one rotation"):
        StatevectorProgram.from_circuit(twice, [q], ["t"], z_and_x([q]))
    scaled = cirq.Circuit(cirq.rx(2 * t).on(q))
    with pytest.raises(qc.BackendError, match="slope"):
        StatevectorProgram.from_circuit(scaled, [q], ["t"], z_and_x([q]))


@pytest.mark.parametrize(
    "name, targets, message",
    [
        ("wdbc", [0, 2], r"labels must be integers in 0..1; row 1 has 2"),
        ("wdbc", [0.5, 1], r"row 0 has 0.5"),
        ("mnist", [0, 1, 1], r"needs shape \[2\]"),
        ("oscillation", [[0.1, 0.2]], r"needs shape \[2, 3\]"),
        ("wdbc", [np.nan, 1], r"NaN"),
    ],
)
def test_targets_are_checked(name, targets, message, rng):
    model = qc.QRUModel.preset(name)
    params, x, _ = _batch(model, rng)
    with pytest.raises(qc.InputError, match=message):
        loss_and_gradient(model, params, x, targets)


def test_bad_method_and_partial_params(rng):
    model = qc.QRUModel.preset("wdbc")
    params, x, y = _batch(model, rng)
    with pytest.raises(qc.InputError, match="unknown 'backprop'"):
        loss_and_gradient(model, params, x, y, method="backprop")
    with pytest.raises(qc.BackendError, match="backend 'qsim' cannot compute the adjoint "
                                              "gradient .'vjp'.; backends that can: numpy"):
        loss_and_gradient(model, params, x, y, method="adjoint", backend="qsim")
    with pytest.raises(qc.InputError, match="full vector of 35 parameters"):
        loss_and_gradient(model, params[:-1], x, y)


@pytest.mark.parametrize("name", ["wdbc", "oscillation"])
def test_shifted_values_equal_literal_shifted_circuits(name, rng):
    """The engine's linear-combination shortcut gives exactly f(t +- pi/2) of every slot."""
    step = lower(qc.QRUModel.preset(name))
    logical = step_program(step.model)
    program = StatevectorProgram.from_circuit(step.circuit, step.qubits, step.angle_map.names,
                                              logical.observables)
    slots = rng.uniform(0, 2 * np.pi, (2, step.angle_map.num_slots))
    _values, plus, minus = program.shifted_values(slots)
    for k in range(step.angle_map.num_slots):
        for sign, shifted in ((1, plus), (-1, minus)):
            moved = slots.copy()
            moved[:, k] += sign * np.pi / 2
            literal = qc.sim.CirqBackend().expectations(logical, moved)
            np.testing.assert_allclose(shifted[:, :, k], literal, atol=1e-12)


@pytest.mark.parametrize("name", ["oscillation", "wdbc", "mnist"])
def test_one_call_step_kernel_is_the_operation_by_operation_engine(name, rng):
    """The fused forward run and adjoint sweep (sim/step_kernel.py) against the engine's
    per-operation path on the same program: same states, same products."""
    step = lower(qc.QRUModel.preset(name))
    program = StatevectorProgram.from_circuit(step.circuit, step.qubits, step.angle_map.names,
                                              z_and_x(step.measured_qubits))
    per_op = StatevectorProgram.from_circuit(step.circuit, step.qubits, step.angle_map.names,
                                             z_and_x(step.measured_qubits))
    per_op.__dict__["_encoded"] = None  # the cached encoding switched off
    assert program._encoded is not None
    slots = rng.uniform(0, 2 * np.pi, (3, step.angle_map.num_slots))
    cotangent = rng.normal(size=(3, 2 * len(step.measured_qubits)))
    np.testing.assert_allclose(program.final_states(slots)[1], per_op.final_states(slots)[1],
                               atol=1e-14)
    np.testing.assert_allclose(program.vector_jacobian(slots, cotangent)[1],
                               per_op.vector_jacobian(slots, cotangent)[1], atol=1e-13)
