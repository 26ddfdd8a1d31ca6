import numpy as np
import pytest
import spec_reference

import qru_compile as qc
from qru_compile.sim import CirqBackend, QsimBackend


def _golden_arrays(golden):
    outs = np.array([step["outs"] for step in golden["steps"]])
    hidden = np.array([step["hidden_out"] for step in golden["steps"]])
    return outs, hidden


def test_golden_wdbc_config_is_the_wdbc_preset(golden_wdbc):
    config = golden_wdbc["config"]
    model = qc.QRUModel.preset("wdbc")
    assert (config["I"], config["H"], config["L"]) == (model.I, model.H, model.L)
    assert (config["G"], tuple(config["LG"])) == (model.gate, model.layer_gates)
    assert len(golden_wdbc["params"]) == model.num_circuit_parameters


@pytest.mark.parametrize("backend, tolerance", [("cirq", 1e-9), ("qsim", 1e-5), ("numpy", 1e-9)])
def test_golden_wdbc_reproduced(golden_wdbc, backend, tolerance):
    model = qc.QRUModel.preset("wdbc")
    result = qc.simulate_sequence(
        model, golden_wdbc["params"], golden_wdbc["inputs"], backend=backend
    )
    outs, hidden = _golden_arrays(golden_wdbc)
    assert result.outs.shape == outs.shape == (6, 2, 2)
    assert result.hidden.shape == hidden.shape == (6, 2, 8)
    np.testing.assert_allclose(result.outs, outs, atol=tolerance, rtol=0)
    np.testing.assert_allclose(result.hidden, hidden, atol=tolerance, rtol=0)


CONFIGS = [
    qc.QRUModel.preset("oscillation"),
    qc.QRUModel.preset("mnist"),
    qc.QRUModel(I=3, H=5, L=2, gate="u2", layer_gates=("rot", "rz", "ry")),  # odd I and H
    qc.QRUModel(I=4, H=3, L=1, gate="rz", layer_gates=("rx",)),  # nd == nh == 2 rings
]


@pytest.mark.parametrize("model", CONFIGS, ids=lambda m: f"{m.name}-I{m.I}H{m.H}L{m.L}")
def test_matches_independent_spec_simulator(model, rng):
    """The spec, implemented separately in numpy, agrees with the package to 1e-9 (Cirq)."""
    params = model.initial_parameters(seed=int(rng.integers(1 << 30)))
    inputs = rng.uniform(0, 1, (2, 3, model.I))
    config = {"I": model.I, "H": model.H, "L": model.L, "G": model.gate, "LG": model.layer_gates}
    ref_outs, ref_hidden = spec_reference.sequence(
        config, params[: model.num_circuit_parameters], inputs
    )
    result = qc.simulate_sequence(model, params, inputs, backend="cirq")
    np.testing.assert_allclose(result.outs, ref_outs, atol=1e-9, rtol=0)
    np.testing.assert_allclose(result.hidden, ref_hidden, atol=1e-9, rtol=0)
    fast = qc.simulate_sequence(model, params, inputs, backend="qsim")
    np.testing.assert_allclose(fast.outs, ref_outs, atol=1e-5, rtol=0)
    np.testing.assert_allclose(fast.hidden, ref_hidden, atol=1e-5, rtol=0)
    batched = qc.simulate_sequence(model, params, inputs, backend="numpy")
    np.testing.assert_allclose(batched.outs, ref_outs, atol=1e-9, rtol=0)
    np.testing.assert_allclose(batched.hidden, ref_hidden, atol=1e-9, rtol=0)


def test_hidden_is_fed_forward(rng):
    """Running T steps at once equals T one-step runs chained through initial_hidden."""
    model = qc.QRUModel.preset("wdbc")
    params = model.initial_parameters(seed=5)
    inputs = rng.uniform(0, 1, (3, 4, 1))
    whole = qc.simulate_sequence(model, params, inputs, backend="cirq")
    hidden = None
    for t in range(4):
        one = qc.simulate_sequence(
            model, params, inputs[:, t : t + 1], backend="cirq", initial_hidden=hidden
        )
        np.testing.assert_allclose(one.outs[0], whole.outs[t], atol=1e-12)
        np.testing.assert_allclose(one.hidden[0], whole.hidden[t], atol=1e-12)
        hidden = one.hidden[0]
    # and the feed-forward matters: a different initial hidden state changes step 0
    other = qc.simulate_sequence(
        model, params, inputs, backend="cirq", initial_hidden=np.full(8, 0.5)
    )
    assert np.abs(other.outs[0] - whole.outs[0]).max() > 1e-3


def test_initial_hidden_broadcasts_a_single_vector(rng):
    model = qc.QRUModel.preset("wdbc")
    params = model.initial_parameters(seed=2)
    inputs = rng.uniform(0, 1, (2, 2, 1))
    h = rng.uniform(-1, 1, 8)
    a = qc.simulate_sequence(model, params, inputs, backend="cirq", initial_hidden=h)
    b = qc.simulate_sequence(model, params, inputs, backend="cirq", initial_hidden=[h, h])
    np.testing.assert_array_equal(a.outs, b.outs)


def test_full_and_circuit_parameter_vectors_agree(rng):
    model = qc.QRUModel.preset("wdbc")
    params = model.initial_parameters(seed=9)
    inputs = rng.uniform(0, 1, (1, 2, 1))
    full = qc.simulate_sequence(model, params, inputs, backend="cirq")
    circuit = qc.simulate_sequence(model, params[:-1], inputs, backend="cirq")
    np.testing.assert_array_equal(full.outs, circuit.outs)


def test_backend_instances_and_threads(rng):
    model = qc.QRUModel.preset("wdbc")
    params = model.initial_parameters(seed=4)
    inputs = rng.uniform(0, 1, (2, 2, 1))
    a = qc.simulate_sequence(model, params, inputs, backend=QsimBackend(threads=2))
    b = qc.simulate_sequence(model, params, inputs, backend=CirqBackend())
    np.testing.assert_allclose(a.outs, b.outs, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"inputs": np.zeros((2, 3))}, r"inputs: expected shape \[batch, T, 1\]"),
        ({"inputs": np.zeros((0, 3, 1))}, r"inputs: expected shape"),
        ({"inputs": [[[0.1], [np.nan]]]}, r"inputs: 1 value\(s\) are NaN or infinite, the first at index \[0, 1, 0\]"),
        ({"inputs": [[[0.1], [0.2, 0.3]]]}, r"inputs: expected an array of numbers"),
        ({"params": np.zeros(10)}, r"params: model 'wdbc' has 34 circuit parameters \(35 with the output scale\)"),
        ({"params": np.full(34, np.inf)}, r"params: 34 value\(s\) are NaN or infinite"),
        ({"initial_hidden": np.zeros(7)}, r"initial_hidden: expected shape \[1, 8\] or \[8\]"),
        ({"initial_hidden": np.full(8, 1.5)}, r"initial_hidden: values must lie in \[-1, 1\]"),
        ({"backend": "lightning"}, r"unknown backend .lightning.; known backends: auto, qsim, cirq, numpy"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    model = qc.QRUModel.preset("wdbc")
    args = {"params": np.zeros(34), "inputs": np.zeros((1, 2, 1))} | kwargs
    with pytest.raises(qc.QRUError, match=message):
        qc.simulate_sequence(model, **args)
