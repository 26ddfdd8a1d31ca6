"""The training loop: Adam on parameter-shift gradients, the paper's schedule, early stopping.

Schedule (QRU_SPEC.md): after every epoch the training loss at the epoch's final parameters
(one forward pass over the training set) is compared with the best so far. When it rises, the
learning rate is halved and training returns to the parameters of the best epoch (Adam keeps
its moment estimates: resetting them makes the next step a full ``learning_rate`` in every
coordinate, which on the oscillation task raised the loss again after nearly every return);
when the rate falls below ``min_learning_rate`` the loss has reached a plateau and training
stops. With a validation set, the parameters with the lowest
validation loss are the result, and ``patience`` epochs without a better validation loss stop
training early; without one, the best training epoch's parameters are the result.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from qru_compile.executor import Executor
from qru_compile.model import QRUModel
from qru_compile.sim.backends import get_backend
from qru_compile.train.data import Dataset
from qru_compile.train.gradients import forward_outputs, loss_and_gradient, step_circuit
from qru_compile.train.optim import Adam
from qru_compile.train.readout import metrics


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Options of :func:`fit` (the paper's values differ per task; see ``tasks.py``).

    ``lr_patience`` is how many epochs in a row the training loss may fail to improve before the
    rate is halved (1: on every rise, the paper's rule); ``patience`` the same for the
    validation loss before training stops early. ``chunk_size`` splits each mini-batch's
    gradient into jobs of that many samples, run on :func:`fit`'s executor.
    """

    epochs: int = 30
    batch_size: int = 20
    learning_rate: float = 0.01
    patience: int = 6
    lr_patience: int = 1
    min_learning_rate: float = 1e-4
    seed: int = 0
    backend: str = "numpy"
    device: str | None = None
    chunk_size: int | None = None


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


def evaluate(model: QRUModel, params: np.ndarray, data: Dataset, *, backend: str = "numpy",
             device: str | None = None) -> dict[str, float]:
    """Loss and accuracy (classification) or MSE (regression) on ``data``."""
    hidden = np.zeros((len(data), model.hidden_size))
    outs = forward_outputs(model, params[: model.num_circuit_parameters], data.inputs, hidden,
                           step_circuit(model, device), get_backend(backend))
    return metrics(model, params, outs, data.targets)


def fit(model: QRUModel, train: Dataset, val: Dataset | None, config: TrainConfig, *,
        params: np.ndarray | None = None,
        executor: Executor | None = None,
        on_batch: Callable[[int, int, float], None] | None = None,
        on_epoch: Callable[[EpochRecord], None] | None = None) -> FitResult:
    """Train ``model`` on ``train`` (monitoring ``val`` when given).

    Args:
        model: the model.
        train: training sequences.
        val: validation sequences for the schedule and early stopping, or None.
        config: options; ``config.seed`` fixes the initial weights and the batch order.
        params: start here instead of the paper's random initialisation (to resume).
        executor: where the gradient chunks run (with ``config.chunk_size``; default here).
        on_batch: called with (epoch, batch index, batch loss) for progress display.
        on_epoch: called with each epoch's record.
    """
    rng = np.random.default_rng(config.seed)
    params = model.initial_parameters(rng) if params is None else np.array(params, dtype=float)
    optimizer = Adam(learning_rate=config.learning_rate)
    best_train, best_train_params, since_best_train = np.inf, params.copy(), 0
    best, best_params, best_epoch, since_best = np.inf, params.copy(), 0, 0
    history: list[EpochRecord] = []
    stopped = "epochs"
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(train))
        for b, first in enumerate(range(0, len(order), config.batch_size)):
            batch = train.subset(order[first : first + config.batch_size])
            loss, grad = loss_and_gradient(model, params, batch.inputs, batch.targets,
                                           backend=config.backend, device=config.device,
                                           executor=executor, chunk_size=config.chunk_size)
            params = optimizer.step(params, grad)
            if on_batch is not None:
                on_batch(epoch, b, loss)
        # the schedule compares the loss *at* this epoch's final parameters, the ones it may
        # return to (the batch losses above were taken before each step)
        train_loss = evaluate(model, params, train, backend=config.backend,
                              device=config.device)["loss"]
        metrics = evaluate(model, params, val, backend=config.backend, device=config.device) \
            if val is not None else None
        val_loss = None if metrics is None else metrics["loss"]
        val_metric = None if metrics is None else metrics.get("accuracy", metrics.get("mse"))
        record = EpochRecord(epoch, train_loss, val_loss, val_metric, optimizer.learning_rate,
                             time.perf_counter() - start)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        selection = train_loss if metrics is None else metrics["loss"]
        if selection < best:
            best, best_params, best_epoch, since_best = selection, params.copy(), epoch, 0
        else:
            since_best += 1
        if train_loss < best_train:
            best_train, best_train_params, since_best_train = train_loss, params.copy(), 0
            keep_rate = True
        else:
            since_best_train += 1
            keep_rate = since_best_train < config.lr_patience
        if not keep_rate:
            since_best_train = 0
            optimizer.learning_rate /= 2
            params = best_train_params.copy()
            if optimizer.learning_rate < config.min_learning_rate:
                stopped = "plateau"
                break
        if since_best >= config.patience:
            stopped = "early stopping"
            break
    return FitResult(best_params, tuple(history), best_epoch, stopped)
