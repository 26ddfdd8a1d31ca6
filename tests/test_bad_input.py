"""Malformed input is refused, one line naming the problem (issue 14, all but data loss).

Four classes, as the issue sorts them: input that used to end in a traceback, absurd sizes that
used to hang, input that used to give a silent (wrong) result, and input whose message misled.
From the command line each case must print one line ``qru: error: ...`` and exit with status 2;
from Python it must raise the package's own error (a :class:`qru_compile.QRUError`). No case
trains or simulates anything large: every one is refused before the work would start.
"""

import json
import re
import socket
import time
from pathlib import Path

import numpy as np
import pytest

import qru_compile as qc
from qru_compile import commands, limits
from qru_compile.cli import main
from qru_compile.executor import open_executor
from qru_compile.export import QasmError
from qru_compile.train import cross_validation, tasks
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.data import Dataset, check_dataset, load_csv
from qru_compile.train.loop import TrainConfig
from qru_compile.train.readout import metrics

TOY = {"name": "toy", "I": 1, "H": 4, "L": 1, "gate": "ry", "layer_gates": ["ry"],
       "readout": {"kind": "binary", "classes": 1, "scale": True}}
QASM = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\n'
PYTHON_INTERNALS = ("Traceback", "__init__", "indices must be", "unhashable", "KeyError",
                    "object has no attribute", "NoneType")


def _error(capsys, *argv: str) -> str:
    """Run ``qru argv``: status 2 and one line ``qru: error: ...`` on stderr; that line."""
    status = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("qru: error: ") and len(err.strip().splitlines()) == 1, err
    assert not any(word in err for word in PYTHON_INTERNALS), err
    return err.strip()


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _rows(labels: list[int]) -> str:
    """Rows of two steps (columns a, b) and label column y."""
    return "".join(f"{i / 10},{(i % 3) / 3},{label}\n" for i, label in enumerate(labels))


def _train(data: Path, *extra: str, model: str = "toy.json") -> list[str]:
    """``qru train --data``: the toy model, two steps; later options win."""
    return ["train", "--data", str(data), "--model", str(data.parent / model), "--steps", "2",
            "--columns", "a,b", "--label", "y", "--epochs", "1", "--folds", "2",
            "--restarts", "1", "--val-fraction", "0", "--output",
            str(data.parent / "run"), *extra]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A directory with the toy model ``toy.json`` and a good ``data.csv``."""
    (tmp_path / "toy.json").write_text(json.dumps(TOY))
    _csv(tmp_path / "data.csv", "a,b,y\n" + _rows([0, 1] * 6))
    return tmp_path


@pytest.fixture(scope="module")
def checkpoint_json() -> dict:
    """The JSON form of a good WDBC checkpoint (three test rows)."""
    model = tasks.TASKS["wdbc"].model
    checkpoint = Checkpoint(model, model.initial_parameters(0), TrainConfig(), {}, (), "wdbc",
                            {"test_index": [0, 1, 2]})
    return {"model": model.to_dict(), "params": checkpoint.params.tolist(),
            "config": TrainConfig().__dict__, "metrics": {}, "history": [], "task": "wdbc",
            "extra": dict(checkpoint.extra)}


def _checkpoint(path: Path, base: dict, **changes) -> Path:
    data = json.loads(json.dumps(base))
    data.update(changes)
    path.write_text(json.dumps(data))
    return path


# --- tracebacks: each must be one line naming the file, field, line or option ------------------


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe{\"I\": 1}", "not UTF-8 text (byte 0: 0xff)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
])
def test_binary_or_non_utf8_model_file(capsys, tmp_path, content, message):
    (tmp_path / "m.json").write_bytes(content)
    assert message in _error(capsys, "show", tmp_path / "m.json")


def test_binary_checkpoint(capsys, tmp_path):
    (tmp_path / "c.json").write_bytes(bytes(range(256)))
    assert "c.json: not a text file" in _error(capsys, "evaluate", tmp_path / "c.json")


@pytest.mark.parametrize("field, value, message", [
    ("gate", ["rx"], "gate: expected a gate name (a string), got ['rx']"),
    ("layer_gates", [["rx"], "ry"], "layer_gates[0]: expected a gate name (a string)"),
    ("layer_gates", {"rx": 1}, "layer_gates: expected a gate name or a list"),
    ("readout", {"kind": ["binary"]}, "readout.kind: unknown readout ['binary']"),
    ("I", "4", "I: expected an integer >= 1, got '4'"),
])
def test_json_of_the_wrong_type_in_a_model(capsys, tmp_path, field, value, message):
    (tmp_path / "m.json").write_text(json.dumps({**TOY, field: value}))
    assert message in _error(capsys, "show", tmp_path / "m.json")
    with pytest.raises(qc.ModelError, match=re.escape(message)):
        qc.QRUModel.from_dict({**TOY, field: value})


@pytest.mark.parametrize("command", ["show", "simulate"])
def test_deeply_nested_json(capsys, tmp_path, command):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    argv = ["show", tmp_path / "deep.json"] if command == "show" else \
        ["simulate", "wdbc", "--params", tmp_path / "deep.json", "--inputs", tmp_path / "deep.json"]
    assert "deep.json: JSON arrays or objects nested too deeply" in _error(capsys, *argv)


def test_duplicated_key_in_a_model_file(capsys, tmp_path):
    (tmp_path / "m.json").write_text('{"I": 1, "H": 4, "L": 1, "I": 2}')
    assert "m.json: key 'I' appears twice" in _error(capsys, "show", tmp_path / "m.json")


@pytest.mark.parametrize("labels, message", [
    ([0, -1] * 6, "line 3, column 'y': label must be an integer >= 0"),
    ([1] * 12, "column 'y': every row has label 1; classification needs at least two classes"),
    ([0, 1.5] * 6, "line 3, column 'y': label must be an integer >= 0"),
])
def test_bad_labels_in_a_csv_file(capsys, work, labels, message):
    data = _csv(work / "bad.csv", "a,b,y\n" + _rows(labels))
    assert f"bad.csv: {message}" in _error(capsys, *_train(data))


@pytest.mark.parametrize("option, value, message", [
    ("--steps", "0", "argument --steps: expected an integer >= 1, got 0"),
    ("--steps", "-3", "argument --steps: expected an integer >= 1, got -3"),
    ("--steps", "two", "argument --steps: expected an integer >= 1, got 'two'"),
    ("--restarts", "0", "argument --restarts: expected an integer >= 1, got 0"),
    ("--seed", "-1", "argument --seed: expected an integer from 0 to 4294967295, got -1"),
    ("--folds", "1", "argument --folds: expected an integer >= 2, got 1"),
    ("--epochs", "0", "argument --epochs: expected an integer >= 1, got 0"),
    ("--learning-rate", "nan", "argument --learning-rate: expected a finite number > 0"),
    ("--val-fraction", "0.5", "argument --val-fraction: expected a finite number >= 0 and < 0.5"),
    ("--chunk-size", "0", "argument --chunk-size: expected an integer >= 1, got 0"),
])
def test_train_option_out_of_range(capsys, work, option, value, message):
    assert message in _error(capsys, *_train(work / "data.csv", option, value))


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "c.json", "--shots", "-5"], "argument --shots: expected an integer >= 1"),
    (["evaluate", "c.json", "--trajectories", "0"], "argument --trajectories: expected"),
    (["evaluate", "c.json", "--noise", "--zne-scales", "1,2"],
     "argument --zne-scales: scale factor 2: global folding scales by odd integers"),
    (["evaluate", "c.json", "--noise", "--zne-scales", "3,5"],
     "argument --zne-scales: zero-noise extrapolation needs scale factors 1 and at least one"),
    (["evaluate", "c.json", "--zne-scales", "1,x"], "argument --zne-scales: expected comma-"),
    (["evaluate", "c.json", "--mitigation", "readout"], "--mitigation: only with --noise"),
    (["train", "wdbc", "--only-folds", "0,5"], "--only-folds: fold 5 is not one of 0..4"),
    (["train", "wdbc", "--only-folds", "1,1"], "argument --only-folds: a number is given twice"),
    (["train", "oscillation", "--only-folds", "0"], "--only-folds: oscillation has restarts"),
    (["train", "wdbc", "--refit-epochs", "10"], "--refit-epochs needs --noise"),
    (["train", "wdbc", "--device", "rainbow", "--noise", "--refit-epochs", "-1"],
     "argument --refit-epochs: expected an integer >= 0"),
    (["evaluate", "c.json", "--noise", "--zne-scales", "1,3"],
     "--zne-scales goes with --mitigation zne or readout+zne"),
    (["compile", "wdbc", "--device", "rainbow", "--seed", "-1"], "argument --seed: expected"),
    (["sweep", "wdbc", "--devices", "rainbow", "--seed", "2**40"], "argument --seed: expected"),
])
def test_other_options_out_of_range(capsys, argv, message):
    assert message in _error(capsys, *argv)


def test_missing_label_option(capsys, work):
    argv = _train(work / "data.csv")
    label = argv.index("--label")
    del argv[label : label + 2]
    assert "--data needs --label" in _error(capsys, *argv)


@pytest.mark.parametrize("change, message", [
    ({"params": None}, "params: expected a list of 35 numbers, got null"),
    ({"params": [0.1] * 34}, "params: 34 parameters for a model with 35"),
    ({"extra": {"test_index": [0, 569]}}, "extra.test_index: expected a non-empty list of row "
                                          "indices in 0..568"),
    ({"extra": {"test_index": [-1]}}, "extra.test_index: expected"),
    ({"extra": {"test_index": [0, 0]}}, "extra.test_index: a row is listed twice"),
    ({"model": qc.QRUModel.preset("mnist").to_dict(), "params": [0.5] * 132},
     "its model does not fit task 'wdbc': 1 feature(s) per step, but model 'mnist' takes I=8"),
])
def test_bad_checkpoint(capsys, tmp_path, checkpoint_json, change, message):
    path = _checkpoint(tmp_path / "c.json", checkpoint_json, **change)
    assert f"c.json: {message}" in _error(capsys, "evaluate", path)


@pytest.mark.parametrize("program, message", [
    ("", "empty program"),
    ("OPENQASM 3.0;\n// nothing else\n", "the program has no statements"),
    (QASM + "gate g a { g a; }\ng q[0];\n", "line 4: gate g calls itself: recursive"),
    (QASM + "gate f a { h2 a; }\ngate h2 a { f a; }\n", "line 4: gate f calls 'h2', which is "
                                                          "not defined before it"),
    (QASM + "rx(1/0) q[0];\n", "line 4: division by zero in '1 / 0'"),
    (QASM + "rx(pi / (2 - 2.0)) q[0];\n", "line 4: division by zero"),
    (QASM + "rx(1e999) q[0];\n", "line 4: a number beyond float64's range"),
    (QASM + "rx(10 ** 400) q[0];\n", "line 4: '10 ** 400' is not a finite real number"),
    (QASM + "rx(2 ** (10 ** 9)) q[0];\n", "line 4: exponent beyond 10000"),
    (QASM + "rx(" + "(" * 500 + "1" + ")" * 500 + ") q[0];\n", "nested too deeply"),
])
def test_openqasm_that_used_to_crash(program, message):
    with pytest.raises(QasmError, match=re.escape(message)):
        qc.import_qasm3(program)


def test_openqasm_text_must_be_a_string():
    with pytest.raises(QasmError, match="expected the program as a str, got bytes"):
        qc.import_qasm3(QASM.encode())


def test_zero_finite_difference_step():
    model = qc.QRUModel.from_dict(TOY)
    with pytest.raises(qc.InputError, match="epsilon: expected a positive"):
        qc.loss_and_gradient(model, model.initial_parameters(0), np.full((2, 2, 1), 0.5),
                             np.array([0.0, 1.0]), method="finite-difference", epsilon=0.0)


@pytest.mark.parametrize("value", [1e300, -1e12, 1.7e308])
def test_huge_input_values_never_reach_cirq(value):
    model = qc.QRUModel.from_dict(TOY)
    with pytest.raises(qc.InputError, match="exceed 1e\\+09 in magnitude.*MAX_ABS_VALUE"):
        qc.simulate_sequence(model, model.initial_parameters(0), np.full((1, 2, 1), value),
                             backend="cirq")


def test_huge_value_in_a_csv_file(capsys, work):
    data = _csv(work / "big.csv", "a,b,y\n1e300,0.5,1\n" + _rows([0, 1] * 6))
    assert "big.csv: line 2, column 'a': 1e+300 exceeds 1e+09" in _error(capsys, *_train(data))


def test_negative_labels_through_the_python_api():
    model = qc.QRUModel.from_dict(TOY)
    data = Dataset(np.full((8, 2, 1), 0.5), np.array([0, -1] * 4, dtype=float), "neg")
    with pytest.raises(qc.InputError, match="neg: targets: labels must be integers in 0..1"):
        cross_validation.fold_jobs(model, data, TrainConfig(), folds=2)


def test_negative_seed_through_the_python_api():
    with pytest.raises(qc.InputError, match="seed must be an integer from 0 to 2\\*\\*32 - 1"):
        TrainConfig(seed=-1)


def test_string_where_a_model_is_expected():
    with pytest.raises(qc.ModelError, match="expected a QRUModel .* got str 'wdbc'"):
        qc.compile("wdbc", "rainbow")


# --- hangs: absurd sizes are refused up front, the limit stated --------------------------------


@pytest.mark.parametrize("field, value",
                         [("I", 10**6), ("H", 10**6), ("I", 2 * limits.max_qubits())])
def test_too_many_qubits_for_a_state_vector(field, value):
    start = time.perf_counter()
    with pytest.raises(qc.ModelError, match=f"exceed the limit of {limits.max_qubits()} "
                                            r"\(a state vector of"):
        qc.QRUModel.from_dict({**TOY, field: value})
    assert time.perf_counter() - start < 1.0


def test_too_many_layers(capsys, tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({**TOY, "L": 10**9}))
    start = time.perf_counter()
    err = _error(capsys, "show", tmp_path / "m.json")
    assert f"L: 1,000,000,000 layers exceed the limit of {limits.MAX_LAYERS}" in err
    assert time.perf_counter() - start < 2.0
    qc.QRUModel.from_dict({**TOY, "L": limits.MAX_LAYERS})  # the limit itself is allowed


@pytest.mark.parametrize("declarations", [
    "qubit[1000000000] q;\n",
    "".join(f"qubit[10] r{i};\n" for i in range(limits.max_qubits() // 10 + 1)),
])
def test_huge_qubit_registers(declarations):
    start = time.perf_counter()
    with pytest.raises(QasmError, match=f"exceed the limit of {limits.max_qubits()}"):
        qc.import_qasm3("OPENQASM 3.0;\n" + declarations)
    assert time.perf_counter() - start < 1.0


# --- silent results: each is an error now -------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("a,b,y\n0.1,0.2,1,7\n", "line 2: 4 fields, but the header has 3 columns"),
    ("a,b,y\n0.1,0.2\n", "line 2: 2 fields, but the header has 3 columns"),
    ("a,b,a,y\n0.1,0.2,0.3,1\n", "column name 'a' appears twice in the header (columns 1 and 3)"),
    ("a,b,y\n1e999,0.2,1\n", "line 2, column 'a': NaN or infinite ('1e999'"),
    ("a,b,y\n0.1,-inf,1\n", "line 2, column 'b': NaN or infinite"),
    ("a,b,y\n0.1,0.2,1\n\"0.3,0.4,0\n", "line 3: not valid CSV"),
])
def test_csv_rows_that_used_to_load(tmp_path, text, message):
    path = _csv(tmp_path / "d.csv", text + _rows([0, 1]))
    with pytest.raises(qc.InputError, match=re.escape(message)):
        load_csv(path, feature_columns=["a", "b"], label_column="y", steps=2)


def test_nan_slots_from_the_compile_resolver():
    model = qc.QRUModel.from_dict(TOY)
    result = qc.compile(model, "rainbow")
    params = model.initial_parameters(0)
    with pytest.raises(qc.InputError, match="x_t: 1 value\\(s\\) are NaN"):
        result.resolver(params, [np.nan])
    with pytest.raises(qc.InputError, match="initial_hidden: 1 value\\(s\\) are NaN"):
        result.slot_values(params, [0.5], [0.0, np.nan, 0.0, 0.0])
    with pytest.raises(qc.InputError, match="x_t: expected the 1 input value"):
        result.resolver(params, [0.5, 0.5])


def test_nan_slots_from_the_angle_map():
    model = qc.QRUModel.from_dict(TOY)
    step = qc.lower(model)
    params = model.initial_parameters(0)[:-1]
    hidden = np.zeros((1, model.hidden_size))
    with pytest.raises(qc.InputError, match="inputs: 1 value\\(s\\) are NaN"):
        step.angle_map.values(params, np.array([[np.nan]]), hidden)
    with pytest.raises(qc.InputError, match="circuit parameters: 1 value\\(s\\) are NaN"):
        step.angle_map.values(np.where(np.arange(len(params)) == 3, np.nan, params),
                              np.array([[0.5]]), hidden)
    with pytest.raises(qc.InputError, match="slot_values: 1 value\\(s\\) are NaN"):
        step.resolver([np.nan] + [0.0] * (step.angle_map.num_slots - 1))


@pytest.mark.parametrize("params, message", [
    ("nan", "params: 1 value(s) are NaN or infinite, the first at index [0]"),
    ("string", "params: expected a list of 35 numbers, got a string at index 0 ('0.5')"),
    ("bool", "params: expected a list of 35 numbers, got true/false at index 0 (True)"),
])
def test_checkpoint_parameters_must_be_numbers(tmp_path, checkpoint_json, params, message):
    values = list(checkpoint_json["params"])
    values[0] = {"nan": float("nan"), "string": "0.5", "bool": True}[params]
    path = _checkpoint(tmp_path / "c.json", checkpoint_json, params=values)
    with pytest.raises(qc.InputError) as info:
        Checkpoint.load(path)
    assert str(info.value) == f"{path}: {message}"


def test_evaluate_no_samples(capsys, tmp_path, checkpoint_json):
    path = _checkpoint(tmp_path / "c.json", checkpoint_json)
    assert "argument --samples: expected an integer >= 1, got 0" in \
        _error(capsys, "evaluate", path, "--samples", "0")
    model = qc.QRUModel.preset("wdbc")
    with pytest.raises(qc.InputError, match="no sequences to evaluate"):
        metrics(model, model.initial_parameters(0), np.zeros((30, 0, 2)), np.zeros(0))


@pytest.mark.parametrize("devices, message", [
    (",", "argument --devices: expected comma-separated names, got ','"),
    ("rainbow,,weber", "argument --devices: an empty name in 'rainbow,,weber'"),
    ("rainbow,rainbow", "argument --devices: 'rainbow' given twice"),
])
def test_sweep_without_devices(capsys, devices, message):
    assert message in _error(capsys, "sweep", "wdbc", "--devices", devices)


@pytest.mark.parametrize("program, message", [
    (QASM + "gate rx(t) a { ry(t) a; }\nrx(1) q[0];\n", "line 4: gate 'rx' redefines a standard"),
    (QASM + "gate cx a, b { cz a, b; }\n", "line 4: gate 'cx' redefines a standard"),
    ("OPENQASM 3.0;\nqubit[2.5] q;\n", "line 2: qubit[] q: a register size must be an integer"),
    ("OPENQASM 3.0;\nqubit[0] q;\n", "line 2: qubit[] q: a register size must be an integer"),
    ("OPENQASM 3.0;\nqubit q;\nbit[-1] b;\n", "line 3: bit[] b: a register size must be"),
    (QASM + "x q[1.5];\n", "line 4: bad qubit operand 'q[1.5]': the index must be an integer"),
    (QASM + "bit[2] m;\nm[0.5] = measure q[0];\n", "line 5: a measurement must be assigned"),
])
def test_openqasm_that_used_to_import(program, message):
    with pytest.raises(QasmError, match=re.escape(message)):
        qc.import_qasm3(program)


# --- misleading messages ------------------------------------------------------------------------


def test_a_label_the_readout_cannot_take_is_no_fold_problem(capsys, work):
    data = _csv(work / "three.csv", "a,b,y\n" + _rows([0, 1, 2] * 4))
    err = _error(capsys, *_train(data))
    assert "three.csv: targets: labels must be integers in 0..1; row 2 has 2" in err
    assert "fold" not in err
    model = qc.QRUModel.from_dict(TOY)
    dataset = load_csv(data, feature_columns=["a", "b"], label_column="y", steps=2)
    with pytest.raises(qc.InputError, match="labels must be integers in 0..1") as info:
        cross_validation.fold_jobs(model, dataset, TrainConfig(), folds=2)
    assert "fold" not in str(info.value)


def test_feature_count_mismatch_names_columns_and_steps(capsys, work):
    err = _error(capsys, *_train(work / "data.csv", "--steps", "1"))
    assert "--columns names 2 column(s), but --steps 1 with model 'toy'" in err
    assert "needs --steps x I = 1" in err
    model = qc.QRUModel.from_dict({**TOY, "I": 2})
    with pytest.raises(qc.InputError, match="1 feature\\(s\\) per step, but model 'toy' takes "
                                            "I=2"):
        check_dataset(model, Dataset(np.zeros((4, 2, 1)), np.array([0.0, 1, 0, 1])), "d.csv")


def test_byte_order_mark_is_dropped(capsys, work):
    path = work / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("a,b,y\n" + _rows([0, 1] * 2)).encode())
    assert load_csv(path, feature_columns=["a", "b"], label_column="y", steps=2).inputs.shape \
        == (4, 2, 1)
    argv = _train(path)
    argv[argv.index("a,b")] = "x0,b"
    err = _error(capsys, *argv)
    assert "missing column 'x0'; columns: a, b, y" in err and "\ufeff" not in err


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_scheduler_connection_fails_at_once(closed_port):
    start = time.perf_counter()
    with pytest.raises(qc.BackendError, match="connection refused"):
        open_executor(f"tcp://127.0.0.1:{closed_port}")
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("address, message", [
    ("tcp://127.0.0.1:99999", "port '99999' is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:http", "port 'http' is not a number"),
    ("tcp://127.0.0.1", "expected tcp://HOST:PORT"),
    ("tcp://:8786", "expected tcp://HOST:PORT"),
])
def test_invalid_scheduler_address(capsys, address, message):
    start = time.perf_counter()
    assert message in _error(capsys, "sweep", "wdbc", "--devices", "rainbow", "--scheduler",
                             address)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("content, message", [
    ("[1, 2]", "not a qru_compile checkpoint (expected a JSON object, got a list)"),
    ("{}", "not a qru_compile checkpoint: missing field(s) 'model', 'params', 'config'"),
    ('{"model": 1, "params": [], "config": {}}', "model: a model must be a JSON object"),
])
def test_checkpoint_errors_hide_python_internals(capsys, tmp_path, content, message):
    (tmp_path / "c.json").write_text(content)
    assert f"c.json: {message}" in _error(capsys, "evaluate", tmp_path / "c.json")


@pytest.mark.parametrize("config, message", [
    ({"epochs": 30, "speed": 2}, "config: unknown field(s) 'speed'; allowed: epochs,"),
    ({"epochs": "30"}, "config: epochs: expected an integer, got '30'"),
    ({"device": 5}, "config: device: expected a string or null, got 5"),
    ({"epochs": 0}, "config: epochs must be at least 1, got 0"),
])
def test_checkpoint_config_errors_name_the_field(capsys, tmp_path, checkpoint_json, config,
                                                 message):
    path = _checkpoint(tmp_path / "c.json", checkpoint_json, config=config)
    assert f"c.json: {message}" in _error(capsys, "evaluate", path)


def test_checkpoint_history_errors_name_the_record(tmp_path, checkpoint_json):
    path = _checkpoint(tmp_path / "c.json", checkpoint_json, history=[{"epoch": 1}])
    with pytest.raises(qc.InputError, match="history\\[0\\]: missing field\\(s\\) 'train_loss'"):
        Checkpoint.load(path)


def test_openqasm_2_is_named():
    program = "// from another tool\nOPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\n"
    with pytest.raises(QasmError, match="line 2: an OpenQASM 2.0 program; import_qasm3 reads "
                                        "OpenQASM 3"):
        qc.import_qasm3(program)


# --- main(): the package's errors are one line, anything else is a bug shown in full ------------


def test_a_multi_line_error_is_reported_as_one_line(capsys, monkeypatch):
    def fail(args):
        raise qc.InputError("first line\n  second line\n")
    monkeypatch.setattr(commands, "cmd_models", fail)
    assert _error(capsys, "models") == "qru: error: first line; second line"


def test_an_unexpected_exception_is_not_hidden(monkeypatch):
    def bug(args):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr(commands, "cmd_models", bug)
    with pytest.raises(ZeroDivisionError, match="a bug"):
        main(["models"])


def test_usage_errors_are_one_line(capsys):
    err = _error(capsys, "train", "--bogus")
    assert "unrecognized arguments: --bogus" in err and "usage:" not in err
