"""The manifest of a training run: what makes a rerun in the same directory the same run.

A run directory (``qru train --output DIR``) holds a checkpoint per fold or restart, their
training states while they run, and a summary. ``DIR/run.json`` records what the run is: the
task, a content hash of the data, the model, the training options, and the run's own options
(folds, validation share, restarts). A rerun checks it before it reads or writes anything in
``DIR``: the same run resumes, skipping what is finished; any other run is refused with every
field that differs, so a finished run is never mixed with another or overwritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.model import QRUModel
from qru_compile.paths import output_directory
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.data import Dataset
from qru_compile.train.loop import TrainConfig

#: The manifest's file name in a run directory.
RUN_FILE = "run.json"

#: Stands in for a field one of two manifests lacks.
_ABSENT = object()


def describe_run(task: str, data: Dataset, model: QRUModel, config: TrainConfig,
                 **options: Any) -> dict[str, Any]:
    """The manifest of a run, in the JSON form :func:`check_run` reads back.

    Args:
        task: the task's name.
        data: the data the run trains and tests on (hashed, not stored).
        model: the model trained.
        config: the training options.
        **options: the run's own options (folds, val_fraction, restarts).
    """
    manifest = {"task": task, "data": data_fingerprint(data), "model": model.to_dict(),
                "config": dataclasses.asdict(config), **options}
    return json.loads(json.dumps(manifest))


def data_fingerprint(data: Dataset) -> dict[str, Any]:
    """The sha256 of ``data``'s inputs and targets (as float64, shapes included) and shapes."""
    digest = hashlib.sha256()
    for array in (data.inputs, data.targets):
        values = np.ascontiguousarray(array, dtype=np.float64)
        digest.update(repr(values.shape).encode())
        digest.update(values.tobytes())
    return {"sha256": digest.hexdigest(), "inputs_shape": list(np.shape(data.inputs)),
            "targets_shape": list(np.shape(data.targets))}


def check_run(output: Path, manifest: Mapping[str, Any],
              checkpoints: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse ``output`` unless it is new or holds the run ``manifest`` describes.

    With a ``run.json`` the two manifests must be equal. A directory an older version wrote
    (checkpoints, no ``run.json``) is checked through what its files record: each checkpoint
    ``NAME.json`` named in ``checkpoints`` must hold the manifest's model and task and the
    ``extra`` fields given for it there (a fold's test indices), and ``summary.json`` the
    manifest's values for the fields both have. Nothing is written.

    Args:
        output: the run directory.
        manifest: this run's manifest (:func:`describe_run`).
        checkpoints: per checkpoint name (``fold0``), the ``extra`` fields it must hold.

    Raises:
        InputError: if ``output`` is a file or lies under one; if it holds another run (the
            message names every field that differs, old -> new, and how to resume or start
            afresh); or if it holds training states of an older version, which record
            neither model nor data.
    """
    output_directory(output)
    if (output / RUN_FILE).exists():
        changed = _differences(_read_json(output / RUN_FILE), manifest)
        where = f"{output} holds another run ({RUN_FILE})"
    elif output.is_dir():
        _refuse_legacy_states(output)
        changed = _legacy_differences(output, manifest, checkpoints)
        where = f"{output} holds another run (written without {RUN_FILE} by an older version)"
    else:
        return
    if changed:
        raise InputError(f"{where}: {'; '.join(changed)}. To resume it, run again with its "
                         f"options; to start afresh, choose another --output or delete "
                         f"{output}")


def save_manifest(output: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest`` to ``output/run.json`` (atomically) unless one is there.

    Call :func:`check_run` first: an existing manifest is then this run's.
    """
    path = output / RUN_FILE
    if path.exists():
        return
    output.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{RUN_FILE}.tmp")
    temporary.write_text(json.dumps(manifest, indent=1) + "\n")
    temporary.replace(path)


def _refuse_legacy_states(output: Path) -> None:
    """Raise if ``output`` holds training states but no manifest: they cannot be checked."""
    states = sorted(path.name for path in output.glob("*.state.json"))
    if states:
        raise InputError(f"{output} holds training states of an older version "
                         f"({', '.join(states)}) that record neither model nor data, so they "
                         "cannot be checked against this run; delete them to resume from its "
                         "finished checkpoints, or choose another --output")


def _legacy_differences(output: Path, manifest: Mapping[str, Any],
                        checkpoints: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What the checkpoints and summary in ``output`` record differently from ``manifest``."""
    changed = []
    for name, extra in checkpoints.items():
        path = output / f"{name}.json"
        if path.exists():
            checkpoint = Checkpoint.load(path)
            then = {"task": checkpoint.task, "model": checkpoint.model.to_dict(),
                    **{field: checkpoint.extra.get(field) for field in extra}}
            now = {"task": manifest["task"], "model": manifest["model"], **extra}
            changed += [f"{path.name}: {change}" for change in _differences(then, now)]
    if (output / "summary.json").exists():
        summary = _read_json(output / "summary.json")
        shared = [field for field in manifest if field in summary]
        changed += [f"summary.json: {change}" for change in _differences(
            {field: summary[field] for field in shared},
            {field: manifest[field] for field in shared})]
    return changed


def _differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``field old -> new`` for every field that differs, nested fields as ``config.epochs``."""
    changed = []
    for field in dict.fromkeys([*old, *new]):
        then, now = old.get(field, _ABSENT), new.get(field, _ABSENT)
        if isinstance(then, Mapping) and isinstance(now, Mapping):
            changed += _differences(then, now, f"{prefix}{field}.")
        elif then != now:
            changed.append(f"{prefix}{field} {_show(then)} -> {_show(now)}")
    return changed


def _show(value: Any) -> str:
    """A short form of a manifest value for a message."""
    if value is _ABSENT:
        return "(none)"
    if isinstance(value, list) and len(value) > 8:
        return f"[{len(value)} values]"
    if isinstance(value, str) and len(value) > 24:
        return repr(value[:12] + "...")
    return repr(value)


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``.

    Raises:
        InputError: if it cannot be read or holds no JSON object.
    """
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}); restore or "
                         "delete it") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data
