"""Train a task or evaluate a checkpoint: the one entry point ``qru train`` / ``qru evaluate``
and Python users share (the command line only parses arguments and prints).

>>> from qru_compile.train.run_task import TrainRequest, train_task
>>> outcome = train_task(TrainRequest(task="wdbc", overrides={"epochs": 2}, output="runs/w"))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile import pretrained
from qru_compile.errors import InputError, OptionError
from qru_compile.executor import Executor, LocalExecutor
from qru_compile.model import QRUModel
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.cross_validation import cross_validate
from qru_compile.train.data import Dataset, check_dataset
from qru_compile.train.loop import EpochRecord, evaluate
from qru_compile.train.mitigation import NO_MITIGATION, Mitigation
from qru_compile.train.noisy import compare_ideal_and_noisy
from qru_compile.train.oscillation_task import oscillation_restarts
from qru_compile.train.tasks import TASKS, Task, get_task


@dataclasses.dataclass(frozen=True)
class TrainRequest:
    """One training job: a task by name, or a user's data with a model.

    Attributes:
        task: a task name (``wdbc``, ``digits``, ``oscillation``), or None with ``data``.
        data: a user's classification data (with ``model``); it takes WDBC's options.
        model: the model for ``data``.
        overrides: :class:`~qru_compile.train.loop.TrainConfig` fields that replace the
            task's options (``noise`` also turns on the task's refit phase).
        folds: cross-validation folds.
        only_folds: train only these folds of the split.
        val_fraction: validation share of each training part (default: the task's).
        restarts: initialisations per fold or oscillation run (default: the task's).
        output: the run directory (default ``runs/NAME``).
    """

    task: str | None = None
    data: Dataset | None = None
    model: QRUModel | None = None
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    folds: int = 5
    only_folds: Sequence[int] | None = None
    val_fraction: float | None = None
    restarts: int | None = None
    output: str | Path | None = None

    def __post_init__(self) -> None:
        if (self.task is None) == (self.data is None):
            raise OptionError("give a task name (" + ", ".join(TASKS) + ") or data, not both")
        if self.data is not None and self.model is None:
            raise OptionError("data needs a model")
        if self.only_folds is not None and self.task == "oscillation":
            raise OptionError("only_folds: oscillation has restarts, not folds")

    @property
    def defaults(self) -> Task:
        """The task whose options apply (WDBC's for a user's data: they suit most data)."""
        return TASKS["wdbc"] if self.task is None else get_task(self.task)

    @property
    def name(self) -> str:
        """The run's name: the task's, or the data's."""
        return self.defaults.name if self.data is None else self.data.name


@dataclasses.dataclass(frozen=True)
class TrainOutcome:
    """What a training job produced: the summary written to ``output/summary.json``."""

    name: str
    model: QRUModel
    restarts: int
    output: Path
    summary: dict[str, Any]


def train_task(request: TrainRequest, *, executor: Executor | None = None,
               chunk_batches: bool = False,
               on_epoch: Callable[[int, EpochRecord], None] | None = None,
               on_batch: Callable[[int, int, float], None] | None = None,
               on_done: Callable[[int, Checkpoint], None] | None = None) -> TrainOutcome:
    """Run ``request``: cross-validation of a classification task, or the oscillation task's
    restarts, resumable from ``output``.

    Args:
        request: what to train.
        executor: where the folds or restarts run (default: this process).
        chunk_batches: send each mini-batch's gradient chunks (``chunk_size``) to ``executor``
            and run the folds here, instead of whole folds to the executor.
        on_epoch, on_batch, on_done: progress callbacks (``on_batch`` only for folds run in
            this process).

    Raises:
        InputError: for options that do not fit the task or an output holding another run.
    """
    defaults = request.defaults
    config = defaults.training_config(**request.overrides)
    model = request.model if request.data is not None else defaults.model_for(config)
    assert model is not None  # checked by TrainRequest
    val_fraction = defaults.val_fraction if request.val_fraction is None \
        else request.val_fraction
    restarts = defaults.restarts_for(config) if request.restarts is None else request.restarts
    output = Path(request.output or f"runs/{request.name}")
    executor = executor or LocalExecutor()
    runs, batches = (LocalExecutor(), executor) if chunk_batches else (executor, None)
    if request.task == "oscillation":
        summary = oscillation_restarts(config, restarts=restarts, output=output, executor=runs,
                                       batch_executor=batches, on_epoch=on_epoch,
                                       on_done=on_done)
    else:
        data = request.data if request.data is not None else defaults.data_for(model)
        summary = cross_validate(model, data, config, folds=request.folds, output=output,
                                 val_fraction=val_fraction, restarts=restarts, executor=runs,
                                 batch_executor=batches, on_epoch=on_epoch, on_batch=on_batch,
                                 on_done=on_done, only_folds=request.only_folds)
    return TrainOutcome(request.name, model, restarts, output, summary)


def evaluate_checkpoint(checkpoint: str | Path, *, device: str | None = None,
                        noise: bool = False, shots: int | None = None,
                        trajectories: int | None = None,
                        mitigation: Mitigation = NO_MITIGATION, seed: int = 0,
                        samples: int | None = None, backend: str = "auto") -> dict[str, Any]:
    """Evaluate a fold or restart checkpoint (or a shipped one by name) on its test samples.

    Args:
        checkpoint: a checkpoint file, or a name from :func:`qru_compile.pretrained.names`.
        device: the device whose compiled step runs (default: the one it was trained for).
        noise: under the device's calibration noise and readout error.
        shots: with ``noise``, shots per basis and step (None: exact noisy values).
        trajectories: with ``noise``, trajectories per value.
        mitigation: with ``noise``, readout inversion and/or zero-noise extrapolation.
        seed: seed of the trajectories and shots.
        samples: evaluate only the first N test samples.
        backend: the simulator of the ideal evaluation.

    Returns:
        The report: samples, device, the ideal metrics and (with ``noise``) the noisy ones.

    Raises:
        OptionError: for noise options without ``noise``, or noise without a device.
        InputError: for a checkpoint that is not a task's, or whose model does not fit it.
    """
    noisy_only = {"shots": shots, "trajectories": trajectories}
    given = [name for name, value in noisy_only.items() if value is not None]
    if mitigation != NO_MITIGATION:
        given.append("mitigation")
    if not noise and given:
        raise OptionError(f"{', '.join(given)}: only with noise")
    loaded = Checkpoint.load(pretrained.resolve(str(checkpoint)))
    model, params = loaded.model, loaded.params
    device = device or loaded.config.device
    if noise and device is None:
        raise OptionError("noise needs a device (rainbow, weber or willow_pink): the "
                          "checkpoint was not trained for one")
    task = TASKS.get(loaded.task or "")
    if task is None:
        raise InputError(f"{checkpoint}: evaluation needs a task checkpoint "
                         f"({', '.join(TASKS)}); this one is for {loaded.task!r}")
    data = task.data_for(model)
    check_dataset(model, data, f"{checkpoint}: its model does not fit task {task.name!r}")
    index = loaded.test_indices(len(data), str(checkpoint))
    if index is not None:
        data = data.subset(index)
    if samples is not None:
        data = data.subset(np.arange(min(samples, len(data))))
    if noise:
        assert device is not None  # checked above
        return compare_ideal_and_noisy(model, params, data, loaded.compiled_step(device),
                                       trajectories=trajectories, shots=shots,
                                       mitigation=mitigation, seed=seed)
    return {"samples": len(data), "device": device, "backend": backend,
            "ideal": evaluate(model, params, data, backend=backend, device=device)}
