"""Training: parameter-shift gradients through time (optimisers and tasks to follow)."""

from qru_compile.train.gradients import loss_and_gradient, step_circuit
from qru_compile.train.readout import check_targets, predictions

__all__ = ["check_targets", "loss_and_gradient", "predictions", "step_circuit"]
