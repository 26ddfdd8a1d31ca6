"""Readouts: model outputs -> predictions, losses and their gradients.

``sequence``: ``y_t = s * <Z_d0>`` at every step (``s = 1`` without a scale), MSE against
``targets [batch, T]``. ``binary``: ``logit = s * <Z_d0>`` at the last step, sigmoid
cross-entropy against ``targets [batch]`` in {0, 1}. ``multiclass``: ``logits = s * [<Z_d0>,
..., <Z_d(k-1)>]`` at the last step, softmax cross-entropy against class indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.model import QRUModel


def check_targets(model: QRUModel, targets: Any, batch: int, steps: int) -> np.ndarray:
    """Targets in the shape and range the model's readout expects.

    Raises:
        InputError: naming the shape or the first offending value.
    """
    try:
        array = np.asarray(targets, dtype=float)
    except (TypeError, ValueError):
        raise InputError("targets: expected an array of numbers") from None
    kind = model.readout.kind
    if not np.all(np.isfinite(array)):
        raise InputError("targets: NaN or infinite values")
    if kind == "sequence":
        if array.shape == (batch, steps, 1):
            array = array[:, :, 0]
        if array.shape != (batch, steps):
            raise InputError(f"targets: a sequence readout needs shape [{batch}, {steps}], "
                             f"got {array.shape}")
        return array
    if array.shape != (batch,):
        raise InputError(f"targets: a {kind} readout needs shape [{batch}], got {array.shape}")
    classes = 2 if kind == "binary" else model.readout.classes
    bad = np.flatnonzero((array != np.round(array)) | (array < 0) | (array >= classes))
    if bad.size:
        raise InputError(f"targets: labels must be integers in 0..{classes - 1}; "
                         f"row {bad[0]} has {array[bad[0]]:g}")
    return array


def _scale(model: QRUModel, params: np.ndarray) -> float:
    return float(params[-1]) if model.readout.scale else 1.0


def predictions(model: QRUModel, params: np.ndarray, outs: np.ndarray) -> np.ndarray:
    """Model outputs ``outs [T, batch, 2*nd]`` -> values, probabilities or logits.

    Returns:
        ``sequence``: ``[batch, T]`` values; ``binary``: ``[batch]`` logits;
        ``multiclass``: ``[batch, k]`` logits.
    """
    s = _scale(model, params)
    z = outs[..., 0::2]  # <Z> of each data qubit
    if model.readout.kind == "sequence":
        return s * z[:, :, 0].T
    if model.readout.kind == "binary":
        return s * z[-1, :, 0]
    return s * z[-1, :, : model.readout.classes]


def loss_and_output_gradient(model: QRUModel, params: np.ndarray, outs: np.ndarray,
                             targets: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Loss, its gradient with respect to ``outs [T, batch, 2*nd]``, and to the scale."""
    s = _scale(model, params)
    _steps, batch, _ = outs.shape
    grad = np.zeros_like(outs)
    kind = model.readout.kind
    prediction = predictions(model, params, outs)
    if kind == "sequence":
        error = prediction - targets
        loss = float(np.mean(error**2))
        d_pred = 2 * error / error.size  # [batch, T]
        grad[:, :, 0] = s * d_pred.T
        d_scale = float(np.sum(d_pred * outs[:, :, 0].T))
    elif kind == "binary":
        logit = prediction
        loss = float(np.mean(np.logaddexp(0.0, logit) - targets * logit))
        d_logit = (1 / (1 + np.exp(-logit)) - targets) / batch
        grad[-1, :, 0] = s * d_logit
        d_scale = float(np.sum(d_logit * outs[-1, :, 0]))
    else:
        logits = prediction
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        labels = targets.astype(int)
        loss = float(-np.mean(log_probs[np.arange(batch), labels]))
        d_logits = np.exp(log_probs)
        d_logits[np.arange(batch), labels] -= 1
        d_logits /= batch
        k = model.readout.classes
        grad[-1, :, 0 : 2 * k : 2] = s * d_logits
        d_scale = float(np.sum(d_logits * outs[-1, :, 0 : 2 * k : 2]))
    return loss, grad, d_scale if model.readout.scale else 0.0


def predicted_labels(model: QRUModel, params: np.ndarray, outs: np.ndarray) -> np.ndarray:
    """Class labels of a classification readout, ``[batch]``."""
    pred = predictions(model, params, outs)
    return (pred > 0).astype(int) if model.readout.kind == "binary" else pred.argmax(axis=1)


def metrics(model: QRUModel, params: np.ndarray, outs: np.ndarray,
            targets: np.ndarray) -> dict[str, float]:
    """Loss, and accuracy (classification) or MSE of the predictions (regression).

    Raises:
        InputError: for no sequences at all (every metric would be NaN).
    """
    if outs.shape[1] == 0:
        raise InputError("no sequences to evaluate: the metrics of an empty set are undefined")
    loss = loss_and_output_gradient(model, params, outs, targets)[0]
    if model.readout.kind == "sequence":
        error = predictions(model, params, outs) - targets
        return {"loss": loss, "mse": float(np.mean(error**2))}
    accuracy = float(np.mean(predicted_labels(model, params, outs) == targets))
    return {"loss": loss, "accuracy": accuracy}
