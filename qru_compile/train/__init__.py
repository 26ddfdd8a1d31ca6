"""Training: loss gradients through time, the Adam training loop, tasks, checkpoints, noise.

Gradients by parameter shift, the adjoint method or finite differences (``gradients``); the
loop with the paper's schedule (``loop``, ``optim``); data sets and tasks (``data``, ``tasks``),
cross-validation and the oscillation restarts (``cross_validation``, ``oscillation_task``),
resumable runs (``checkpointed_runs``, ``checkpoint``, ``run_manifest``) and the entry point the
command line shares (``run_task``); noisy evaluation, noise injection and error mitigation
(``noisy``, ``noise_injection``, ``mitigation``); classical baselines.
"""

from qru_compile.train.gradients import loss_and_gradient
from qru_compile.train.readout import check_targets, predictions

__all__ = ["check_targets", "loss_and_gradient", "predictions"]
