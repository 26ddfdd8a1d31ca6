"""Training: parameter-shift (and adjoint) gradients through time, Adam, tasks, checkpoints."""

from qru_compile.train.gradients import loss_and_gradient
from qru_compile.train.readout import check_targets, predictions

__all__ = ["check_targets", "loss_and_gradient", "predictions"]
