"""The training loop: Adam on parameter-shift gradients, the paper's schedule, early stopping.

Schedule (QRU_SPEC.md): after every epoch the training loss at the epoch's final parameters
(one forward pass over the training set) is compared with the best so far. When it rises, the
learning rate is halved and training returns to the parameters of the best epoch (Adam keeps
its moment estimates: resetting them makes the next step a full ``learning_rate`` in every
coordinate, which on the oscillation task raised the loss again after nearly every return);
when the rate falls below ``min_learning_rate`` the loss has reached a plateau and training
stops. The selection loss is the validation loss when there is a validation set, else the
training loss: the parameters with the lowest are the result, and ``patience`` epochs without a
better one stop training early. With ``state_path`` the whole state is saved after every epoch,
so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qru_compile.errors import InputError
from qru_compile.executor import Executor
from qru_compile.program import StepProgram
from qru_compile.sim.backends import get_backend
from qru_compile.sim.rollout import Observe, rollout
from qru_compile.targets import Target, model_of, step_program
from qru_compile.train.data import Dataset
from qru_compile.train.gradients import loss_and_gradient
from qru_compile.train.noise_injection import ObservationModel
from qru_compile.train.optim import Adam
from qru_compile.train.readout import metrics

#: The gradient methods :func:`fit` trains with (see :func:`loss_and_gradient`).
TRAINING_GRADIENTS = ("parameter-shift", "adjoint")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Options of :func:`fit` (the paper's values differ per task; see ``tasks.py``).

    ``lr_patience`` is how many epochs in a row the training loss may fail to improve before the
    rate is halved (1: on every rise; the authors' code waits about 300 optimiser steps);
    ``patience`` the same for the selection loss (validation loss, or training loss without a
    validation set) before training stops early. ``chunk_size`` splits each mini-batch's
    gradient into jobs of that many samples, run on :func:`fit`'s executor. ``gradient`` is
    ``"parameter-shift"`` (the hardware rule) or ``"adjoint"`` (the same gradient by the
    state-vector engine's backward sweep, up to 10x faster for the MNIST preset). ``noise``
    trains under a fitted model of what ``device`` reports (noise injection, see
    :mod:`qru_compile.train.noise_injection`), with ``shots`` per basis and step if given;
    ``refit_epochs`` then adds a second phase
    (:func:`~qru_compile.train.cross_validation.run_fold`): the observation model refitted at
    the trained parameters, and that many epochs more. The
    device enters through that model only, and training runs the logical step (the compiled
    one computes the same function, which compilation verifies; the engine runs the logical one
    2.5x faster for WDBC). Bad values raise :class:`InputError`.
    """

    epochs: int = 30
    batch_size: int = 20
    learning_rate: float = 0.01
    patience: int = 6
    lr_patience: int = 1
    min_learning_rate: float = 1e-4
    seed: int = 0
    backend: str = "auto"
    device: str | None = None
    chunk_size: int | None = None
    gradient: str = "parameter-shift"
    noise: bool = False
    shots: int | None = None
    refit_epochs: int = 0

    def __post_init__(self) -> None:
        counts = {"epochs": self.epochs, "batch_size": self.batch_size,
                  "patience": self.patience, "lr_patience": self.lr_patience}
        for name, value in counts.items():
            if value < 1:
                raise InputError(f"{name} must be at least 1, got {value}")
        if not self.learning_rate > 0 or not np.isfinite(self.learning_rate):
            raise InputError(f"learning_rate must be a positive number, got {self.learning_rate}")
        if not 0 <= self.min_learning_rate < self.learning_rate:
            raise InputError(f"min_learning_rate must be at least 0 and below learning_rate "
                             f"{self.learning_rate}, got {self.min_learning_rate}")
        if not 0 <= self.seed < 2**32:  # numpy's and scikit-learn's seeds are 32-bit
            raise InputError(f"seed must be an integer from 0 to 2**32 - 1, got {self.seed}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise InputError(f"chunk_size must be at least 1, got {self.chunk_size}")
        if self.noise and self.device is None:
            raise InputError("noise needs a device: the noise is that of the step compiled "
                             "for it")
        if self.shots is not None and (self.shots < 1 or not self.noise):
            raise InputError(f"shots must be at least 1 and needs noise, got {self.shots}")
        if self.refit_epochs < 0 or (self.refit_epochs and not self.noise):
            raise InputError(f"refit_epochs must be at least 0 and needs noise, got "
                             f"{self.refit_epochs}")
        if self.gradient not in TRAINING_GRADIENTS:
            raise InputError(f"gradient must be one of {', '.join(TRAINING_GRADIENTS)}, got "
                             f"{self.gradient!r}")


@dataclasses.dataclass(frozen=True)
class EpochRecord:
    """Metrics after one epoch."""

    epoch: int
    train_loss: float
    val_loss: float | None
    val_metric: float | None
    learning_rate: float
    seconds: float


@dataclasses.dataclass(frozen=True, eq=False)
class FitResult:
    """Best parameters found, the per-epoch history and why training stopped."""

    params: np.ndarray
    history: tuple[EpochRecord, ...]
    best_epoch: int
    stopped: str


def evaluate(target: Target, params: np.ndarray, data: Dataset, *, backend: str = "auto",
             device: str | None = None, observe: Observe | None = None) -> dict[str, float]:
    """Loss and accuracy (classification) or MSE (regression) on ``data``.

    Args:
        target: a model, a compile result or a step program (see :mod:`qru_compile.targets`).
        params: the full parameter vector.
        data: the sequences and targets.
        backend: the simulator (see :mod:`qru_compile.sim.backends`).
        device: with a model: evaluate its step compiled for this device.
        observe: what is observed of each step's values (see :mod:`qru_compile.sim.rollout`).
    """
    program = step_program(target, device)
    model = program.model
    hidden = np.zeros((len(data), model.hidden_size))
    outs = rollout(program, get_backend(backend, program), params[: model.num_circuit_parameters],
                   data.inputs, hidden, observe=observe).outs
    return metrics(model, params, outs, data.targets)


#: The plain-valued fields of :class:`_FitState`, saved and loaded as they are.
_SCALARS = ("epoch", "best_train", "since_best_train", "best", "best_epoch", "since_best",
            "stopped")


@dataclasses.dataclass
class _FitState:
    """Everything :func:`fit` needs to continue after an epoch (saved with ``state_path``)."""

    params: np.ndarray
    optimizer: Adam
    rng: np.random.Generator
    best_train_params: np.ndarray
    best_params: np.ndarray
    epoch: int = 0
    best_train: float = np.inf
    since_best_train: int = 0
    best: float = np.inf
    best_epoch: int = 0
    since_best: int = 0
    history: list[EpochRecord] = dataclasses.field(default_factory=list)
    stopped: str | None = None

    def save(self, path: Path, config: TrainConfig) -> None:
        arrays = ("params", "best_train_params", "best_params")
        data = {name: getattr(self, name) for name in _SCALARS}
        data.update({name: getattr(self, name).tolist() for name in arrays})
        data["history"] = [dataclasses.asdict(r) for r in self.history]
        data["optimizer"] = self.optimizer.state_dict()
        data["rng"] = self.rng.bit_generator.state
        data["config"] = dataclasses.asdict(config)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(path)  # atomic: an interruption leaves the previous epoch's state

    @classmethod
    def load(cls, path: Path, config: TrainConfig) -> _FitState:
        try:
            data = json.loads(path.read_text())
            saved = TrainConfig(**data["config"])
            rng = np.random.default_rng()
            rng.bit_generator.state = data["rng"]
            state = cls(np.asarray(data["params"]), Adam.from_state_dict(data["optimizer"]), rng,
                        history=[EpochRecord(**r) for r in data["history"]],
                        best_train_params=np.asarray(data["best_train_params"]),
                        best_params=np.asarray(data["best_params"]),
                        **{name: data[name] for name in _SCALARS})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a readable training state ({exc}); delete it to "
                             "start this run afresh") from None
        if saved != config:
            raise InputError(f"{path}: a training state for other options; delete it to start "
                             "this run afresh")
        return state


def fit(target: Target, train: Dataset, val: Dataset | None, config: TrainConfig, *,
        params: np.ndarray | None = None,
        observation: ObservationModel | None = None,
        executor: Executor | None = None,
        state_path: str | Path | None = None,
        on_batch: Callable[[int, int, float], None] | None = None,
        on_epoch: Callable[[EpochRecord], None] | None = None) -> FitResult:
    """Train on ``train`` (monitoring ``val`` when given).

    Args:
        target: the model, or a compile result or step program to train on (see
            :mod:`qru_compile.targets`; ``config.device`` then must be None or its device).
        train: training sequences.
        val: validation sequences for the schedule and early stopping, or None.
        config: options; ``config.seed`` fixes the initial weights and the batch order.
        params: start here instead of the paper's random initialisation.
        observation: with ``config.noise``, the fitted model of what the device reports: every
            gradient sees a fresh noisy draw of it, the schedule its mean.
        executor: where the gradient chunks run (with ``config.chunk_size``; default here).
        state_path: after every epoch the whole training state (parameters, Adam moments,
            random generator, schedule, history) is written here; if the file exists, training
            continues from it and ends exactly as an uninterrupted run would.
        on_batch: called with (epoch, batch index, batch loss) for progress display.
        on_epoch: called with each epoch's record.

    Raises:
        InputError: if ``state_path`` holds an unreadable state or one for other options.
    """
    model = model_of(target)
    program = step_program(target, None if config.noise else config.device)
    if config.noise != (observation is not None):
        raise InputError("noise training needs its observation model, and only it does")
    state_path = None if state_path is None else Path(state_path)
    if state_path is not None and state_path.exists():
        state = _FitState.load(state_path, config)
    else:
        rng = np.random.default_rng(config.seed)
        start = model.initial_parameters(rng) if params is None else np.array(params, float)
        state = _FitState(start, Adam(learning_rate=config.learning_rate), rng,
                          best_train_params=start.copy(), best_params=start.copy())
    while state.stopped is None:
        _train_epoch(program, train, val, config, state, observation, executor, on_batch,
                     on_epoch)
        if state_path is not None:
            state.save(state_path, config)
    return FitResult(state.best_params, tuple(state.history), state.best_epoch, state.stopped)


def _train_epoch(program: StepProgram, train: Dataset, val: Dataset | None, config: TrainConfig,
                 state: _FitState, observation: ObservationModel | None,
                 executor: Executor | None,
                 on_batch: Callable[[int, int, float], None] | None,
                 on_epoch: Callable[[EpochRecord], None] | None) -> None:
    """One epoch of :func:`fit`, then the schedule; updates ``state`` in place."""
    state.epoch += 1
    epoch, optimizer = state.epoch, state.optimizer
    start = time.perf_counter()
    order = state.rng.permutation(len(train))
    for b, first in enumerate(range(0, len(order), config.batch_size)):
        batch = train.subset(order[first : first + config.batch_size])
        loss, grad = loss_and_gradient(
            program, state.params, batch.inputs, batch.targets, method=config.gradient,
            backend=config.backend, executor=executor, chunk_size=config.chunk_size,
            observe=None if observation is None else observation.sampler(state.rng))
        state.params = optimizer.step(state.params, grad)
        if on_batch is not None:
            on_batch(epoch, b, loss)
    # the schedule compares the loss *at* this epoch's final parameters, the ones it may
    # return to (the batch losses above were taken before each step)
    expected = None if observation is None else observation.mean()
    train_loss = evaluate(program, state.params, train, backend=config.backend,
                          observe=expected)["loss"]
    metrics = evaluate(program, state.params, val, backend=config.backend, observe=expected) \
        if val is not None else None
    val_loss = None if metrics is None else metrics["loss"]
    val_metric = None if metrics is None else metrics.get("accuracy", metrics.get("mse"))
    record = EpochRecord(epoch, train_loss, val_loss, val_metric, optimizer.learning_rate,
                         time.perf_counter() - start)
    state.history.append(record)
    if on_epoch is not None:
        on_epoch(record)
    selection = train_loss if metrics is None else metrics["loss"]
    if selection < state.best:
        state.best, state.best_params, state.best_epoch = selection, state.params.copy(), epoch
        state.since_best = 0
    else:
        state.since_best += 1
    if train_loss < state.best_train:
        state.best_train, state.best_train_params = train_loss, state.params.copy()
        state.since_best_train = 0
        keep_rate = True
    else:
        state.since_best_train += 1
        keep_rate = state.since_best_train < config.lr_patience
    if not keep_rate:
        state.since_best_train = 0
        optimizer.learning_rate /= 2
        state.params = state.best_train_params.copy()
        if optimizer.learning_rate < config.min_learning_rate:
            state.stopped = "plateau"
            return
    if state.since_best >= config.patience:
        state.stopped = "early stopping"
    elif epoch >= config.epochs:
        state.stopped = "epochs"
