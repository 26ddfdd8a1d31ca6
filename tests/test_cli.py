import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import qru_compile as qc
from qru_compile.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_models_table(capsys):
    status, out, _ = run(capsys, "models")
    assert status == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:5]}
    # qubits, params, gates, CNOT, CSWAP, depth
    assert rows["oscillation"][7:] == ["8", "72", "68", "30", "2", "39"]
    assert rows["wdbc"][7:] == ["7", "35", "47", "20", "2", "28"]
    assert rows["mnist"][7:] == ["10", "132", "92", "41", "2", "43"]


def test_show_preset_and_file(capsys, tmp_path):
    status, out, _ = run(capsys, "show", "wdbc")
    assert status == 0
    assert "per step: 47 gates (20 CNOT, 2 CSWAP), depth 28, 25 angle slots" in out
    assert "enc_h7" in out and "hidden_w7 * arcsin(h[7]) + hidden_b7" in out
    assert "34  scale" in out
    path = tmp_path / "m.json"
    qc.QRUModel(I=3, H=4, L=1, name="mine").save(path)
    status, out, _ = run(capsys, "show", str(path))
    assert status == 0 and out.startswith("model mine: I=3 H=4 L=1")


def test_simulate_matches_library(capsys, tmp_path, golden_wdbc):
    params, inputs = tmp_path / "p.json", tmp_path / "x.json"
    params.write_text(json.dumps(golden_wdbc["params"]))
    inputs.write_text(json.dumps({"inputs": golden_wdbc["inputs"]}))
    output = tmp_path / "out" / "result.json"
    status, out, _ = run(capsys, "simulate", "wdbc", "--params", str(params), "--inputs",
                         str(inputs), "--backend", "cirq", "--output", str(output))
    assert status == 0 and f"wrote {output}" in out
    result = json.loads(output.read_text())
    expected = np.array([step["outs"] for step in golden_wdbc["steps"]])
    np.testing.assert_allclose(result["outs"], expected, atol=1e-9)
    status, out, _ = run(capsys, "simulate", "wdbc", "--params", str(params), "--inputs",
                         str(inputs), "--backend", "cirq")
    np.testing.assert_allclose(json.loads(out)["outs"], expected, atol=1e-9)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["show", "nope"], "unknown preset 'nope'; known presets: oscillation, wdbc, mnist"),
        (["show", "{tmp}/missing.json"], "missing.json: cannot read model file"),
        (["show", "{tmp}/bad.json"], "bad.json: gate: unknown gate 'cz'"),
        (["simulate", "wdbc", "--params", "{tmp}/notjson.json", "--inputs", "{tmp}/x.json"],
         "notjson.json: not valid JSON"),
        (["simulate", "wdbc", "--params", "{tmp}/short.json", "--inputs", "{tmp}/x.json"],
         "params: model 'wdbc' has 34 circuit parameters"),
        (["simulate", "wdbc", "--params", "{tmp}/obj.json", "--inputs", "{tmp}/x.json"],
         "obj.json: expected an array or an object with key 'params'"),
        (["simulate", "wdbc", "--params", "{tmp}/p.json", "--inputs", "{tmp}/nan.json"],
         "inputs: 1 value(s) are NaN or infinite"),
        (["train", "wdbc", "--scheduler", "tcp://127.0.0.1:9", "--output", "{tmp}/run"],
         "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
        (["train", "wdbc", "--scheduler", "locl:2", "--output", "{tmp}/run"],
         "--scheduler 'locl:2': expected 'local', 'local:N' or 'tcp://HOST:PORT'"),
        (["sweep", "wdbc", "--devices", "rainbow,nowhere"], "unknown device 'nowhere'"),
    ],
)
def test_errors_are_one_line_without_traceback(capsys, tmp_path, argv, message):
    (tmp_path / "bad.json").write_text('{"I": 1, "H": 4, "L": 1, "gate": "cz"}')
    (tmp_path / "notjson.json").write_text("[1, 2")
    (tmp_path / "short.json").write_text("[1, 2]")
    (tmp_path / "obj.json").write_text('{"weights": [1]}')
    (tmp_path / "p.json").write_text(json.dumps([0.1] * 34))
    (tmp_path / "x.json").write_text("[[[0.5]]]")
    (tmp_path / "nan.json").write_text("[[[0.5], [NaN]]]")
    status, _out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert status == 2
    assert err.startswith("qru: error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_usage_errors_exit_nonzero(capsys):
    assert main(["simulate", "wdbc"]) == 2
    err = capsys.readouterr().err
    assert "required: --params, --inputs" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["qru"], ["-m", "qru_compile"]])
def test_console_script_and_module_entry_point(command):
    if command == ["qru"]:
        command = [str(Path(sys.executable).parent / "qru")]
    else:
        command = [sys.executable, *command]
    done = subprocess.run([*command, "show", "nope"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "qru: error: unknown preset 'nope'; known presets: oscillation, wdbc, mnist")


def test_devices_table(capsys):
    status, out, _ = run(capsys, "devices")
    assert status == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]if line.strip()}
    assert rows["willow_pink"][1:4] == ["105", "182", "cz"]
    assert rows["rainbow"][5] == "4000"  # corrected measurement time


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_compile_report_formats(capsys, tmp_path, fmt):
    output = tmp_path / f"report.{fmt}"
    status, out, _ = run(capsys, "compile", "wdbc", "--device", "rainbow", "--format", fmt,
                         "--output", str(output))
    assert status == 0 and f"wrote {output}" in out
    text = output.read_text()
    if fmt == "json":
        assert json.loads(text)["device"] == "rainbow"
    else:
        assert "certificate" in text and "place" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compile", "wdbc", "--device", "nowhere"], "unknown device 'nowhere'; known devices:"),
        (["compile", "mnist", "--device", "line5"], "the step needs 10 qubits but device line5"),
        (["compile", "wdbc", "--device", "Sycamore", "--gateset", "cz"],
         "device 'Sycamore' does not support gateset 'cz'"),
    ],
)
def test_compile_errors(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


def test_backend_option_on_simulate_train_and_evaluate(capsys, tmp_path, golden_wdbc):
    """--backend reaches the simulator on all three commands (and --device on simulate)."""
    params, inputs = tmp_path / "p.json", tmp_path / "x.json"
    params.write_text(json.dumps(golden_wdbc["params"]))
    inputs.write_text(json.dumps(golden_wdbc["inputs"]))
    outs = {}
    for backend in ("numpy", "qsim"):
        status, out, _ = run(capsys, "simulate", "wdbc", "--params", str(params), "--inputs",
                             str(inputs), "--backend", backend, "--device", "rainbow")
        assert status == 0
        outs[backend] = json.loads(out)
        assert outs[backend]["backend"] == backend
        assert outs[backend]["step"] == "compiled for rainbow"
    np.testing.assert_allclose(outs["qsim"]["outs"], outs["numpy"]["outs"], atol=1e-5)
    expected = np.array([step["outs"] for step in golden_wdbc["steps"]])
    np.testing.assert_allclose(outs["numpy"]["outs"], expected, atol=1e-9)

    rows = ["a,b,label"] + [f"{0.1 * i},{1 - 0.1 * i},{i % 2}" for i in range(8)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    qc.QRUModel(I=1, H=4, L=1, name="tiny", readout=qc.Readout(kind="binary")).save(
        tmp_path / "m.json")
    fits = {}
    for backend in ("numpy", "cirq"):
        status, _, err = run(capsys, "train", "--data", str(tmp_path / "d.csv"), "--model",
                             str(tmp_path / "m.json"), "--columns", "a,b", "--label", "label",
                             "--steps", "2", "--folds", "2", "--epochs", "1", "--restarts", "1",
                             "--backend", backend, "--output", str(tmp_path / backend))
        assert status == 0, err
        fits[backend] = json.loads((tmp_path / backend / "fold0.json").read_text())
        assert fits[backend]["config"]["backend"] == backend
    np.testing.assert_allclose(fits["cirq"]["params"], fits["numpy"]["params"], atol=1e-10)

    from qru_compile.train.checkpoint import Checkpoint
    from qru_compile.train.loop import TrainConfig

    model = qc.QRUModel.preset("wdbc")
    Checkpoint(model, model.initial_parameters(seed=0), TrainConfig(), {}, (), "wdbc",
               {"test_index": [0, 5, 9]}).save(tmp_path / "wdbc.json")
    scores = {}
    for backend in ("numpy", "cirq"):
        status, out, _ = run(capsys, "evaluate", str(tmp_path / "wdbc.json"), "--backend",
                             backend)
        assert status == 0
        scores[backend] = json.loads(out)
        assert scores[backend]["backend"] == backend and scores[backend]["samples"] == 3
    assert scores["cirq"]["ideal"]["loss"] == pytest.approx(scores["numpy"]["ideal"]["loss"],
                                                            abs=1e-9)


def test_noisy_evaluate_with_mitigation_reports_what_it_spent(capsys, tmp_path):
    """``--noise --shots --mitigation`` on a checkpoint trained for a device: the device comes
    from the checkpoint, the report names the mitigation and the shots spent per sample."""
    from qru_compile.train.checkpoint import Checkpoint
    from qru_compile.train.loop import TrainConfig

    model = qc.QRUModel.preset("wdbc")
    Checkpoint(model, model.initial_parameters(seed=0), TrainConfig(device="willow_pink"), {},
               (), "wdbc", {"test_index": [3, 7]}).save(tmp_path / "c.json")
    reports = {}
    for mitigation in ("none", "readout+zne"):
        status, out, err = run(capsys, "evaluate", str(tmp_path / "c.json"), "--noise",
                               "--shots", "100", "--trajectories", "4", "--mitigation",
                               mitigation)
        assert status == 0, err
        reports[mitigation] = json.loads(out)
    assert reports["none"]["device"] == "willow_pink" and reports["none"]["samples"] == 2
    assert reports["none"]["shots_per_sample"] == 30 * 2 * 100  # steps x bases x shots
    assert reports["readout+zne"]["mitigation"] == "readout+zne"
    assert reports["readout+zne"]["shots_per_sample"] == 2 * 30 * 2 * 100  # scales 1 and 3
    assert reports["none"]["ideal"] == reports["readout+zne"]["ideal"]


def test_the_command_line_and_the_library_share_one_training_entry_point(capsys, tmp_path):
    """``qru train --data`` and ``train_task(TrainRequest(...))`` write the same checkpoints."""
    from qru_compile.train.data import load_csv
    from qru_compile.train.run_task import TrainRequest, train_task

    rows = ["a,b,label"] + [f"{0.1 * i},{1 - 0.1 * i},{i % 2}" for i in range(8)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    model = qc.QRUModel(I=1, H=4, L=1, name="tiny", readout=qc.Readout(kind="binary"))
    model.save(tmp_path / "m.json")
    status, out, err = run(capsys, "train", "--data", str(tmp_path / "d.csv"), "--model",
                           str(tmp_path / "m.json"), "--columns", "a,b", "--label", "label",
                           "--steps", "2", "--folds", "2", "--epochs", "2", "--restarts", "1",
                           "--output", str(tmp_path / "cli"))
    assert status == 0, err
    data = load_csv(tmp_path / "d.csv", feature_columns=["a", "b"], label_column="label",
                    steps=2)
    outcome = train_task(TrainRequest(data=data, model=model, overrides={"epochs": 2},
                                      folds=2, restarts=1, output=tmp_path / "api"))
    assert outcome.name == "d" and f"{outcome.summary['mean_accuracy']:.4f}" in out
    for fold in ("fold0.json", "fold1.json"):
        cli_fold = json.loads((tmp_path / "cli" / fold).read_text())
        api_fold = json.loads((tmp_path / "api" / fold).read_text())
        assert cli_fold["params"] == api_fold["params"]
    with pytest.raises(qc.OptionError, match="give a task name .* or data, not both"):
        TrainRequest()
    with pytest.raises(qc.OptionError, match="oscillation has restarts, not folds"):
        TrainRequest(task="oscillation", only_folds=[0])
