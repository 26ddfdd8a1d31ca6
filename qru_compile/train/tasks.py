"""The paper's three tasks, and cross-validation for any classification data.

Every fold (or restart) is independent, seeded from the run's seed and its index, and written
to its own checkpoint, so an interrupted run resumes without redoing finished work.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, train_test_split

from qru_compile.errors import InputError
from qru_compile.executor import Executor, LocalExecutor
from qru_compile.model import QRUModel
from qru_compile.sim.backends import get_backend
from qru_compile.sim.rollout import Feedback, rollout
from qru_compile.targets import step_program
from qru_compile.train import data as datasets
from qru_compile.train.baselines import classical_baselines, oscillation_baselines
from qru_compile.train.checkpoint import Checkpoint, plot_history
from qru_compile.train.data import Dataset, check_dataset
from qru_compile.train.loop import EpochRecord, FitResult, TrainConfig, evaluate, fit
from qru_compile.train.noise_injection import ObservationModel, fit_observation_model
from qru_compile.train.noisy import DeviceSimulation
from qru_compile.train.readout import metrics, predicted_labels
from qru_compile.train.run_manifest import check_run, describe_run, save_manifest


@dataclasses.dataclass(frozen=True)
class Task:
    """A named task: its model, data and the paper's training options."""

    name: str
    model: QRUModel
    load: Callable[[], Dataset]
    config: TrainConfig
    val_fraction: float = 0.1
    restarts: int = 1
    backwards_under_noise: bool = False

    def model_for(self, config: TrainConfig) -> QRUModel:
        """The task's model, or with ``config.noise`` its noise-aware form (:func:`noise_aware`,
        reading the sequence backwards if ``backwards_under_noise``)."""
        if not config.noise:
            return self.model
        return noise_aware(self.model, go_backwards=self.backwards_under_noise)


def noise_aware(model: QRUModel, *, go_backwards: bool = False) -> QRUModel:
    """The model noise-aware training trains: the same circuit without the output scale
    (and, with ``go_backwards`` or if ``model`` already does, reading each sequence last step
    first: see :attr:`QRUModel.go_backwards`).

    With a trainable scale (initialised to 100) an ideal model decides on ``<Z_d0>`` within a
    few hundredths of zero; the device's attenuation, bias and 1,000-shot noise (about 0.03)
    then flip its decisions. Without it the logits are bounded by 1, and cross-entropy keeps
    pushing each sample's value towards +-1: margins the noise does not cross (the authors'
    noise-injection models have no scale either). Measured on WDBC fold 0 under willow_pink
    noise with 1,000 shots (docs/results.md): 77.2% with the scale, 86-91% without.
    """
    backwards = go_backwards or model.go_backwards
    if not model.readout.scale and model.go_backwards == backwards:
        return model
    suffix = "-noise-aware-backwards" if backwards else "-noise-aware"
    return dataclasses.replace(model, readout=dataclasses.replace(model.readout, scale=False),
                               go_backwards=backwards, name=f"{model.name}{suffix}")


TASKS: dict[str, Task] = {
    # The paper's leave-one-out had no validation split; with stratified k-fold a 10% split
    # (46 samples) was too noisy to select by (docs/results.md), so a fold keeps the best of
    # two initialisations by training loss.
    "wdbc": Task("wdbc", QRUModel.preset("wdbc"), datasets.wdbc,
                 TrainConfig(epochs=80, batch_size=20, learning_rate=0.01, lr_patience=5,
                             patience=20), val_fraction=0.0, restarts=2),
    # The paper's batch 50 suits ~11,500 MNIST images; the 292 training images of the offline
    # stand-in get batch 10 for as many optimiser steps per epoch (lr 0.01: measured faster).
    # The training loss sits on a plateau near 0.4 (about 75% accuracy) for 20-70 epochs before
    # it drops to 0.05 or below; halving the rate on that plateau (lr_patience 5) left 2 of 4
    # folds there, so the rate is kept for 15 epochs without improvement (docs/results.md). A
    # 29-image validation split was as poor a selection signal as WDBC's: the best
    # training-loss epoch is kept.
    # Under noise the rows are fed bottom row first: 3 and 5 differ in rows 1-3 (a linear
    # classifier on rows 0-2 alone scores 96%, on rows 5-7 74%), and a noise-aware QRU keeps
    # its last few steps best. Folds 0-2, willow_pink, 1,000 shots: 73.5% top row first, 85.4%
    # bottom row first (docs/results.md).
    "digits": Task("digits", QRUModel.preset("mnist"), datasets.digits_3_vs_5,
                   TrainConfig(epochs=120, batch_size=10, learning_rate=0.01, lr_patience=15,
                               patience=30), val_fraction=0.0, backwards_under_noise=True),
    # Full batch: one optimiser step per epoch. The authors' code checks the loss every 100
    # steps and halves the rate only when three checks in a row are all above the one 300 steps
    # earlier; their restarts ran about 6,300 steps each. Halving on every rise (lr_patience 1
    # or 3) took the rate to 1e-4 within a few hundred steps and stalled (docs/results.md).
    # Measured: one restart's training loss stopped improving at epoch 1,040 (run to 2,600),
    # another's improved by 2.4% between epochs 1,150 and 1,670; a restart stops at 2,000
    # (docs/results.md).
    "oscillation": Task("oscillation", QRUModel.preset("oscillation"), datasets.oscillation,
                        TrainConfig(epochs=2000, batch_size=2, learning_rate=0.2, patience=1000,
                                    lr_patience=300, min_learning_rate=1e-4), restarts=4),
}


def get_task(name: str) -> Task:
    """The task called ``name``.

    Raises:
        InputError: for an unknown name (the message lists the known ones).
    """
    if name not in TASKS:
        raise InputError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")
    return TASKS[name]


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
        """The ``extra`` fields that tie a checkpoint to this fold's split."""
        return {"fold": self.fold, "test_index": list(self.test_index)}


def run_fold(job: FoldJob, *, batch_executor: Executor | None = None,
             on_epoch: Callable[[int, EpochRecord], None] | None = None,
             on_batch: Callable[[int, int, float], None] | None = None) -> Checkpoint:
    """Train one fold and test it (a module-level function, so Dask workers can run it).

    With ``job.restarts > 1`` the fold is trained from that many random initialisations (seeds
    ``config.seed + 1000 * r``) and the one with the lowest selection loss (validation loss, or
    training loss without a validation set) is tested; the test set plays no part in the choice.
    With ``job.state_dir``, each training run saves its state there after every epoch
    (``fold{k}.r{r}.state.json``) and continues from it when run again.
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
    result = fits[chosen]
    scores = _test_metrics(job.model, result.params, job.test, job.config)
    scores["baselines"] = classical_baselines(job.train, job.test, job.config.seed)
    scores["stopped"] = result.stopped
    if observations[chosen] is not None:
        scores["observation_model"] = observations[chosen].to_dict()
    if job.restarts > 1:
        scores["restart_selection_losses"] = losses
        scores["chosen_restart"] = chosen
    return Checkpoint(job.model, result.params, job.config, scores, result.history,
                      job.train.name, {"fold": job.fold, "test_index": list(job.test_index),
                                       "restarts": job.restarts,
                                       "val_fraction": job.val_fraction})


def _run_checkpointed(executor: Executor, function: Callable[..., Checkpoint], jobs: list,
                      output: Path, title: str, on_done: Callable[[int, Checkpoint], None] | None,
                      in_process: dict[str, Any], manifest: dict[str, Any],
                      **options: Any) -> dict[str, Checkpoint]:
    """Checkpoints of all ``jobs`` by name: loaded from ``output`` where a finished one is there
    (trained with the same options), the others run on ``executor`` and saved as they finish.

    Jobs get ``output`` as their ``state_dir`` where the executor's workers can write there;
    ``in_process`` are keyword arguments (callbacks, a batch executor) for ``function`` when it
    runs in this process; on other processes only its ``on_epoch`` is kept, forwarded through
    the executor. ``options`` are stored in the checkpoints and must match to resume.
    ``manifest`` (:func:`describe_run`) must match the run already in ``output``, checked
    before anything there is read or written; it is saved there before the first job starts.
    """
    check_run(output, manifest, {job.name: job.identity for job in jobs})
    done = {job.name: _resumable(output / f"{job.name}.json", job.config, **options)
            for job in jobs if (output / f"{job.name}.json").exists()}
    save_manifest(output, manifest)
    state_dir = str(output) if executor.shared_filesystem else None
    todo = [dataclasses.replace(job, state_dir=state_dir) for job in jobs
            if job.name not in done]

    def finished(index: int, checkpoint: Checkpoint) -> None:
        job = todo[index]
        checkpoint.save(output / f"{job.name}.json")
        for state in output.glob(f"{job.name}.*state.json"):
            state.unlink()
        plot_history(checkpoint.history, output / f"{job.name}_loss.png", f"{title} {job.name}")
        done[job.name] = checkpoint
        if on_done is not None:
            on_done(job.index, checkpoint)

    if executor.in_process:
        function = functools.partial(function, **in_process)
    elif in_process.get("on_epoch") is not None:  # epoch records travel back as plain dicts
        on_epoch = in_process["on_epoch"]
        report = executor.forwarder(lambda run, fields: on_epoch(run, EpochRecord(**fields)))
        function = functools.partial(function, on_epoch=_EpochReport(report))
    executor.map(function, todo, on_result=finished, names=[job.name for job in todo])
    return done


@dataclasses.dataclass(frozen=True)
class _EpochReport:
    """An ``on_epoch`` callback for jobs on other processes: sends each record as plain data."""

    send: Callable[..., None]

    def __call__(self, run: int, record: EpochRecord) -> None:
        self.send(run, {name: value.item() if isinstance(value, np.generic) else value
                        for name, value in dataclasses.asdict(record).items()})


def _resumable(path: Path, config: TrainConfig, **options: Any) -> Checkpoint:
    """The checkpoint at ``path``, if it was trained with ``config`` and ``options``.

    Raises:
        InputError: if it was trained with other options (mixing them would be silently wrong).
    """
    checkpoint = Checkpoint.load(path)
    then = {**dataclasses.asdict(checkpoint.config),
            **{name: checkpoint.extra.get(name) for name in options}}
    now = {**dataclasses.asdict(config), **options}
    changed = [f"{name} {then[name]!r} -> {now[name]!r}" for name in now if then[name] != now[name]]
    if changed:
        raise InputError(f"{path}: trained with other options ({', '.join(changed)}); "
                         "resume with the same options or choose another --output")
    return checkpoint


def device_observation(model: QRUModel, params: np.ndarray, train: Dataset,
                       config: TrainConfig, *, samples: int = 48) -> ObservationModel:
    """The observation model of ``config.device`` fitted on the rollout of ``params`` over the
    first ``samples`` training sequences (see :mod:`qru_compile.train.noise_injection`)."""
    program = step_program(model, config.device)
    device = DeviceSimulation(config.device, trajectories=256, seed=config.seed)
    return fit_observation_model(program, params[: model.num_circuit_parameters],
                                 train.inputs[:samples], device, shots=config.shots,
                                 seed=config.seed)


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
    done = _run_checkpointed(
        executor, run_fold, jobs, output, data.name, on_done,
        dict(batch_executor=batch_executor, on_epoch=on_epoch, on_batch=on_batch),
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


def autoregressive_mse(model: QRUModel, params: np.ndarray, *, context: int = 100,
                       horizon: int = 50, backend: str = "auto") -> float:
    """Oscillation test: feed ``context`` points, then predict ``horizon`` points feeding each
    output back as the next input; MSE against the true series over the horizon."""
    series = datasets.oscillation_series(context + horizon)
    scale = params[-1] if model.readout.scale else 1.0
    hidden = np.zeros((len(series), model.hidden_size))
    program = step_program(model)
    result = rollout(program, get_backend(backend, program),
                     params[: model.num_circuit_parameters], series[:, :context, None], hidden,
                     feedback=Feedback(horizon - 1, lambda outs: scale * outs[:, :1]))
    predicted = scale * result.outs[context - 1 :, :, 0].T  # step t's output predicts y(t + 1)
    truth = series[:, context : context + horizon]
    return float(np.mean((predicted - truth) ** 2))


@dataclasses.dataclass(frozen=True)
class RestartJob:
    """One oscillation restart: the training options with its own seed."""

    config: TrainConfig
    restart: int
    state_dir: str | None = None

    @property
    def index(self) -> int:
        return self.restart

    @property
    def name(self) -> str:
        return f"restart{self.restart}"

    @property
    def identity(self) -> dict[str, Any]:
        """The ``extra`` fields that tie a checkpoint to this restart."""
        return {"restart": self.restart}


def run_restart(job: RestartJob, *, batch_executor: Executor | None = None,
                on_epoch: Callable[[int, EpochRecord], None] | None = None) -> Checkpoint:
    """Train the oscillation model from one random start and test it autoregressively (saving
    and resuming its training state in ``job.state_dir`` as :func:`run_fold` does)."""
    task = TASKS["oscillation"]
    train = task.load()
    state = None if job.state_dir is None else \
        Path(job.state_dir) / f"{job.name}.state.json"
    result = fit(task.model, train, None, job.config, executor=batch_executor, state_path=state,
                 on_epoch=None if on_epoch is None else (lambda e: on_epoch(job.restart, e)))
    scores = {"train_mse": evaluate(task.model, result.params, train)["mse"],
              "test_mse": autoregressive_mse(task.model, result.params),
              "stopped": result.stopped}
    return Checkpoint(task.model, result.params, job.config, scores, result.history,
                      "oscillation", {"restart": job.restart})


def oscillation_restarts(config: TrainConfig, *, restarts: int, output: Path,
                         executor: Executor | None = None,
                         batch_executor: Executor | None = None,
                         on_epoch: Callable[[int, EpochRecord], None] | None = None,
                         on_done: Callable[[int, Checkpoint], None] | None = None
                         ) -> dict[str, Any]:
    """Train from ``restarts`` random initialisations (seed ``config.seed + r``), as
    independent jobs on ``executor``; test each autoregressively. Restarts already
    checkpointed in ``output`` are loaded, not rerun; another run's ``output`` is refused.
    Callbacks as :func:`cross_validate`'s."""
    executor = executor or LocalExecutor()
    task = TASKS["oscillation"]
    jobs = [RestartJob(dataclasses.replace(config, seed=config.seed + r), r)
            for r in range(restarts)]
    done = _run_checkpointed(executor, run_restart, jobs, output, "oscillation", on_done,
                             dict(batch_executor=batch_executor, on_epoch=on_epoch),
                             describe_run(task.name, task.load(), task.model, config,
                                          restarts=restarts))
    test = [done[job.name].metrics["test_mse"] for job in jobs]
    summary = {"task": "oscillation", "restarts": restarts,
               "model_parameters": TASKS["oscillation"].model.num_parameters,
               "test_mse": test, "best_test_mse": float(np.min(test)),
               "median_test_mse": float(np.median(test)),
               "baselines": oscillation_baselines(config.seed),
               "config": dataclasses.asdict(config)}
    (output / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
