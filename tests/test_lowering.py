import cirq
import numpy as np
import pytest
from spec_reference import gate_matrix

import qru_compile as qc
from qru_compile.angle_map import ARCSIN_DERIVATIVE_MARGIN
from qru_compile.lowering import (
    logical_depth,
    logical_metrics,
    lower,
)


@pytest.mark.parametrize(
    "name, gates, depth", [("oscillation", 68, 39), ("wdbc", 47, 28), ("mnist", 92, 43)]
)
def test_per_step_gates_and_depth_match_paper(name, gates, depth):
    metrics = logical_metrics(lower(qc.QRUModel.preset(name)))
    assert (metrics.gates, metrics.depth, metrics.cswaps) == (gates, depth, 2)


@pytest.mark.parametrize("name", ["oscillation", "wdbc", "mnist"])
def test_each_slot_is_the_angle_of_exactly_one_rotation(name):
    step = lower(qc.QRUModel.preset(name))
    names = step.angle_map.names
    assert len(set(names)) == len(names)
    assert cirq.parameter_names(step.circuit) == set(names)
    for slot in names:
        carriers = [op for op in step.circuit.all_operations() if slot in cirq.parameter_names(op)]
        assert len(carriers) == 1
        gate = carriers[0].gate
        assert isinstance(gate, (cirq.Rx, cirq.Ry, cirq.Rz))
        assert cirq.num_qubits(gate) == 1


def test_rings_and_gating_structure():
    step = lower(qc.QRUModel(I=4, H=6, L=1))  # nd = 2, nh = 3
    cnots = [g.qubits for g in step.gates if g.name == "cnot"]
    assert cnots[:2] == [("d0", "d1"), ("d1", "d0")]  # nd == 2 ring
    assert cnots[2:5] == [("h0", "h1"), ("h1", "h2"), ("h2", "h0")]
    assert cnots[5] == ("d0", "h0")
    assert cnots[6:] == [("d0", "d1"), ("d1", "h0"), ("h0", "h1"), ("h1", "h2"), ("h2", "d0")]
    cswaps = [g.qubits for g in step.gates if g.name == "cswap"]
    assert cswaps == [("h0", "h1", "a0"), ("h0", "h2", "a1")]
    single = lower(qc.QRUModel(I=2, H=4, L=0))  # nd == 1: no data ring
    assert next(g.qubits for g in single.gates if g.name == "cnot") == ("h0", "h1")


@pytest.mark.parametrize("gate", ["rx", "ry", "rz", "u2", "rot"])
def test_trainable_gate_unitary_matches_spec_convention(gate, rng):
    step = lower(qc.QRUModel(I=1, H=4, L=0, gate=gate))
    h0 = cirq.NamedQubit("h0")
    # the trainable gate is every single-qubit op on h0 between the two CSWAPs
    cswaps = [i for i, m in enumerate(step.circuit) if any(len(op.qubits) == 3 for op in m)]
    between = cirq.Circuit(
        op for m in step.circuit[cswaps[0] + 1 : cswaps[1]] for op in m if op.qubits == (h0,)
    )
    names = [f"gate_{p}" for p in qc.GATE_PARAMETERS[gate]]
    assert cirq.parameter_names(between) == set(names)
    values = rng.uniform(0, 2 * np.pi, size=len(names))
    unitary = cirq.unitary(cirq.resolve_parameters(between, dict(zip(names, values))))
    cirq.testing.assert_allclose_up_to_global_phase(
        unitary, gate_matrix(gate, list(values)), atol=1e-12
    )


def test_angle_map_values_follow_formulas(rng):
    model = qc.QRUModel.preset("mnist")
    amap = lower(model).angle_map
    params = rng.uniform(0, 2 * np.pi, model.num_circuit_parameters)
    x = rng.uniform(0, 1, (3, model.I))
    h = rng.uniform(-1, 1, (3, model.hidden_size))
    values = amap.values(params, x, h)
    idx = model.parameter_index
    k = amap.names.index("enc_x5")
    np.testing.assert_allclose(values[:, k], params[idx("input_w5")] * x[:, 5] + params[idx("input_b5")])
    k = amap.names.index("enc_h6")
    np.testing.assert_allclose(
        values[:, k], params[idx("hidden_w6")] * np.arcsin(h[:, 6]) + params[idx("hidden_b6")])
    k = amap.names.index("layer3_h2_omega")
    np.testing.assert_allclose(values[:, k], params[idx("layer3_h2_omega")])


@pytest.mark.parametrize("name", ["oscillation", "wdbc", "mnist"])
def test_angle_map_jacobians_against_finite_differences(name, rng):
    model = qc.QRUModel.preset(name)
    amap = lower(model).angle_map
    params = rng.uniform(0, 2 * np.pi, model.num_circuit_parameters)
    x = rng.uniform(0, 1, (2, model.I))
    h = rng.uniform(-0.9, 0.9, (2, model.hidden_size))
    d_params, d_inputs, d_hidden = amap.jacobians(params, x, h)
    eps = 1e-6

    def central(f, base, i):
        plus, minus = base.copy(), base.copy()
        plus.flat[i] += eps
        minus.flat[i] -= eps
        return (f(plus) - f(minus)) / (2 * eps)

    for i in range(len(params)):
        fd = central(lambda p: amap.values(p, x, h), params, i)
        np.testing.assert_allclose(d_params[:, :, i], fd, atol=1e-7)
    for i in range(model.I):
        fd = central(lambda xx: amap.values(params, xx, h), x, i)  # sample 0, feature i
        np.testing.assert_allclose(d_inputs[0, :, i], fd[0], atol=1e-7)
    for i in range(model.hidden_size):
        fd = central(lambda hh: amap.values(params, x, hh), h, i)
        np.testing.assert_allclose(d_hidden[0, :, i], fd[0], atol=1e-6)


def test_arcsin_at_plus_minus_one_stays_finite():
    model = qc.QRUModel.preset("wdbc")
    amap = lower(model).angle_map
    params = np.ones(model.num_circuit_parameters)
    h = np.array([[1.0, -1.0, 1.0 + 3e-7, -1.0 - 3e-7, 0.0, 0.5, -0.5, 0.99]])
    values = amap.values(params, np.zeros((1, 1)), h)
    assert np.all(np.isfinite(values))
    k = amap.names.index("enc_h0")
    assert values[0, k] == pytest.approx(np.pi / 2 + 1)  # arcsin(1) exactly, not a clipped value
    _, _, d_hidden = amap.jacobians(params, np.zeros((1, 1)), h)
    assert np.all(np.isfinite(d_hidden))
    bound = 1 / np.sqrt(1 - (1 - ARCSIN_DERIVATIVE_MARGIN) ** 2)
    assert np.abs(d_hidden).max() == pytest.approx(bound)


def test_logical_depth_counts_parallel_gates():
    from qru_compile.lowering import LogicalGate

    gates = [LogicalGate("rx", ("a",)), LogicalGate("rx", ("b",)),
             LogicalGate("cnot", ("a", "b")), LogicalGate("rx", ("c",))]
    assert logical_depth(gates) == 2
