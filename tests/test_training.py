import dataclasses
import json

import numpy as np
import pytest

import qru_compile as qc
from qru_compile.cli import main
from qru_compile.errors import InputError
from qru_compile.train import cross_validation, oscillation_task, tasks
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.data import Dataset, digits_3_vs_5, load_csv, oscillation, wdbc
from qru_compile.train.loop import TrainConfig, evaluate, fit
from qru_compile.train.optim import Adam

TOY = qc.QRUModel(I=1, H=4, L=1, gate="ry", layer_gates=("ry",),
                  readout=qc.Readout("binary", scale=True), name="toy")


def _toy_data(n=24, seed=0):
    """Separable: the label is whether the last input exceeds 1/2."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 2, 1))
    return Dataset(x, (x[:, -1, 0] > 0.5).astype(float), "toy")


def test_learning_happens_on_a_separable_toy_set():
    data = _toy_data()
    config = TrainConfig(epochs=12, batch_size=8, learning_rate=0.05, seed=3, patience=12)
    start = evaluate(TOY, TOY.initial_parameters(np.random.default_rng(3)), data)["loss"]
    result = fit(TOY, data, None, config)
    end = evaluate(TOY, result.params, data)
    assert end["loss"] < 0.5 * start
    assert end["accuracy"] >= 0.8
    assert result.history[0].epoch == 1 and result.best_epoch >= 1
    # same seed, same result
    again = fit(TOY, data, None, config)
    np.testing.assert_array_equal(again.params, result.params)
    # the adjoint gradient is the same gradient: the same training, up to rounding
    adjoint = fit(TOY, data, None, dataclasses.replace(config, gradient="adjoint"))
    np.testing.assert_allclose(adjoint.params, result.params, atol=1e-9)
    assert [r.train_loss for r in adjoint.history] == pytest.approx(
        [r.train_loss for r in result.history], abs=1e-10)


def test_schedule_halves_the_rate_and_returns_to_the_best(monkeypatch):
    data = _toy_data(8)
    train_losses = iter([1.0, 0.5, 0.8, 0.4, 0.9, 0.95])  # rises after epochs 2 and 4
    val_losses = iter([1.0, 0.6, 0.7, 0.8, 0.9, 0.95])  # best after epoch 2
    seen_params = []

    def fake_gradient(model, params, inputs, targets, **kwargs):
        seen_params.append(params.copy())
        return 0.0, np.ones_like(params)

    calls = iter(range(100))

    def fake_evaluate(*args, **kwargs):  # per epoch: the training set, then the validation set
        losses = train_losses if next(calls) % 2 == 0 else val_losses
        return {"loss": next(losses), "accuracy": 0.5}

    monkeypatch.setattr("qru_compile.train.loop.loss_and_gradient", fake_gradient)
    monkeypatch.setattr("qru_compile.train.loop.evaluate", fake_evaluate)
    config = TrainConfig(epochs=6, batch_size=8, learning_rate=0.04, patience=3, seed=1)
    result = fit(TOY, data, data, config)
    assert [r.learning_rate for r in result.history] == [0.04, 0.04, 0.04, 0.02, 0.02]
    # after the rise in epoch 3, epoch 4 starts again from epoch 2's final parameters
    np.testing.assert_array_equal(seen_params[3], seen_params[2])
    assert result.best_epoch == 2 and result.stopped == "early stopping"


def test_an_interrupted_fit_resumes_to_the_same_result(tmp_path):
    data = _toy_data(16)
    config = TrainConfig(epochs=6, batch_size=4, learning_rate=0.3, lr_patience=1, seed=5)
    whole = fit(TOY, data, data.subset(np.arange(4)), config)
    assert any(r.learning_rate < 0.3 for r in whole.history)  # the schedule acted

    def interrupt_at_epoch_4(record):
        if record.epoch == 4:
            raise KeyboardInterrupt

    state = tmp_path / "fold0.state.json"
    with pytest.raises(KeyboardInterrupt):
        fit(TOY, data, data.subset(np.arange(4)), config, state_path=state,
            on_epoch=interrupt_at_epoch_4)
    epochs_seen = []
    resumed = fit(TOY, data, data.subset(np.arange(4)), config, state_path=state,
                  on_epoch=lambda r: epochs_seen.append(r.epoch))
    assert epochs_seen == [4, 5, 6]  # epochs 1-3 were not redone
    np.testing.assert_array_equal(resumed.params, whole.params)
    assert [(r.train_loss, r.learning_rate) for r in resumed.history] == \
        [(r.train_loss, r.learning_rate) for r in whole.history]
    with pytest.raises(InputError, match="a training state for other options"):
        fit(TOY, data, None, TrainConfig(epochs=7, batch_size=4, seed=5), state_path=state)


def test_adam_matches_its_definition():
    adam = Adam(learning_rate=0.1)
    p = adam.step(np.array([1.0, -1.0]), np.array([0.5, -2.0]))
    np.testing.assert_allclose(p, [0.9, -0.9], atol=1e-6)  # first step moves by lr * sign
    second = adam.step(p, np.array([-0.5, 2.0]))  # moments now cancel: a much smaller step
    assert np.all(np.abs(second - p) < 0.05)
    adam.reset()  # forgets the moments: the next step is a first step again
    np.testing.assert_allclose(adam.step(p, np.array([0.5, -2.0])), p - [0.1, -0.1], atol=1e-6)


def test_checkpoint_round_trip_and_loss_curve(tmp_path):
    data = _toy_data(8)
    result = fit(TOY, data, data, TrainConfig(epochs=2, batch_size=8, seed=2))
    checkpoint = Checkpoint(TOY, result.params, TrainConfig(epochs=2), {"accuracy": 1.0},
                            result.history, "toy")
    checkpoint.save(tmp_path / "c.json")
    loaded = Checkpoint.load(tmp_path / "c.json")
    np.testing.assert_array_equal(loaded.params, result.params)
    assert loaded.model == TOY and loaded.history == result.history
    assert "qru_compile" in json.loads((tmp_path / "c.json").read_text())["versions"]
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(qc.InputError, match="not a qru_compile checkpoint"):
        Checkpoint.load(tmp_path / "bad.json")


def test_cross_validation_resumes_finished_folds(tmp_path, monkeypatch):
    data = _toy_data(24)
    config = TrainConfig(epochs=1, batch_size=12, seed=0)
    first = cross_validation.cross_validate(TOY, data, config, folds=2, output=tmp_path, val_fraction=0.2)
    assert len(first["accuracy"]) == 2 and (tmp_path / "fold1.json").exists()
    assert (tmp_path / "fold0_loss.png").stat().st_size > 0
    assert set(first["baselines"]) == {"logistic regression", "MLP (8 hidden)"}
    monkeypatch.setattr(cross_validation, "fit",
                        lambda *a, **k: pytest.fail("a finished fold was redone"))
    again = cross_validation.cross_validate(TOY, data, config, folds=2, output=tmp_path, val_fraction=0.2)
    assert again["accuracy"] == first["accuracy"]


def test_fold_restarts_keep_the_lowest_training_loss(tmp_path):
    data = _toy_data(24)
    config = TrainConfig(epochs=2, batch_size=6, learning_rate=0.05, seed=2)
    [job, _] = cross_validation.fold_jobs(TOY, data, config, folds=2, val_fraction=0.0, restarts=3)
    checkpoint = cross_validation.run_fold(job)
    losses = checkpoint.metrics["restart_selection_losses"]
    assert len(losses) == 3 and len(set(losses)) == 3  # three different initialisations
    chosen = checkpoint.metrics["chosen_restart"]
    assert losses[chosen] == min(losses)
    alone = fit(TOY, job.train, None, TrainConfig(**{**config.__dict__, "seed": 2 + 1000 * chosen}))
    np.testing.assert_array_equal(checkpoint.params, alone.params)


def test_task_data():
    assert wdbc().inputs.shape == (569, 30, 1)
    assert wdbc().inputs.min() == 0 and wdbc().inputs.max() == pytest.approx(1)
    digits = digits_3_vs_5()
    assert digits.inputs.shape[1:] == (8, 8) and set(np.unique(digits.targets)) == {0, 1}
    # one global min-max after standardising: not every pixel spans [0, 1] on its own
    pixels = digits.inputs.reshape(len(digits), -1)
    assert pixels.min() == 0 and pixels.max() == pytest.approx(1)
    assert np.median(pixels.max(axis=0) - pixels.min(axis=0)) < 0.5
    osc = oscillation()
    assert osc.inputs.shape == (2, 100, 1)
    np.testing.assert_array_equal(osc.inputs[:, 1:, 0], osc.targets[:, :-1])


def test_autoregressive_test_feeds_outputs_back():
    model = qc.QRUModel.preset("oscillation")
    params = model.initial_parameters(seed=0)
    series = tasks.datasets.oscillation_series(8)
    # by hand: 5 teacher-forced steps predict y(5); that prediction is the next input
    first = qc.simulate_sequence(model, params, series[:, :5, None], backend="cirq").outs[-1, :, 0]
    fed = np.concatenate([series[:, :5], first[:, None]], axis=1)[:, :, None]
    second = qc.simulate_sequence(model, params, fed, backend="cirq").outs[-1, :, 0]
    expected = np.mean(((first - series[:, 5]) ** 2 + (second - series[:, 6]) ** 2) / 2)
    assert oscillation_task.autoregressive_mse(model, params, context=5, horizon=2) == pytest.approx(
        expected, rel=1e-9)


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b,label\n0.1,0.2,1\n", "missing column 'c'"),
        ("a,b,c,label\n0.1,nan,0.2,1\n", "line 2, column 'b': NaN"),
        ("a,b,c,label\n0.1,,0.2,1\n", "line 2, column 'b': not a number"),
        ("a,b,c,label\n0.1,0.3,0.2,x\n", "line 2, column 'label': label must be an integer"),
    ],
)
def test_csv_errors_name_the_row_or_column(tmp_path, text, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(qc.InputError, match=message):
        load_csv(path, feature_columns=["a", "b", "c"], label_column="label", steps=3)


def test_csv_labels_must_fit_the_readout(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n0.1,0.2,1\n0.3,0.1,3\n")
    data = load_csv(path, feature_columns=["a", "b"], label_column="label", steps=2)
    assert data.inputs.shape == (2, 2, 1)
    with pytest.raises(qc.InputError, match="labels must be integers in 0..1; row 1 has 3"):
        qc.loss_and_gradient(TOY, TOY.initial_parameters(seed=0), data.inputs, data.targets)


def test_train_cli_errors(capsys):
    assert main(["train", "mnist784"]) == 2
    assert "unknown task 'mnist784'; known tasks: wdbc, digits, oscillation" in \
        capsys.readouterr().err
    assert main(["train", "wdbc", "--data", "x.csv"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["train", "oscillation", "--lr-patience", "0"]) == 2
    assert "argument --lr-patience: expected an integer >= 1, got 0" in capsys.readouterr().err
    assert main(["train", "oscillation", "--min-learning-rate", "0.5"]) == 2
    assert "min_learning_rate must be at least 0 and below learning_rate 0.2, got 0.5" in \
        capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        ({"epochs": 0}, "epochs must be at least 1, got 0"),
        ({"patience": 0}, "patience must be at least 1, got 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a positive number, got nan"),
        ({"learning_rate": -0.1}, "learning_rate must be a positive number"),
        ({"chunk_size": 0}, "chunk_size must be at least 1, got 0"),
        ({"gradient": "backprop"},
         "gradient must be one of parameter-shift, adjoint, got 'backprop'"),
    ],
)
def test_train_config_rejects_bad_options(options, message):
    with pytest.raises(qc.InputError, match=message):
        TrainConfig(**options)


def test_noisy_evaluation_on_a_device():
    from qru_compile.devices.calibration import noise_model
    from qru_compile.train.noisy import compare_ideal_and_noisy, noisy_outputs
    from qru_compile.train.readout import metrics

    with pytest.raises(qc.DeviceError, match="no calibration noise model"):
        noise_model("Sycamore")
    data = _toy_data(3)
    params = TOY.initial_parameters(seed=1)
    report = compare_ideal_and_noisy(TOY, params, data, "willow_pink", trajectories=4, shots=100)
    assert report["samples"] == 3 and report["device"] == "willow_pink"
    steps = data.inputs.shape[1]
    assert report["shots_per_sample"] == steps * 2 * 100  # Z and X bases, every step
    # the report is the metrics of the estimator's outputs, drawn again from the same seed
    outs = noisy_outputs(TOY, params, data.inputs, qc.compile(TOY, "willow_pink"),
                         trajectories=4, shots=100)
    assert report["noisy"] == metrics(TOY, params, outs, data.targets)
    assert report["noisy"] != report["ideal"]
    assert report["ideal"] == evaluate(TOY, params, data)


def test_oscillation_baselines_feed_their_predictions_back():
    from qru_compile.train.baselines import oscillation_baselines

    results = oscillation_baselines(0, windows=(1, 4))
    # two damped sinusoids obey a linear recurrence of order 4: AR(4) continues them exactly,
    # while one value per step without memory cannot
    assert results["linear AR(4)"]["test_mse"] < 1e-20
    assert results["linear AR(4)"]["parameters"] == 5
    assert results["linear AR(1)"]["test_mse"] > 1e-2
    assert results["MLP AR(1) (8 hidden)"]["parameters"] == 8 + 8 + 8 + 1


def test_regrouping_steps_keeps_each_sequence_in_order_and_refuses_what_does_not_split():
    from qru_compile.train.data import regroup_steps

    data = Dataset(np.arange(24, dtype=float).reshape(2, 6, 2), np.array([0.0, 1.0]), "toy")
    regrouped = regroup_steps(data, 4)
    assert regrouped.inputs.shape == (2, 3, 4)
    np.testing.assert_array_equal(regrouped.inputs[1, 2], [20, 21, 22, 23])
    with pytest.raises(InputError, match="6 steps of 2 features do not regroup into steps of 5"):
        regroup_steps(data, 5)
    with pytest.raises(InputError, match="per-step targets"):
        regroup_steps(Dataset(data.inputs, np.zeros((2, 6)), "toy"), 4)
