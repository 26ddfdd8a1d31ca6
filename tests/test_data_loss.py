"""Bad input never loses a finished run (issue 14): run manifests, output names and paths.

A refused rerun must leave every byte of the old run directory as it was, so those tests hash
the directory's files before and after. The runs are tiny (a 4-qubit model, 24 sequences of 2
steps, one epoch, 2 folds); one finished run is made per module and copied into each test.
"""

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import qru_compile as qc
from qru_compile.cli import main
from qru_compile.train import cross_validation, oscillation_task, tasks
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.data import Dataset, load_csv
from qru_compile.train.loop import EpochRecord, TrainConfig
from qru_compile.train.run_manifest import RUN_FILE, data_fingerprint

TOY = qc.QRUModel(I=1, H=4, L=1, gate="ry", layer_gates=("ry",),
                  readout=qc.Readout("binary", scale=True), name="toy")
RESUME_HINT = "To resume it, run again with its options; to start afresh, choose another --output"


def _write_csv(path: Path, *, seed: int = 0, rows: int = 24) -> Path:
    """Separable sequences of 2 steps: the label is whether the last value exceeds 1/2."""
    x = np.random.default_rng(seed).uniform(0, 1, (rows, 2))
    lines = ["a,b,y"] + [f"{a!r},{b!r},{int(b > 0.5)}" for a, b in x.tolist()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _train_argv(work: Path, *extra: str, data: str = "data.csv",
                model: str = "toy.json") -> list[str]:
    """``qru train`` on the CSV run in ``work/run``; later options in ``extra`` win."""
    return ["train", "--data", str(work / data), "--model", str(work / model), "--steps", "2",
            "--columns", "a,b", "--label", "y", "--epochs", "1", "--folds", "2",
            "--restarts", "1", "--val-fraction", "0", "--output", str(work / "run"), *extra]


def _snapshot(directory: Path) -> dict[str, str]:
    """sha256 of every file under ``directory``, by relative path (the keys are the list)."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in directory.iterdir()}


def _refused(capsys, directory: Path, argv: list[str]) -> str:
    """Run ``argv``, expect a one-line error and ``directory`` unchanged; the message."""
    before = _snapshot(directory)
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("qru: error: ") and len(err.strip().splitlines()) == 1
    assert _snapshot(directory) == before
    return err


def _no_training(monkeypatch) -> None:
    monkeypatch.setattr(cross_validation, "fit",
                        lambda *a, **k: pytest.fail("a finished fold was redone"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A directory with ``data.csv``, ``toy.json`` and the finished 2-fold run ``run/``."""
    work = tmp_path_factory.mktemp("finished")
    _write_csv(work / "data.csv")
    TOY.save(work / "toy.json")
    assert main(_train_argv(work)) == 0
    return work


@pytest.fixture
def work(finished, tmp_path, capsys) -> Path:
    """A copy of the finished run for one test to rerun."""
    shutil.copytree(finished, tmp_path, dirs_exist_ok=True)
    capsys.readouterr()
    return tmp_path


# --- the manifest ---------------------------------------------------------------------------


def test_manifest_describes_the_run(work):
    manifest = json.loads((work / "run" / RUN_FILE).read_text())
    data = load_csv(work / "data.csv", feature_columns=["a", "b"], label_column="y", steps=2)
    assert manifest == {
        "task": "data", "data": data_fingerprint(data), "model": TOY.to_dict(),
        "config": json.loads(json.dumps(dataclasses.asdict(
            dataclasses.replace(tasks.TASKS["wdbc"].config, epochs=1)))),
        "folds": 2, "val_fraction": 0.0, "restarts": 1}
    assert manifest["data"]["inputs_shape"] == [24, 2, 1]
    assert not (work / "run" / f"{RUN_FILE}.tmp").exists()


def test_data_fingerprint_sees_every_value_and_the_shapes():
    x = np.arange(12.0).reshape(6, 2, 1)
    y = np.array([0.0, 1, 0, 1, 0, 1])
    base = data_fingerprint(Dataset(x, y))
    assert data_fingerprint(Dataset(x.copy(), y.copy(), "other name")) == base
    changed = x.copy()
    changed[5, 1, 0] += 1e-12
    assert data_fingerprint(Dataset(changed, y))["sha256"] != base["sha256"]
    assert data_fingerprint(Dataset(x, 1 - y))["sha256"] != base["sha256"]
    reshaped = data_fingerprint(Dataset(x.reshape(6, 1, 2), y))  # the same bytes
    assert reshaped["sha256"] != base["sha256"] and reshaped["inputs_shape"] == [6, 1, 2]


# --- reruns of the same run resume ----------------------------------------------------------


def test_identical_rerun_skips_finished_folds(capsys, monkeypatch, work):
    run = work / "run"
    summary = json.loads((run / "summary.json").read_text())
    mtimes = _mtimes(run)
    _no_training(monkeypatch)
    assert main(_train_argv(work)) == 0
    capsys.readouterr()
    assert json.loads((run / "summary.json").read_text()) == summary
    del mtimes["summary.json"]
    assert {name: _mtimes(run)[name] for name in mtimes} == mtimes


def test_interrupted_run_trains_only_its_unfinished_fold(capsys, work):
    run = work / "run"
    for name in ("fold1.json", "fold1_loss.png", "summary.json"):
        (run / name).unlink()
    kept = _mtimes(run)
    assert main(_train_argv(work)) == 0
    capsys.readouterr()
    assert (run / "fold1.json").exists() and (run / "summary.json").exists()
    assert {name: _mtimes(run)[name] for name in kept} == kept


def test_only_folds_trains_a_subset_and_the_rest_follows(capsys, work):
    """``--only-folds 1`` into a fresh directory trains fold 1 alone; the full run then adds
    fold 0 and keeps fold 1's file untouched."""
    first = _train_argv(work, "--only-folds", "1", "--output", str(work / "part"))
    assert main(first) == 0
    assert "folds 1 of 2 accuracy" in capsys.readouterr().out
    part = work / "part"
    assert (part / "fold1.json").exists() and not (part / "fold0.json").exists()
    assert json.loads((part / "summary.json").read_text())["folds_run"] == [1]
    kept = _mtimes(part)["fold1.json"]
    assert main(_train_argv(work, "--output", str(part))) == 0
    capsys.readouterr()
    assert (part / "fold0.json").exists() and _mtimes(part)["fold1.json"] == kept
    assert json.loads((part / "summary.json").read_text())["folds_run"] == [0, 1]


# --- reruns of another run are refused ------------------------------------------------------


@pytest.mark.parametrize(
    "option, message",
    [
        (("--folds", "3"), "folds 2 -> 3"),
        (("--restarts", "2"), "restarts 1 -> 2"),
        (("--val-fraction", "0.2"), "val_fraction 0.0 -> 0.2"),
        (("--epochs", "2"), "config.epochs 1 -> 2"),
        (("--seed", "5"), "config.seed 0 -> 5"),
        (("--batch-size", "4"), "config.batch_size 20 -> 4"),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else None,
)
def test_rerun_with_other_options_is_refused(capsys, monkeypatch, work, option, message):
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run", _train_argv(work, *option))
    assert f"{work / 'run'} holds another run (run.json): {message}." in err
    assert RESUME_HINT in err and f"or delete {work / 'run'}" in err


def test_rerun_with_other_model_names_its_fields(capsys, monkeypatch, work):
    dataclasses.replace(TOY, H=3, name="small").save(work / "small.json")
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run", _train_argv(work, model="small.json"))
    assert "model.name 'toy' -> 'small'; model.H 4 -> 3" in err
    assert "config" not in err and "data." not in err


def test_rerun_with_changed_data_values_is_refused(capsys, monkeypatch, work):
    _write_csv(work / "changed" / "data.csv", seed=1)  # the same name, other values
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run", _train_argv(work, data="changed/data.csv"))
    assert "run.json): data.sha256 '" in err and "task" not in err


def test_another_task_in_a_csv_runs_directory_is_refused(capsys, monkeypatch, work):
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run",
                   ["train", "wdbc", "--epochs", "1", "--output", str(work / "run")])
    for change in ("task 'data' -> 'wdbc'", "data.sha256", "data.inputs_shape [24, 2, 1] -> "
                   "[569, 30, 1]", "model.name 'toy' -> 'wdbc'", "folds 2 -> 5",
                   "restarts 1 -> 2"):
        assert change in err


def test_refused_rerun_keeps_an_interrupted_runs_training_state(capsys, monkeypatch, work):
    run = work / "run"
    (run / "fold1.json").unlink()
    (run / "summary.json").unlink()
    (run / "fold1.r0.state.json").write_text('{"epoch": 3}')
    _no_training(monkeypatch)
    err = _refused(capsys, run, _train_argv(work, "--epochs", "2"))
    assert "config.epochs 1 -> 2" in err


def test_unreadable_manifest_is_refused(capsys, monkeypatch, work):
    (work / "run" / RUN_FILE).write_text('{"task": ')
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run", _train_argv(work))
    assert f"{work / 'run' / RUN_FILE}: not valid JSON" in err


# --- directories of an older version, without a manifest ------------------------------------


def test_legacy_directory_of_the_same_run_resumes_and_gets_a_manifest(capsys, monkeypatch, work):
    run = work / "run"
    (run / RUN_FILE).unlink()
    mtimes = _mtimes(run)
    del mtimes["summary.json"]
    _no_training(monkeypatch)
    assert main(_train_argv(work)) == 0
    capsys.readouterr()
    assert {name: _mtimes(run)[name] for name in mtimes} == mtimes
    assert json.loads((run / RUN_FILE).read_text())["model"] == TOY.to_dict()


def test_legacy_directory_with_another_model_is_refused(capsys, monkeypatch, work):
    (work / "run" / RUN_FILE).unlink()
    dataclasses.replace(TOY, H=3).save(work / "small.json")
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run", _train_argv(work, model="small.json"))
    assert "written without run.json by an older version" in err
    assert "fold0.json: model.H 4 -> 3; fold1.json: model.H 4 -> 3" in err
    assert RESUME_HINT in err


def test_legacy_directory_with_another_split_is_refused(capsys, monkeypatch, work):
    run = work / "run"
    (run / RUN_FILE).unlink()
    (run / "summary.json").unlink()  # interrupted: only the checkpoints tell
    _write_csv(work / "changed" / "data.csv", seed=1, rows=26)
    _no_training(monkeypatch)
    err = _refused(capsys, run, _train_argv(work, data="changed/data.csv"))
    assert "fold0.json: test_index [12 values] -> [13 values]" in err


def test_legacy_directory_with_other_folds_is_refused(capsys, monkeypatch, work):
    (work / "run" / RUN_FILE).unlink()
    _no_training(monkeypatch)
    err = _refused(capsys, work / "run", _train_argv(work, "--folds", "3"))
    assert "fold0.json: test_index" in err and "summary.json: folds 2 -> 3" in err


def test_legacy_training_states_are_refused(capsys, monkeypatch, work):
    run = work / "run"
    (run / RUN_FILE).unlink()
    (run / "fold1.json").unlink()
    (run / "fold1.r0.state.json").write_text('{"epoch": 3}')
    _no_training(monkeypatch)
    err = _refused(capsys, run, _train_argv(work))
    assert "training states of an older version (fold1.r0.state.json)" in err
    assert "delete them to resume" in err


# --- oscillation restarts -------------------------------------------------------------------


def _cheap_restart(job: oscillation_task.RestartJob, **_) -> Checkpoint:
    """A stand-in for :func:`oscillation_task.run_restart` (a real restart takes seconds)."""
    model = tasks.TASKS["oscillation"].model
    return Checkpoint(model, model.initial_parameters(seed=job.restart), job.config,
                      {"train_mse": 0.1, "test_mse": 0.2 + job.restart, "stopped": "epochs"},
                      (EpochRecord(1, 0.1, None, None, 0.2, 0.0),), "oscillation",
                      {"restart": job.restart})


def test_oscillation_restarts_resume_or_refuse(monkeypatch, tmp_path):
    monkeypatch.setattr(oscillation_task, "run_restart", _cheap_restart)
    monkeypatch.setattr(oscillation_task, "oscillation_baselines", lambda seed: {})
    config = dataclasses.replace(tasks.TASKS["oscillation"].config, epochs=1)
    first = oscillation_task.oscillation_restarts(config, restarts=2, output=tmp_path)
    assert json.loads((tmp_path / RUN_FILE).read_text())["restarts"] == 2
    mtimes = _mtimes(tmp_path)
    monkeypatch.setattr(oscillation_task, "run_restart",
                        lambda *a, **k: pytest.fail("restart redone"))
    assert oscillation_task.oscillation_restarts(config, restarts=2, output=tmp_path) == first
    assert _mtimes(tmp_path)["restart1.json"] == mtimes["restart1.json"]
    before = _snapshot(tmp_path)
    with pytest.raises(qc.InputError, match="restarts 2 -> 3"):
        oscillation_task.oscillation_restarts(config, restarts=3, output=tmp_path)
    with pytest.raises(qc.InputError, match=r"config\.learning_rate 0\.2 -> 0\.1"):
        oscillation_task.oscillation_restarts(dataclasses.replace(config, learning_rate=0.1),
                                   restarts=2, output=tmp_path)
    (tmp_path / RUN_FILE).unlink()
    legacy = _snapshot(tmp_path)
    with pytest.raises(qc.InputError, match="summary.json: restarts 2 -> 3"):
        oscillation_task.oscillation_restarts(config, restarts=3, output=tmp_path)
    assert _snapshot(tmp_path) == legacy
    assert set(before) - set(legacy) == {RUN_FILE}


def test_library_refuses_a_file_as_run_directory(tmp_path):
    (tmp_path / "file").write_text("keep")
    data = Dataset(np.zeros((4, 2, 1)), np.array([0.0, 1, 0, 1]), "toy")
    with pytest.raises(qc.InputError, match="output .*file: is a file, not a directory"):
        cross_validation.cross_validate(TOY, data, TrainConfig(epochs=1), folds=2, val_fraction=0.0,
                             output=tmp_path / "file")
    assert (tmp_path / "file").read_text() == "keep"


# --- export: names stay inside the output directory -----------------------------------------


@pytest.mark.parametrize("name", ["../outside", "..", "sub/inner", "/tmp/absolute"])
@pytest.mark.parametrize("command", ["export", "compile"])
def test_model_names_cannot_write_outside_the_output_directory(capsys, tmp_path, name, command):
    dataclasses.replace(qc.QRUModel.preset("wdbc"), name=name).save(tmp_path / "model.json")
    (tmp_path / "out").mkdir()
    target = ["-o", str(tmp_path / "out")] if command == "export" else \
        ["--qasm3", str(tmp_path / "out")]
    err = _refused(capsys, tmp_path,
                   [command, str(tmp_path / "model.json"), "--device", "rainbow", *target])
    assert f"model name {name!r} is not a plain file name" in err
    assert not list((tmp_path / "out").iterdir())


# --- an --output that is a file or lies under one -------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "wdbc", "--output", "{file}"], "--output {file}: is a file, not a directory"),
        (["train", "wdbc", "--output", "{file}/run"], "--output {file}/run: cannot be created, "
                                                      "{file} is a file"),
        (["export", "wdbc", "--device", "rainbow", "-o", "{file}"],
         "--output {file}: is a file, not a directory"),
        (["export", "wdbc", "--device", "rainbow", "-o", "{file}/a/b"],
         "--output {file}/a/b: cannot be created, {file} is a file"),
        (["compile", "wdbc", "--device", "rainbow", "--qasm3", "{file}"],
         "--qasm3 {file}: is a file, not a directory"),
        (["compile", "wdbc", "--device", "rainbow", "--output", "{file}/report.txt"],
         "--output {file}/report.txt: cannot be created, {file} is a file"),
        (["compile", "wdbc", "--device", "rainbow", "--output", "{dir}"],
         "--output {dir}: is a directory, not a file"),
        (["simulate", "wdbc", "--params", "p.json", "--inputs", "x.json", "--output",
          "{file}/out.json"], "--output {file}/out.json: cannot be created, {file} is a file"),
        (["simulate", "wdbc", "--params", "p.json", "--inputs", "x.json", "--output", "{dir}"],
         "--output {dir}: is a directory, not a file"),
    ],
    ids=["train-file", "train-under-file", "export-file", "export-under-file",
         "compile-qasm3-file", "compile-output-under-file", "compile-output-dir",
         "simulate-under-file", "simulate-dir"],
)
def test_output_that_is_a_file_or_under_one_is_refused(capsys, tmp_path, argv, message):
    (tmp_path / "file").write_text("keep")
    (tmp_path / "dir").mkdir()
    paths = {"file": tmp_path / "file", "dir": tmp_path / "dir"}
    err = _refused(capsys, tmp_path, [arg.format(**paths) for arg in argv])
    assert err == f"qru: error: {message.format(**paths)}\n"
