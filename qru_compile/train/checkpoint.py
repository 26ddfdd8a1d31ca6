"""Checkpoints: one JSON file with the model, parameters, metrics, seed and versions."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.model import QRUModel
from qru_compile.train.loop import EpochRecord, TrainConfig

_PACKAGES = ("qru_compile", "cirq-core", "qsimcirq", "numpy", "scikit-learn")


def _versions() -> dict[str, str]:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclasses.dataclass(frozen=True, eq=False)
class Checkpoint:
    """A saved training state.

    Attributes:
        model: the model trained.
        params: its parameters (full vector).
        config: the training options.
        metrics: evaluation results (task-specific).
        history: per-epoch records.
        task: the task name, if any.
        extra: anything else the task stored (fold index, split indices, ...).
    """

    model: QRUModel
    params: np.ndarray
    config: TrainConfig
    metrics: Mapping[str, Any]
    history: tuple[EpochRecord, ...] = ()
    task: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        """Write the checkpoint (with package versions) as JSON."""
        data = {
            "model": self.model.to_dict(),
            "params": self.params.tolist(),
            "config": dataclasses.asdict(self.config),
            "metrics": dict(self.metrics),
            "history": [dataclasses.asdict(r) for r in self.history],
            "task": self.task,
            "extra": dict(self.extra),
            "versions": _versions(),
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Checkpoint:
        """Read a checkpoint written by :meth:`save`.

        Raises:
            InputError: if the file is missing, not JSON or lacks a field.
        """
        try:
            data = json.loads(Path(path).read_text())
            model = QRUModel.from_dict(data["model"])
            params = np.asarray(data["params"], dtype=float)
            config = TrainConfig(**data["config"])
            history = tuple(EpochRecord(**r) for r in data.get("history", []))
        except OSError as exc:
            raise InputError(f"{path}: cannot read checkpoint ({exc.strerror})") from None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a qru_compile checkpoint ({exc})") from None
        if params.shape != (model.num_parameters,):
            raise InputError(f"{path}: {len(params)} parameters for a model with "
                             f"{model.num_parameters}")
        return cls(model, params, config, data.get("metrics", {}), history, data.get("task"),
                   data.get("extra", {}))


def plot_history(history: Sequence[EpochRecord], path: str | Path, title: str) -> None:
    """A loss-curve PNG (training and, where present, validation loss per epoch)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.2), dpi=120)
    epochs = [r.epoch for r in history]
    axis.plot(epochs, [r.train_loss for r in history], label="training")
    if any(r.val_loss is not None for r in history):
        axis.plot(epochs, [r.val_loss for r in history], label="validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
