"""Local and Dask execution give the same results; faults and interruptions do not change them.

The Dask tests use a real ``LocalCluster``: 2 worker processes on loopback.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

import qru_compile as qc
from qru_compile.errors import BackendError, InputError
from qru_compile.executor import DaskExecutor, LocalExecutor, open_executor
from qru_compile.train import cross_validation, oscillation_task
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.data import wdbc
from qru_compile.train.loop import TrainConfig

distributed = pytest.importorskip("distributed")

WDBC = qc.QRUModel.preset("wdbc")
CONFIG = TrainConfig(epochs=2, batch_size=8, learning_rate=0.02, patience=5, seed=11)


def _small_wdbc(n=60):
    data = wdbc()
    rng = np.random.default_rng(0)
    index = np.concatenate([rng.choice(np.flatnonzero(data.targets == c), n // 2, replace=False)
                            for c in (0, 1)])
    return data.subset(index)


@pytest.fixture(scope="module")
def dask_executor():
    executor = open_executor("local:2")
    assert isinstance(executor, DaskExecutor) and executor.workers == 2
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def local_cv(tmp_path_factory):
    output = tmp_path_factory.mktemp("local_cv")
    summary = cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=output)
    return output, summary


def _fold_params(output, folds=4):
    return [Checkpoint.load(output / f"fold{k}.json").params for k in range(folds)]


def test_open_executor_forms():
    assert isinstance(open_executor(None), LocalExecutor)
    assert isinstance(open_executor("local"), LocalExecutor)
    for bad in ("local:0", "local:x", "dask", "http://host:1"):
        with pytest.raises(InputError, match="--scheduler"):
            open_executor(bad)


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(BackendError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        open_executor("tcp://127.0.0.1:9", connect_timeout=1)


def test_local_executor_reports_each_result_in_order():
    seen = []
    assert LocalExecutor().map(abs, [-1, 2, -3], on_result=lambda i, r: seen.append((i, r))) \
        == [1, 2, 3]
    assert seen == [(0, 1), (1, 2), (2, 3)]


def _jobs_the_scheduler_holds(seconds):
    from distributed import get_client

    time.sleep(seconds)
    return get_client().run_on_scheduler(lambda dask_scheduler: sum(
        task.state in ("queued", "processing", "waiting", "no-worker")
        for task in dask_scheduler.tasks.values()))


def test_dask_gets_no_more_jobs_than_workers(dask_executor):
    """The next job goes to Dask only when one finishes: handed all at once, Dask queued long
    folds behind one worker while the other was idle."""
    held = dask_executor.map(_jobs_the_scheduler_holds, [0.3] * 5)
    assert max(held) <= dask_executor.workers


def test_dask_cross_validation_equals_local(dask_executor, local_cv, tmp_path):
    local_output, local_summary = local_cv
    reported = []
    summary = cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path,
                                   executor=dask_executor,
                                   on_epoch=lambda fold, record: reported.append((fold, record)))
    assert summary["accuracy"] == local_summary["accuracy"]
    assert summary["confusion"] == local_summary["confusion"]
    for ours, theirs in zip(_fold_params(tmp_path), _fold_params(local_output)):
        np.testing.assert_array_equal(ours, theirs)
    # every fold's epochs reach this process's progress callback from the workers
    expected = {(k, record.epoch, record.train_loss, record.learning_rate)
                for k in range(4)
                for record in Checkpoint.load(local_output / f"fold{k}.json").history}
    deadline = time.monotonic() + 10  # events travel apart from the results
    while len(reported) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {(k, r.epoch, r.train_loss, r.learning_rate) for k, r in reported} == expected
    assert all(type(r.epoch) is int and r.seconds > 0 for _, r in reported)


def test_a_killed_worker_does_not_change_the_results(dask_executor, local_cv, tmp_path):
    client = dask_executor.client
    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [address for address, keys in client.processing().items() if keys]
            if busy:
                time.sleep(0.5)  # well inside the task: it has started training
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    summary = cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path,
                                   executor=dask_executor)
    killer.join()
    assert killed, "no worker was busy: the test did not kill anything"
    assert summary["accuracy"] == local_cv[1]["accuracy"]
    for ours, theirs in zip(_fold_params(tmp_path), _fold_params(local_cv[0])):
        np.testing.assert_array_equal(ours, theirs)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for the next test


def test_resume_skips_finished_folds(dask_executor, local_cv, tmp_path):
    local_output, local_summary = local_cv
    for k in (0, 2, 3):
        (tmp_path / f"fold{k}.json").write_text((local_output / f"fold{k}.json").read_text())
    before = {k: (tmp_path / f"fold{k}.json").stat().st_mtime_ns for k in (0, 2, 3)}
    trained = []
    summary = cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path,
                                   executor=dask_executor,
                                   on_epoch=lambda fold, record: trained.append(fold))
    assert {k: (tmp_path / f"fold{k}.json").stat().st_mtime_ns for k in (0, 2, 3)} == before
    assert summary["accuracy"] == local_summary["accuracy"]
    np.testing.assert_array_equal(_fold_params(tmp_path)[1], _fold_params(local_output)[1])


def test_interrupted_run_keeps_finished_folds_and_resumes(tmp_path, monkeypatch):
    calls = []
    original = cross_validation.run_fold

    def interrupted_after_two(job, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(job.fold)
        return original(job, **kwargs)

    monkeypatch.setattr(cross_validation, "run_fold", interrupted_after_two)
    with pytest.raises(KeyboardInterrupt):
        cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path)
    assert sorted(p.name for p in tmp_path.glob("fold?.json")) == ["fold0.json", "fold1.json"]
    calls.clear()
    monkeypatch.setattr(cross_validation, "run_fold", original)
    resumed = []
    monkeypatch.setattr(cross_validation, "run_fold", lambda job, **kw: resumed.append(job.fold)
                        or original(job, **kw))
    cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path)
    assert resumed == [2, 3]


def test_a_fold_interrupted_mid_training_resumes_from_its_last_epoch(local_cv, tmp_path):
    def interrupt(fold, record):
        if fold == 1 and record.epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path,
                             on_epoch=interrupt)
    assert (tmp_path / "fold1.r0.state.json").exists()
    seen = []
    summary = cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path,
                                   on_epoch=lambda fold, record: seen.append((fold, record.epoch)))
    assert seen[0] == (1, 2)  # fold 0 was finished, fold 1 continues at its second epoch
    assert summary["accuracy"] == local_cv[1]["accuracy"]
    for ours, theirs in zip(_fold_params(tmp_path), _fold_params(local_cv[0])):
        np.testing.assert_array_equal(ours, theirs)
    assert not list(tmp_path.glob("*.state.json"))  # finished folds leave no state behind


def test_restarts_on_dask_equal_local(dask_executor, tmp_path):
    config = TrainConfig(epochs=2, batch_size=2, learning_rate=0.2, patience=5, seed=4)
    local = oscillation_task.oscillation_restarts(config, restarts=2, output=tmp_path / "local")
    dask = oscillation_task.oscillation_restarts(config, restarts=2, output=tmp_path / "dask",
                                      executor=dask_executor)
    assert dask["test_mse"] == local["test_mse"]


def test_gradient_chunks_on_dask_equal_local(dask_executor):
    data = _small_wdbc(24)
    params = WDBC.initial_parameters(np.random.default_rng(5))
    whole = qc.loss_and_gradient(WDBC, params, data.inputs, data.targets)
    local = qc.loss_and_gradient(WDBC, params, data.inputs, data.targets, chunk_size=7)
    dask = qc.loss_and_gradient(WDBC, params, data.inputs, data.targets, chunk_size=7,
                                executor=dask_executor)
    assert dask[0] == local[0]
    np.testing.assert_array_equal(dask[1], local[1])
    np.testing.assert_allclose(local[1], whole[1], rtol=1e-12, atol=1e-12)
    assert local[0] == pytest.approx(whole[0], rel=1e-12)


def test_sweep_on_dask_equals_local_and_reports_failures(dask_executor):
    from qru_compile.sweep import sweep, sweep_report

    models = [qc.QRUModel.preset("oscillation"), WDBC]
    local = sweep(models, ["rainbow", "line7"])
    dask = sweep(models, ["rainbow", "line7"], executor=dask_executor)

    def without_time(rows):
        return [{**r.__dict__, "seconds": None} for r in rows]

    assert without_time(dask) == without_time(local)
    assert [(r.model, r.device) for r in local] == [
        ("oscillation", "rainbow"), ("oscillation", "line7"), ("wdbc", "rainbow"),
        ("wdbc", "line7")]
    assert local[0].error is None and local[0].two_qubit > 0
    assert local[3].error is None and local[3].qubits == 7
    assert "needs 8 qubits" in local[1].error  # the oscillation step does not fit seven
    assert "failed: " in sweep_report(local, "markdown")


def test_resuming_with_other_options_is_refused(local_cv, tmp_path):
    local_output, _ = local_cv
    (tmp_path / "fold0.json").write_text((local_output / "fold0.json").read_text())
    with pytest.raises(InputError, match=r"fold0.json: trained with other options "
                                         r"\(epochs 2 -> 3\)"):
        cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG.__class__(**{**CONFIG.__dict__,
                                                                      "epochs": 3}),
                             folds=4, output=tmp_path)
    with pytest.raises(InputError, match=r"restarts 1 -> 2"):
        cross_validation.cross_validate(WDBC, _small_wdbc(), CONFIG, folds=4, output=tmp_path, restarts=2)


def test_a_scheduler_without_workers_is_a_clear_error():
    cluster = distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=":0")
    try:
        with pytest.raises(BackendError, match="has no workers after 1 s"):
            open_executor(cluster.scheduler_address, connect_timeout=1)
    finally:
        cluster.close()
