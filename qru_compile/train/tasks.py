"""The paper's three tasks, and cross-validation for any classification data.

Every fold (or restart) is independent, seeded from the run's seed and its index, and written
to its own checkpoint, so an interrupted run resumes without redoing finished work.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, train_test_split

from qru_compile.errors import InputError
from qru_compile.model import QRUModel
from qru_compile.sim.backends import get_backend
from qru_compile.train import data as datasets
from qru_compile.train.baselines import classical_baselines
from qru_compile.train.checkpoint import Checkpoint, plot_history
from qru_compile.train.data import Dataset
from qru_compile.train.gradients import forward_outputs, step_circuit
from qru_compile.train.loop import EpochRecord, TrainConfig, evaluate, fit
from qru_compile.train.readout import metrics, predicted_labels


@dataclasses.dataclass(frozen=True)
class Task:
    """A named task: its model, data and the paper's training options."""

    name: str
    model: QRUModel
    load: Callable[[], Dataset]
    config: TrainConfig


TASKS: dict[str, Task] = {
    "wdbc": Task("wdbc", QRUModel.preset("wdbc"), datasets.wdbc,
                 TrainConfig(epochs=30, batch_size=20, learning_rate=0.01, lr_patience=3,
                             patience=8)),
    "digits": Task("digits", QRUModel.preset("mnist"), datasets.digits_3_vs_5,
                   TrainConfig(epochs=12, batch_size=50, learning_rate=0.005, lr_patience=2)),
    "oscillation": Task("oscillation", QRUModel.preset("oscillation"), datasets.oscillation,
                        TrainConfig(epochs=200, batch_size=2, learning_rate=0.2, patience=200,
                                    min_learning_rate=1e-6)),
}


def get_task(name: str) -> Task:
    """The task called ``name``.

    Raises:
        InputError: for an unknown name (the message lists the known ones).
    """
    if name not in TASKS:
        raise InputError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")
    return TASKS[name]


def cross_validate(model: QRUModel, data: Dataset, config: TrainConfig, *, folds: int,
                   output: Path, val_fraction: float = 0.1,
                   on_epoch: Callable[[int, EpochRecord], None] | None = None,
                   on_batch: Callable[[int, int, float], None] | None = None) -> dict[str, Any]:
    """Stratified k-fold cross-validation with a validation split inside each training part.

    Folds already checkpointed in ``output`` are loaded, not retrained.

    Returns:
        A summary: per-fold accuracy and confusion matrix, their mean, and the classical
        baselines on the same splits.
    """
    if model.readout.kind == "sequence":
        raise InputError("cross-validation needs a classification readout (binary/multiclass)")
    labels = data.targets.astype(int)
    if folds < 2 or np.min(np.bincount(labels)) < folds:
        raise InputError(f"folds: need 2 <= folds <= the smallest class size "
                         f"({np.min(np.bincount(labels))}), got {folds}")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    results = []
    for k, (train_index, test_index) in enumerate(splitter.split(data.inputs, labels)):
        path = output / f"fold{k}.json"
        train_index, val_index = train_test_split(
            train_index, test_size=val_fraction, stratify=labels[train_index],
            random_state=config.seed + k)
        train, val, test = (data.subset(i) for i in (train_index, val_index, test_index))
        if path.exists():
            checkpoint = Checkpoint.load(path)
        else:
            fold_config = dataclasses.replace(config, seed=config.seed + k)
            result = fit(model, train, val, fold_config,
                         on_epoch=None if on_epoch is None else (lambda r, k=k: on_epoch(k, r)),
                         on_batch=on_batch)
            scores = _test_metrics(model, result.params, test, config)
            scores["baselines"] = classical_baselines(train, test, config.seed + k)
            scores["stopped"] = result.stopped
            checkpoint = Checkpoint(model, result.params, fold_config, scores, result.history,
                                    data.name, {"fold": k, "test_index": test_index.tolist()})
            checkpoint.save(path)
            plot_history(result.history, output / f"fold{k}_loss.png",
                         f"{data.name} fold {k}")
        results.append(checkpoint.metrics)
    summary = {
        "task": data.name, "folds": folds, "model_parameters": model.num_parameters,
        "accuracy": [r["accuracy"] for r in results],
        "mean_accuracy": float(np.mean([r["accuracy"] for r in results])),
        "confusion": np.sum([r["confusion"] for r in results], axis=0).tolist(),
        "baselines": {
            name: {"mean_accuracy": float(np.mean([r["baselines"][name]["accuracy"]
                                                   for r in results])),
                   "parameters": results[0]["baselines"][name]["parameters"]}
            for name in results[0]["baselines"]
        },
        "config": dataclasses.asdict(config),
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def _test_metrics(model: QRUModel, params: np.ndarray, test: Dataset,
                  config: TrainConfig) -> dict[str, Any]:
    """Loss, accuracy and confusion matrix on ``test`` from one forward pass."""
    hidden = np.zeros((len(test), model.hidden_size))
    outs = forward_outputs(model, params[: model.num_circuit_parameters], test.inputs, hidden,
                           step_circuit(model, config.device), get_backend(config.backend))
    classes = 2 if model.readout.kind == "binary" else model.readout.classes
    confusion = confusion_matrix(test.targets.astype(int),
                                 predicted_labels(model, params, outs),
                                 labels=list(range(classes)))
    return {**metrics(model, params, outs, test.targets), "confusion": confusion.tolist()}


def autoregressive_mse(model: QRUModel, params: np.ndarray, *, context: int = 100,
                       horizon: int = 50, backend: str = "numpy") -> float:
    """Oscillation test: feed ``context`` points, then predict ``horizon`` points feeding each
    output back as the next input; MSE against the true series over the horizon."""
    series = datasets.oscillation_series(context + horizon)
    program, simulator = step_circuit(model, None), get_backend(backend)
    circuit_params = params[: model.num_circuit_parameters]
    hidden = np.zeros((len(series), model.hidden_size))
    amap = program.step.angle_map
    value = series[:, :1]
    predicted = []
    for t in range(context + horizon - 1):
        x = series[:, t : t + 1] if t < context else value
        slots = amap.values(circuit_params, x, hidden)
        out = simulator.expectations(program.circuit, amap.names, slots, program.qubits,
                                     program.measured)
        hidden = out[:, model.output_size :]
        scale = params[-1] if model.readout.scale else 1.0
        value = scale * out[:, :1]
        if t >= context - 1:  # the output of step t predicts y(t + 1)
            predicted.append(value[:, 0])
    truth = series[:, context : context + horizon]
    return float(np.mean((np.stack(predicted, axis=1) - truth) ** 2))


def oscillation_restarts(config: TrainConfig, *, restarts: int, output: Path,
                         on_epoch: Callable[[int, EpochRecord], None] | None = None
                         ) -> dict[str, Any]:
    """Train from ``restarts`` random initialisations; test each autoregressively."""
    task = TASKS["oscillation"]
    train = task.load()
    results = []
    for r in range(restarts):
        path = output / f"restart{r}.json"
        if path.exists():
            results.append(Checkpoint.load(path).metrics)
            continue
        run_config = dataclasses.replace(config, seed=config.seed + r)
        result = fit(task.model, train, None, run_config,
                     on_epoch=None if on_epoch is None else (lambda e, r=r: on_epoch(r, e)))
        scores = {"train_mse": evaluate(task.model, result.params, train)["mse"],
                   "test_mse": autoregressive_mse(task.model, result.params),
                   "stopped": result.stopped}
        Checkpoint(task.model, result.params, run_config, scores, result.history,
                   "oscillation", {"restart": r}).save(path)
        plot_history(result.history, output / f"restart{r}_loss.png", f"oscillation {r}")
        results.append(scores)
    test = [m["test_mse"] for m in results]
    summary = {"task": "oscillation", "restarts": restarts,
               "model_parameters": task.model.num_parameters,
               "test_mse": test, "best_test_mse": float(np.min(test)),
               "median_test_mse": float(np.median(test)),
               "config": dataclasses.asdict(config)}
    (output / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
