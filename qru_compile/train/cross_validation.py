"""Stratified k-fold cross-validation of a classification task, each fold its own job.

Folds run on an executor (in this process, or on Dask workers) and write a checkpoint each
(:mod:`qru_compile.train.checkpointed_runs`); noise training fits the device's observation
model first (:mod:`qru_compile.train.noise_injection`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, train_test_split

from qru_compile.compiler import DEFAULT_ABSORB_RING
from qru_compile.errors import InputError
from qru_compile.executor import Executor, LocalExecutor
from qru_compile.model import QRUModel
from qru_compile.sim.backends import get_backend
from qru_compile.sim.rollout import rollout
from qru_compile.targets import step_program
from qru_compile.train.baselines import classical_baselines
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.checkpointed_runs import run_checkpointed
from qru_compile.train.data import Dataset, check_dataset
from qru_compile.train.loop import EpochRecord, FitResult, TrainConfig, fit
from qru_compile.train.noise_injection import ObservationModel, fit_observation_model
from qru_compile.train.noisy import DeviceSimulation
from qru_compile.train.readout import metrics, predicted_labels
from qru_compile.train.run_manifest import describe_run


@dataclasses.dataclass(frozen=True, eq=False)
class FoldJob:
    """One cross-validation fold: everything a worker needs to train and test it."""

    model: QRUModel
    train: Dataset
    val: Dataset | None
    test: Dataset
    config: TrainConfig
    fold: int
    test_index: tuple[int, ...]
    restarts: int = 1
    val_fraction: float = 0.0
    state_dir: str | None = None

    @property
    def index(self) -> int:
        return self.fold

    @property
    def name(self) -> str:
        return f"fold{self.fold}"

    @property
    def identity(self) -> dict[str, Any]:
        """The ``extra`` fields that tie a checkpoint to this fold's split (and, trained for
        a device, to the compile option of the step it ran)."""
        identity: dict[str, Any] = {"fold": self.fold, "test_index": list(self.test_index)}
        if self.config.device is not None:
            identity["absorb_ring"] = DEFAULT_ABSORB_RING
        return identity


def run_fold(job: FoldJob, *, batch_executor: Executor | None = None,
             on_epoch: Callable[[int, EpochRecord], None] | None = None,
             on_batch: Callable[[int, int, float], None] | None = None) -> Checkpoint:
    """Train one fold and test it (a module-level function, so Dask workers can run it).

    With ``job.restarts > 1`` the fold is trained from that many random initialisations (seeds
    ``config.seed + 1000 * r``) and the one with the lowest selection loss (validation loss, or
    training loss without a validation set) is tested; the test set plays no part in the choice.
    With ``config.refit_epochs`` (noise training), the chosen run's observation model is then
    refitted at its trained parameters and training continues from them for that many epochs:
    the model fitted at the random start describes the device's noise at parameters the trained
    model has left (docs/results.md, Noise). With ``job.state_dir``, each training run saves
    its state there after every epoch (``fold{k}.r{r}.state.json``, the second phase
    ``fold{k}.r{r}.refit.state.json``) and continues from it when run again.
    ``batch_executor`` runs the gradient chunks (``job.config.chunk_size``) and ``on_batch``
    reports progress, both only when the fold runs in this process; ``on_epoch`` may be a
    forwarder (:meth:`Executor.forwarder`) that reaches the client from a worker.
    """
    fits, observations = [], []
    for r in range(job.restarts):
        config = dataclasses.replace(job.config, seed=job.config.seed + 1000 * r)
        state = None if job.state_dir is None else \
            Path(job.state_dir) / f"{job.name}.r{r}.state.json"
        observation = None
        if config.noise:  # fitted at the start point fit() draws from the same seed
            start = job.model.initial_parameters(np.random.default_rng(config.seed))
            observation = device_observation(job.model, start, job.train, config)
        observations.append(observation)
        fits.append(fit(job.model, job.train, job.val, config, observation=observation,
                        executor=batch_executor, state_path=state,
                        on_epoch=None if on_epoch is None else
                        (lambda record: on_epoch(job.fold, record)),
                        on_batch=on_batch))
    losses = [_selection_loss(result) for result in fits]
    chosen = int(np.argmin(losses))
    result, observation = fits[chosen], observations[chosen]
    history = result.history
    if job.config.refit_epochs:
        config = dataclasses.replace(job.config, seed=job.config.seed + 1000 * chosen)
        refitted = device_observation(job.model, result.params, job.train, config)
        state = None if job.state_dir is None else \
            Path(job.state_dir) / f"{job.name}.r{chosen}.refit.state.json"
        result = fit(job.model, job.train, job.val,
                     dataclasses.replace(config, epochs=config.refit_epochs, refit_epochs=0),
                     params=result.params, observation=refitted, executor=batch_executor,
                     state_path=state, on_batch=on_batch,
                     on_epoch=None if on_epoch is None else
                     (lambda record: on_epoch(job.fold, _later(record, len(history)))))
        history += tuple(_later(record, len(history)) for record in result.history)
        observation, start_observation = refitted, observation
    scores = _test_metrics(job.model, result.params, job.test, job.config)
    scores["baselines"] = classical_baselines(job.train, job.test, job.config.seed)
    scores["stopped"] = result.stopped
    if observation is not None:
        scores["observation_model"] = observation.to_dict()
    if job.config.refit_epochs:
        scores["start_observation_model"] = start_observation.to_dict()
        scores["refit_after_epoch"] = len(fits[chosen].history)
    if job.restarts > 1:
        scores["restart_selection_losses"] = losses
        scores["chosen_restart"] = chosen
    return Checkpoint(job.model, result.params, job.config, scores, history,
                      job.train.name, {**job.identity, "restarts": job.restarts,
                                       "val_fraction": job.val_fraction})


def device_observation(model: QRUModel, params: np.ndarray, train: Dataset,
                       config: TrainConfig, *, samples: int = 48) -> ObservationModel:
    """The observation model of ``config.device`` fitted on the rollout of ``params`` over the
    first ``samples`` training sequences (see :mod:`qru_compile.train.noise_injection`).

    Raises:
        InputError: if ``config`` names no device.
    """
    if config.device is None:
        raise InputError("the observation model is that of a device: config.device is None")
    program = step_program(model, config.device)
    device = DeviceSimulation(config.device, trajectories=256, seed=config.seed)
    return fit_observation_model(program, params[: model.num_circuit_parameters],
                                 train.inputs[:samples], device, shots=config.shots,
                                 seed=config.seed)


def _later(record: EpochRecord, epochs_before: int) -> EpochRecord:
    """``record`` of a training phase numbered after the ``epochs_before`` before it."""
    return dataclasses.replace(record, epoch=record.epoch + epochs_before)


def _selection_loss(result: FitResult) -> float:
    record = result.history[result.best_epoch - 1]
    return record.val_loss if record.val_loss is not None else record.train_loss


def fold_jobs(model: QRUModel, data: Dataset, config: TrainConfig, *, folds: int,
              val_fraction: float = 0.1, restarts: int = 1) -> list[FoldJob]:
    """The stratified k-fold splits of ``data``, each with its own seed ``config.seed + k``.

    With ``val_fraction > 0`` a stratified share of each training part is held out for early
    stopping and selection; with 0 the best training-loss epoch is the result.

    Raises:
        InputError: for a regression readout, too many folds or a bad ``val_fraction``.
    """
    if model.readout.kind == "sequence":
        raise InputError("cross-validation needs a classification readout (binary/multiclass)")
    if restarts < 1:
        raise InputError(f"restarts: expected at least 1, got {restarts}")
    if not 0 <= val_fraction < 0.5:
        raise InputError(f"val_fraction: expected 0 <= value < 0.5, got {val_fraction}")
    check_dataset(model, data, data.name)
    labels = data.targets.astype(int)
    if folds < 2 or np.min(np.bincount(labels)) < folds:
        raise InputError(f"folds: need 2 <= folds <= the smallest class size "
                         f"({np.min(np.bincount(labels))}), got {folds}")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    jobs = []
    for k, (train_index, test_index) in enumerate(splitter.split(data.inputs, labels)):
        val = None
        if val_fraction > 0:
            train_index, val_index = train_test_split(
                train_index, test_size=val_fraction, stratify=labels[train_index],
                random_state=config.seed + k)
            val = data.subset(val_index)
        jobs.append(FoldJob(model, data.subset(train_index), val, data.subset(test_index),
                            dataclasses.replace(config, seed=config.seed + k), k,
                            tuple(int(i) for i in test_index), restarts, val_fraction))
    return jobs


def cross_validate(model: QRUModel, data: Dataset, config: TrainConfig, *, folds: int,
                   output: Path, val_fraction: float = 0.1, restarts: int = 1,
                   executor: Executor | None = None,
                   batch_executor: Executor | None = None,
                   on_epoch: Callable[[int, EpochRecord], None] | None = None,
                   on_batch: Callable[[int, int, float], None] | None = None,
                   on_done: Callable[[int, Checkpoint], None] | None = None,
                   only_folds: Sequence[int] | None = None) -> dict[str, Any]:
    """Stratified k-fold cross-validation, the folds run as independent jobs on ``executor``.

    Folds already checkpointed in ``output`` are loaded, not retrained; each finished fold is
    checkpointed as soon as it finishes, and a fold in progress saves its training state after
    every epoch (when the workers share this file system), so an interrupted run resumes where
    it stopped.
    ``batch_executor`` (for the gradient chunks) and ``on_batch`` are used only when the folds
    run in this process; ``on_epoch`` is called here wherever they run (from Dask workers
    through an event topic, as the epochs finish); ``on_done`` is called with each fold's index
    and checkpoint as it finishes, wherever it ran. ``only_folds`` trains just those folds of
    the split (the others can follow later into the same ``output``).

    Returns:
        A summary: per-fold accuracy and confusion matrix, their mean, and the classical
        baselines on the same splits.

    Raises:
        InputError: if ``output`` holds another run (other data, model or options; see
            :mod:`qru_compile.train.run_manifest`), before anything in it changes, or for a
            fold in ``only_folds`` outside ``0..folds-1``.
    """
    executor = executor or LocalExecutor()
    jobs = fold_jobs(model, data, config, folds=folds, val_fraction=val_fraction,
                     restarts=restarts)
    if only_folds is not None:
        outside = sorted(set(only_folds) - set(range(folds)))
        if outside or not only_folds:
            raise InputError(f"only_folds: expected fold numbers in 0..{folds - 1}, got "
                             f"{list(only_folds)}")
        jobs = [job for job in jobs if job.fold in set(only_folds)]
    done = run_checkpointed(
        executor, run_fold, jobs, output, data.name, on_done,
        {"batch_executor": batch_executor, "on_epoch": on_epoch, "on_batch": on_batch},
        describe_run(data.name, data, model, config, folds=folds, val_fraction=val_fraction,
                     restarts=restarts),
        restarts=restarts, val_fraction=val_fraction)
    results = [done[job.name].metrics for job in jobs]
    summary = {
        "task": data.name, "folds": folds, "folds_run": [job.fold for job in jobs],
        "val_fraction": val_fraction, "restarts": restarts,
        "model_parameters": model.num_parameters,
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
    program = step_program(model, config.device)
    outs = rollout(program, get_backend(config.backend, program),
                   params[: model.num_circuit_parameters], test.inputs, hidden).outs
    classes = 2 if model.readout.kind == "binary" else model.readout.classes
    confusion = confusion_matrix(test.targets.astype(int),
                                 predicted_labels(model, params, outs),
                                 labels=list(range(classes)))
    return {**metrics(model, params, outs, test.targets), "confusion": confusion.tolist()}
