import json

import numpy as np
import pytest

import qru_compile as qc
from qru_compile.model import PRESETS


@pytest.mark.parametrize(
    "name, params, circuit_params, qubits",
    [("oscillation", 72, 72, 8), ("wdbc", 35, 34, 7), ("mnist", 132, 131, 10)],
)
def test_preset_counts_match_paper(name, params, circuit_params, qubits):
    model = qc.QRUModel.preset(name)
    assert model.num_parameters == params
    assert model.num_circuit_parameters == circuit_params
    assert model.num_qubits == qubits
    assert len(model.parameter_names) == params
    assert len(set(model.parameter_names)) == params


def test_count_formula_on_custom_models():
    for I, H, L, gate, layers in [(3, 5, 2, "u2", ("rot", "rx")), (2, 3, 0, "rz", ("ry",))]:
        model = qc.QRUModel(I=I, H=H, L=L, gate=gate, layer_gates=layers)
        nd, nh = -(-I // 2), -(-H // 2)
        p = {"rx": 1, "ry": 1, "rz": 1, "u2": 2, "rot": 3}
        expected = 2 * I + 4 * nh + p[gate] + sum(p[layers[l % len(layers)]] for l in range(L)) * (nd + nh)
        assert model.num_circuit_parameters == expected == model.num_parameters


def test_layout_order_follows_spec():
    names = qc.QRUModel.preset("mnist").parameter_names
    assert names[:4] == ("input_w0", "input_b0", "input_w1", "input_b1")
    assert names[16:18] == ("hidden_w0", "hidden_b0")
    assert names[30:32] == ("hidden_w7", "hidden_b7")
    assert names[32:35] == ("gate_phi", "gate_theta", "gate_omega")
    assert names[35:41] == ("layer0_d0_phi", "layer0_d0_theta", "layer0_d0_omega",
                            "layer0_d1_phi", "layer0_d1_theta", "layer0_d1_omega")
    assert names[35 + 24 - 3] == "layer0_h3_phi"
    assert names[35 + 24] == "layer1_d0_phi"
    assert names[-1] == "scale"
    wdbc = qc.QRUModel.preset("wdbc").parameter_names
    # layer gates cycle rx, ry, rx; one parameter per qubit
    assert [n for n in wdbc if n.endswith("_d0_theta")] == [
        "layer0_d0_theta", "layer1_d0_theta", "layer2_d0_theta"]
    osc = qc.QRUModel.preset("oscillation").parameter_names
    assert osc[22:24] == ("gate_phi", "gate_lam")


def test_parameter_index_and_unknown_name():
    model = qc.QRUModel.preset("wdbc")
    assert model.parameter_index("scale") == 34
    with pytest.raises(qc.ModelError, match="no parameter named 'nope'"):
        model.parameter_index("nope")


def test_initial_parameters_uniform_and_seeded():
    model = qc.QRUModel.preset("mnist")
    a, b = model.initial_parameters(seed=3), model.initial_parameters(seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (132,)
    assert np.all((a[:-1] >= 0) & (a[:-1] < 2 * np.pi))
    assert a[-1] == 100.0


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_file_round_trip(tmp_path, name):
    model = qc.QRUModel.preset(name)
    path = tmp_path / "m.json"
    model.save(path)
    assert qc.QRUModel.load(path) == model


def test_round_trip_custom_and_scalar_layer_gate(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"I": 3, "H": 5, "L": 2, "gate": "u2", "layer_gates": "ry"}))
    model = qc.QRUModel.load(path)
    assert model.layer_gates == ("ry",)
    model.save(path)
    assert qc.QRUModel.load(path) == model


def test_go_backwards_round_trips_and_is_left_out_when_unset(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"I": 1, "H": 4, "L": 1, "readout": {"kind": "binary"},
                                "go_backwards": True}))
    model = qc.QRUModel.load(path)
    assert model.go_backwards
    model.save(path)
    assert qc.QRUModel.load(path) == model
    assert "go_backwards" not in qc.QRUModel.preset("wdbc").to_dict()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"I": 1, "H": 4, "L": 1, "gate": "cz"}, r"gate: unknown gate 'cz'; allowed gates: rx, ry, rz, u2, rot"),
        ({"I": 1, "H": 4, "L": 1, "layer_gates": ["rx", "foo"]}, r"layer_gates\[1\]: unknown gate 'foo'"),
        ({"I": 0, "H": 4, "L": 1}, r"I: must be an integer >= 1, got 0"),
        ({"I": 1, "H": 4, "L": -1}, r"L: must be an integer >= 0, got -1"),
        ({"I": 1, "H": 2, "L": 1}, r"H: must be an integer >= 3, got 2"),
        ({"I": "2", "H": 4, "L": 1}, r"I: expected an integer >= 1, got '2'"),
        ({"I": 1, "H": 4.5, "L": 1}, r"H: expected an integer >= 3, got 4.5"),
        ({"I": 1, "H": 4, "L": True}, r"L: expected an integer >= 0, got True"),
        ({"I": 1, "H": 4, "L": 1, "layer_gates": []}, r"layer_gates: expected a gate name or a non-empty list"),
        ({"I": 1, "H": 4, "L": 1, "layer_gates": 3}, r"layer_gates: expected a gate name or a list"),
        ({"I": 1, "H": 4}, r"missing required field\(s\): L"),
        ({"I": 1, "H": 4, "L": 1, "hidden": 3}, r"unknown field\(s\) 'hidden'; allowed fields: I, H, L"),
        ({"I": 1, "H": 4, "L": 1, "readout": {"kind": "ranking"}}, r"readout.kind: unknown readout 'ranking'; allowed: sequence, binary, multiclass"),
        ({"I": 1, "H": 4, "L": 1, "readout": {"kind": "multiclass", "classes": 2}}, r"readout.classes: reads 2 data qubits but the model has only 1"),
        ({"I": 4, "H": 4, "L": 1, "readout": {"kind": "multiclass", "classes": 1}}, r"at least 2 classes"),
        ({"I": 1, "H": 4, "L": 1, "readout": {"kind": "binary", "scale": "yes"}}, r"readout.scale: expected true or false"),
        ({"I": 1, "H": 4, "L": 1, "readout": {"kind": "binary", "bias": 1}}, r"readout: unknown field\(s\) 'bias'"),
        ({"I": 1, "H": 4, "L": 1, "readout": "binary"}, r"readout: expected an object"),
        ({"I": 1, "H": 4, "L": 1, "name": ""}, r"name: expected a non-empty string"),
        ({"I": 1, "H": 4, "L": 1, "go_backwards": 1}, r"go_backwards: expected true or false"),
        ({"I": 1, "H": 4, "L": 1, "go_backwards": True}, r"go_backwards: a sequence readout"),
        ([1, 4, 1], r"a model must be a JSON object, got list"),
    ],
)
def test_malformed_files_are_rejected_by_field(tmp_path, data, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(qc.ModelError, match=message) as info:
        qc.QRUModel.load(path)
    assert str(info.value).startswith(str(path))


def test_not_json_and_missing_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"I": 1,')
    with pytest.raises(qc.ModelError, match=r"not valid JSON \(line 1"):
        qc.QRUModel.load(path)
    with pytest.raises(qc.ModelError, match="cannot read model file"):
        qc.QRUModel.load(tmp_path / "missing.json")


def test_unknown_preset_lists_known_ones():
    with pytest.raises(qc.ModelError, match="known presets: oscillation, wdbc, mnist"):
        qc.QRUModel.preset("mnist784")


def test_model_is_frozen_and_hashable():
    model = qc.QRUModel.preset("wdbc")
    with pytest.raises(AttributeError):
        model.L = 5  # type: ignore[misc]
    assert hash(model) == hash(qc.QRUModel.from_dict(model.to_dict()))
