"""Checkpoints: one JSON file with the model, parameters, metrics, seed and versions."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.errors import InputError, ModelError
from qru_compile.files import read_json
from qru_compile.model import QRUModel
from qru_compile.train.loop import EpochRecord, TrainConfig
from qru_compile.validation import finite_array

if typing.TYPE_CHECKING:
    from qru_compile.compiler import CompileResult

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

    @property
    def absorb_ring(self) -> int | str:
        """The ``absorb_ring`` option of the compiled step the model was trained on
        (``extra["absorb_ring"]``; 0, the ring kept, for checkpoints that do not record it:
        they predate the option's default; :func:`~qru_compile.compile` refuses a bad one)."""
        return self.extra.get("absorb_ring", 0)

    def compiled_step(self, device: str) -> CompileResult:
        """The step this checkpoint runs on ``device``: the default pipeline with the
        ``absorb_ring`` it was trained with, so evaluation reads the outputs as training
        did."""
        from qru_compile.compiler import compile as compile_model  # the compiler is heavy

        return compile_model(self.model, device, absorb_ring=self.absorb_ring)

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
            InputError: naming the file and the field that is missing, unknown or of the
                wrong type or value (see :meth:`from_dict`), or why the file is unreadable.
        """
        return cls.from_dict(read_json(path, "checkpoint"), str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "checkpoint") -> Checkpoint:
        """A checkpoint from its JSON form, every field checked.

        Args:
            data: the parsed JSON.
            where: the file name, for messages.

        Raises:
            InputError: naming ``where`` and the field at fault.
        """
        if not isinstance(data, dict):
            raise InputError(f"{where}: not a qru_compile checkpoint (expected a JSON object, "
                             f"got {_json_type(data)})")
        _check_keys(data, f"{where}: not a qru_compile checkpoint",
                    required=("model", "params", "config"), optional=_OPTIONAL)
        try:
            model = QRUModel.from_dict(data["model"])
        except ModelError as exc:
            raise InputError(f"{where}: model: {exc}") from None
        params = _parameters(data["params"], model, where)
        config = _record(TrainConfig, data["config"], f"{where}: config")
        history = data.get("history", [])
        if not isinstance(history, list):
            raise InputError(f"{where}: history: expected a list, got {_json_type(history)}")
        records = tuple(_record(EpochRecord, r, f"{where}: history[{i}]")
                        for i, r in enumerate(history))
        for key in ("metrics", "extra", "versions"):
            if not isinstance(data.get(key, {}), dict):
                raise InputError(f"{where}: {key}: expected an object, got "
                                 f"{_json_type(data[key])}")
        task = data.get("task")
        if task is not None and not isinstance(task, str):
            raise InputError(f"{where}: task: expected a name or null, got {task!r}")
        return cls(model, params, config, data.get("metrics", {}), records, task,
                   data.get("extra", {}))

    def test_indices(self, size: int, where: str = "checkpoint") -> np.ndarray | None:
        """The test rows recorded in ``extra["test_index"]``, if any, for data of ``size`` rows.

        Raises:
            InputError: unless they are distinct integers in ``0..size-1``.
        """
        index = self.extra.get("test_index")
        if index is None:
            return None
        if (not isinstance(index, list) or not index
                or not all(_is_int(i) and 0 <= i < size for i in index)):
            raise InputError(f"{where}: extra.test_index: expected a non-empty list of row "
                             f"indices in 0..{size - 1} (the task has {size} sequences)")
        if len(set(index)) != len(index):
            raise InputError(f"{where}: extra.test_index: a row is listed twice")
        return np.asarray(index)


#: Fields a checkpoint file may have besides the required ones.
_OPTIONAL = ("metrics", "history", "task", "extra", "versions")


def _json_type(value: Any) -> str:
    """The JSON name of ``value``'s type."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_keys(data: dict[str, Any], where: str, *, required: Sequence[str],
                optional: Sequence[str]) -> None:
    """Refuse unknown and missing keys, naming them."""
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join((*required, *optional))}")
    missing = [key for key in required if key not in data]
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(map(repr, missing))}")


def _parameters(value: Any, model: QRUModel, where: str) -> np.ndarray:
    """The parameter list: ``model.num_parameters`` finite numbers."""
    if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise InputError(f"{where}: params: expected a list of {model.num_parameters} numbers, "
                         f"got {_describe(value)}")
    if len(value) != model.num_parameters:
        raise InputError(f"{where}: params: {len(value)} parameters for a model with "
                         f"{model.num_parameters}")
    return finite_array(f"{where}: params", value)


def _describe(value: Any) -> str:
    """``value``'s JSON type, or for a list the first element that is not a number."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, int | float) or isinstance(item, bool):
                return f"{_json_type(item)} at index {i} ({item!r:.40})"
    return _json_type(value)


def _record(cls: type, value: Any, where: str) -> Any:
    """An instance of the dataclass ``cls`` from a JSON object, each field's type checked."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object, got {_json_type(value)}")
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    required = [f.name for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    _check_keys(value, where, required=required,
                optional=[f.name for f in fields if f.name not in required])
    for key, item in value.items():
        if not _fits(item, hints[key]):
            raise InputError(f"{where}: {key}: expected {_type_name(hints[key])}, got {item!r}")
    try:
        return cls(**value)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field annotated ``hint`` (int, float, str, bool, None)."""
    if isinstance(hint, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return _is_int(value)
    if not isinstance(hint, type):
        return True  # beyond JSON's scalars: the dataclass checks such a field itself
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    if isinstance(hint, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(hint))
    return {type(None): "null", bool: "true/false", int: "an integer", float: "a number",
            str: "a string"}.get(hint, str(hint))


def plot_history(history: Sequence[EpochRecord], path: str | Path, title: str) -> None:
    """A loss-curve PNG (training and, where present, validation loss per epoch)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.2), dpi=120)
    epochs = [r.epoch for r in history]
    axis.plot(epochs, [r.train_loss for r in history], label="training")
    if any(r.val_loss is not None for r in history):
        axis.plot(epochs, [np.nan if r.val_loss is None else r.val_loss for r in history],
                  label="validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
