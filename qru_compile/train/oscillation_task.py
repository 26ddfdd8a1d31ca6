"""The oscillation task's training: independent random restarts, tested autoregressively."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.executor import Executor, LocalExecutor
from qru_compile.model import QRUModel
from qru_compile.sim.backends import get_backend
from qru_compile.sim.rollout import Feedback, rollout
from qru_compile.targets import step_program
from qru_compile.train import data as datasets
from qru_compile.train.baselines import oscillation_baselines
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.checkpointed_runs import run_checkpointed
from qru_compile.train.loop import EpochRecord, TrainConfig, evaluate, fit
from qru_compile.train.run_manifest import describe_run
from qru_compile.train.tasks import TASKS


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
    done = run_checkpointed(executor, run_restart, jobs, output, "oscillation", on_done,
                             {"batch_executor": batch_executor, "on_epoch": on_epoch},
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
