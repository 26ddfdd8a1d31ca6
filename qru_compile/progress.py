"""Progress of long work on stderr: a tqdm bar on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
from typing import IO, Any

from tqdm import tqdm

from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.loop import EpochRecord


class TrainingProgress:
    """Callbacks for :func:`~qru_compile.train.run_task.train_task`: on a terminal a bar of the
    current epoch's batches; each finished epoch and run is one line (all a log file gets)."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._bar: Any = None
        self._epoch: int | None = None

    @property
    def interactive(self) -> bool:
        """Whether the stream is a terminal (bars are drawn only there)."""
        return self.stream.isatty()

    def batch(self, epoch: int, index: int, loss: float) -> None:
        """A mini-batch of ``epoch`` finished with ``loss``."""
        if not self.interactive:
            return
        if self._bar is None or self._epoch != epoch:
            self._close()
            self._bar = tqdm(desc=f"{self.label} epoch {epoch}", unit="batch",
                             file=self.stream, leave=False)
            self._epoch = epoch
        self._bar.update(1)
        self._bar.set_postfix(loss=f"{loss:.4f}")

    def epoch(self, run: int, record: EpochRecord) -> None:
        """Run ``run`` (a fold or restart) finished an epoch."""
        metric = "" if record.val_metric is None else f" val {record.val_metric:.4f}"
        val = "" if record.val_loss is None else f" val loss {record.val_loss:.4f}"
        self._line(f"{self.label} {run}: epoch {record.epoch} loss {record.train_loss:.4f}{val}"
                   f"{metric} lr {record.learning_rate:g} ({record.seconds:.1f} s)")

    def done(self, run: int, checkpoint: Checkpoint) -> None:
        """Run ``run`` finished and was checkpointed."""
        scores = ", ".join(f"{key} {value:.4g}" for key, value in checkpoint.metrics.items()
                           if key in ("accuracy", "loss", "train_mse", "test_mse"))
        self._line(f"{self.label} {run}: finished, {scores}")

    def _line(self, text: str) -> None:
        self._close()
        print(text, file=self.stream, flush=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class StepProgress:
    """A bar over the steps of an Engine run on a terminal (nothing in a log)."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._bar: Any = None

    def __call__(self, step: int, steps: int) -> None:
        """Step ``step`` of ``steps`` is running."""
        if not self.stream.isatty():
            return
        if self._bar is None:
            self._bar = tqdm(total=steps, desc=self.label, unit="step", file=self.stream)
        self._bar.n = step + 1
        self._bar.refresh()

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
