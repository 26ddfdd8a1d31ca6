"""Runs of independent jobs that each write one checkpoint, resumable from a run directory.

Every fold (or restart) is independent, seeded from the run's seed and its index, and written
to its own checkpoint, so an interrupted run resumes without redoing finished work.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.executor import Executor
from qru_compile.train.checkpoint import Checkpoint, plot_history
from qru_compile.train.loop import EpochRecord, TrainConfig
from qru_compile.train.run_manifest import check_run, save_manifest


def run_checkpointed(executor: Executor, function: Callable[..., Checkpoint], jobs: list[Any],
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
