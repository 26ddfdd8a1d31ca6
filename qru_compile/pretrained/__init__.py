"""Pretrained checkpoints shipped with the package, loadable by name.

``TASK-DEVICE`` is the noise-aware model of a task trained for a device's calibration noise
(noise injection with 1,000 shots, see docs/hardware.md); ``TASK-ideal`` its ideal-trained twin
on the same fold. Each is an ordinary checkpoint (:class:`~qru_compile.train.checkpoint.
Checkpoint`) with the fold's test indices in ``extra["test_index"]``: rows of the task's own
data (``qru_compile.train.tasks.get_task(TASK).load()``, in scikit-learn's order), never seen in
training. ``qru evaluate NAME --noise --shots 1000`` evaluates one on them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from qru_compile.errors import InputError

if TYPE_CHECKING:
    from qru_compile.train.checkpoint import Checkpoint


def names() -> tuple[str, ...]:
    """The shipped checkpoints' names."""
    folder = resources.files(__name__)
    return tuple(sorted(entry.name.removesuffix(".json") for entry in folder.iterdir()
                        if entry.name.endswith(".json")))


def path(name: str) -> Path:
    """The file of the shipped checkpoint ``name``.

    Raises:
        InputError: for an unknown name; the message lists the known ones.
    """
    if name not in names():
        raise InputError(f"no pretrained checkpoint {name!r}; shipped: {', '.join(names())}")
    return Path(str(resources.files(__name__) / f"{name}.json"))


def load(name: str) -> Checkpoint:
    """The shipped checkpoint ``name`` (see :func:`names`)."""
    # imported here: the command line lists names() in its help, and the checkpoint module
    # brings scikit-learn (1.3 s) into every start-up
    from qru_compile.train.checkpoint import Checkpoint

    return Checkpoint.load(path(name))


def resolve(checkpoint: str) -> Path:
    """A checkpoint argument: the shipped checkpoint of that name unless a file of that name
    exists, else the argument as a path (loading it reports a missing file)."""
    file = Path(checkpoint)
    if file.exists() or checkpoint not in names():
        return file
    return path(checkpoint)
