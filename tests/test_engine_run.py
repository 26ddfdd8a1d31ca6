"""Running compiled steps through cirq_google's Engine API (qru_compile.engine_run, `qru run`)."""

import json
import time

import numpy as np
import pytest

import qru_compile as qc
from qru_compile import device_time, engine_processors, engine_run
from qru_compile.cli import main
from qru_compile.device_time import CircuitTiming
from qru_compile.engine_processors import EngineSpec
from qru_compile.train.checkpoint import Checkpoint

SHOTS = 2000


@pytest.fixture(scope="module")
def wdbc_willow():
    return qc.compile(qc.QRUModel.preset("wdbc"), "willow_pink")


@pytest.fixture
def wdbc_checkpoint(tmp_path):
    from qru_compile.train.checkpoint import Checkpoint
    from qru_compile.train.loop import TrainConfig

    model = qc.QRUModel.preset("wdbc")
    path = tmp_path / "wdbc.json"
    Checkpoint(model, model.initial_parameters(seed=0), TrainConfig(), {}, (), "wdbc",
               {"test_index": [0, 5, 9]}).save(path)
    return path


def _repetition_seconds(result):
    """Device seconds of one Z-basis and one X-basis repetition of the compiled step.

    Derived from the step's own timings (their values are checked in
    test_circuit_timings_of_willow_pink): the critical path differs by a single-qubit layer
    between machines (2277 ns where this test was written, 2252 ns on an AMD EPYC; 35 CZ both).
    """
    timings, _ = device_time.circuit_timings(result)
    return sum(t.total_ns for t in timings.values()) * 1e-9


def _within_shot_noise(estimate, exact, shots):
    error = np.sqrt(np.clip(1.0 - exact**2, 0.0, None) / shots)
    return np.abs(estimate - exact) <= 4 * error + 2.0 / shots


@pytest.mark.parametrize("absorb", [0, 2])
def test_noiseless_engine_agrees_with_exact_simulation(wdbc_willow, absorb):
    """Also with 2 ring CNOTs absorbed: the engine run then averages parities of the bits."""
    if absorb:
        wdbc_willow = qc.compile(wdbc_willow.model, "willow_pink", absorb_ring=absorb)
        assert max(len(o) for o in wdbc_willow.observables) > 1
    model = wdbc_willow.model
    params = model.initial_parameters(seed=3)
    inputs = np.random.default_rng(7).uniform(0, 1, size=(2, 3, model.I))
    processor = engine_processors.open_processor("qvm-noiseless:willow_pink", seed=11)
    run = engine_run.run_sequences(wdbc_willow, processor, params, inputs, repetitions=SHOTS)
    steps, batch = inputs.shape[1], inputs.shape[0]
    assert run.outs.shape == (steps, batch, model.output_size)
    assert run.hidden.shape == (steps, batch, model.hidden_size)
    hidden = None
    for t in range(steps):
        # the exact step from the hidden values the engine run fed forward (zeros at t = 0)
        exact = qc.simulate_sequence(wdbc_willow, params, inputs[:, t:t + 1], backend="numpy",
                                     initial_hidden=hidden)
        assert _within_shot_noise(run.outs[t], exact.outs[0], SHOTS).all(), t
        assert _within_shot_noise(run.hidden[t], exact.hidden[0], SHOTS).all(), t
        hidden = run.hidden[t]
    report = run.report
    assert report["circuits"] == 2 * steps * batch and report["jobs"] == 2 * steps
    assert report["shots"] == 2 * steps * batch * SHOTS
    if not absorb:
        assert report["device_seconds"] == pytest.approx(
            steps * batch * SHOTS * _repetition_seconds(wdbc_willow))


def test_circuit_timings_of_willow_pink(wdbc_willow):
    timings, notes = device_time.circuit_timings(wdbc_willow)
    assert notes == ()
    for basis in ("Z", "X"):
        assert timings[basis].measure_ns == 600.0 and timings[basis].reset_ns == 160.0
        assert timings[basis].step_ns == pytest.approx(wdbc_willow.report.final.duration_ns)


def test_rainbow_measurement_and_reset_corrections():
    measure = qc.get_device("rainbow").durations_ns["measure"]
    assert measure == 4000.0  # the template's 4 ms, corrected
    reset, note = device_time.reset_duration_ns(qc.get_device("rainbow"))
    assert reset == 0.0 and "no reset duration" in note


def test_cost_formula_by_hand():
    timings = {"Z": CircuitTiming(1000.0, 600.0, 160.0), "X": CircuitTiming(1025.0, 600.0, 160.0)}
    # 3 circuits per basis x 100 shots x (1760 + 1785) ns
    assert device_time.estimated_device_seconds(timings, 3, 100) == pytest.approx(1.0635e-3)
    cost = device_time.training_epoch_cost(timings, samples=10, steps=4, slots=5, repetitions=100)
    # per basis 10 samples x 4 steps x (2*5 + 1) = 440 circuits
    assert cost["circuits"] == 880 and cost["shots"] == 88_000
    assert cost["device_seconds"] == pytest.approx(440 * 100 * 3545e-9)


def test_engine_specs():
    assert EngineSpec.parse("qvm:willow_pink") == EngineSpec("qvm", "willow_pink")
    assert EngineSpec.parse("google:willow_pink:cfg") == EngineSpec("google", "willow_pink", "cfg")
    for bad in ("willow_pink", "ibm:willow_pink", "qvm:", "qvm:rainbow:cfg", ""):
        with pytest.raises(qc.BackendError, match="unknown engine"):
            EngineSpec.parse(bad)
    with pytest.raises(qc.BackendError, match="virtual processors: rainbow, weber, willow_pink"):
        engine_processors.open_processor("qvm:Sycamore")


def test_google_hand_off_fails_in_one_line(monkeypatch, capsys, wdbc_checkpoint):
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    status = main(["run", str(wdbc_checkpoint), "--engine", "google:willow_pink",
                   "--shots", "100"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("qru: error: engine google:willow_pink: ")
    assert "GOOGLE_CLOUD_PROJECT" in err


def test_google_hand_off_failures_are_caught_and_bounded(monkeypatch):
    import cirq_google

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "qru-test-project")

    def refuse(project_id=None):
        raise OSError("Could not automatically determine credentials.\nsecond line")

    monkeypatch.setattr(cirq_google, "get_engine", refuse)
    with pytest.raises(qc.BackendError) as info:
        engine_processors.open_processor("google:willow_pink")
    assert "\n" not in str(info.value) and "OSError: Could not automatically" in str(info.value)

    monkeypatch.setattr(cirq_google, "get_engine", lambda project_id=None: time.sleep(5))
    start = time.perf_counter()
    with pytest.raises(qc.BackendError, match="did not answer within 0.2 s"):
        engine_processors.open_processor("google:willow_pink", timeout=0.2)
    assert time.perf_counter() - start < 2


def test_cli_errors_for_bad_engine_and_shots(capsys, wdbc_checkpoint):
    for argv, message in ((["--engine", "ibm:foo", "--shots", "10"], "unknown engine 'ibm:foo'"),
                          (["--engine", "qvm:willow_pink", "--shots", "0"], "--shots")):
        assert main(["run", str(wdbc_checkpoint), *argv]) == 2
        _, err = capsys.readouterr()
        assert err.count("\n") == 1 and message in err


def test_cli_run_noiseless(capsys, wdbc_checkpoint, wdbc_willow, monkeypatch):
    # one short test sequence: the report's fields and their arithmetic
    from qru_compile.train import data as datasets
    from qru_compile.train.tasks import TASKS

    full = TASKS["wdbc"].load()
    short = datasets.Dataset(full.inputs[:, :2], full.targets, full.name)
    monkeypatch.setitem(TASKS, "wdbc", _with_loader(TASKS["wdbc"], short))
    monkeypatch.setattr(Checkpoint, "compiled_step", lambda self, device: wdbc_willow)
    status = main(["run", str(wdbc_checkpoint), "--engine", "qvm-noiseless:willow_pink",
                   "--shots", "50", "--samples", "2", "--seed", "1"])
    out, _ = capsys.readouterr()
    assert status == 0
    report = json.loads(out)
    assert report["samples"] == 2 and report["steps"] == 2 and report["shots"] == 2 * 2 * 2 * 50
    assert set(report["metrics"]) == {"loss", "accuracy"}
    epoch = report["training_epoch"]
    assert epoch["samples"] == len(full) - 3 and epoch["slots"] == 25
    assert epoch["circuits"] == 2 * (len(full) - 3) * 2 * 51
    assert epoch["device_seconds"] == pytest.approx(
        epoch["circuits"] // 2 * 50 * _repetition_seconds(wdbc_willow))


def _with_loader(task, data):
    import dataclasses

    return dataclasses.replace(task, load=lambda: data)


def test_published_noiseless_factory_runs_the_same_executables(wdbc_willow):
    from cirq_google.engine import create_noiseless_virtual_engine_from_latest_templates

    # the factory's simulator samples from numpy's global state: seeded, the test is
    # deterministic (unseeded, its 4-sigma bounds on 20 values failed once in a full run)
    np.random.seed(5)
    processor = create_noiseless_virtual_engine_from_latest_templates().get_processor(
        "willow_pink")
    model = wdbc_willow.model
    inputs = np.full((1, 1, model.I), 0.5)
    run = engine_run.run_sequences(wdbc_willow, processor, model.initial_parameters(seed=3),
                                   inputs, repetitions=SHOTS)
    exact = qc.simulate_sequence(wdbc_willow, model.initial_parameters(seed=3), inputs,
                                 backend="numpy")
    assert _within_shot_noise(run.outs[0], exact.outs[0], SHOTS).all()
    assert _within_shot_noise(run.hidden[0], exact.hidden[0], SHOTS).all()
