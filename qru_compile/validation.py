"""Checks on arrays users hand to the library: shapes, dtypes, NaN and infinity.

Each check returns a float64 array or raises :class:`~qru_compile.errors.InputError` with a
message naming the argument and the offending position, so bad data never reaches a simulator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.model import QRUModel


def _as_float_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"{name}: expected an array of numbers (ragged or non-numeric data)") from None
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        where = tuple(int(i) for i in bad[0])
        raise InputError(
            f"{name}: {len(bad)} value(s) are NaN or infinite, the first at index {list(where)}"
        )
    return array


def circuit_parameters(model: QRUModel, params: Any) -> np.ndarray:
    """The circuit parameters of ``model``, shape ``[num_circuit_parameters]``.

    Accepts the circuit parameters alone or the full vector (with the output scale last), since
    the two lengths differ whenever the model has a scale.
    """
    array = _as_float_array("params", params)
    allowed = (model.num_circuit_parameters, model.num_parameters)
    if array.ndim != 1 or array.shape[0] not in allowed:
        raise InputError(
            f"params: model {model.name!r} has {model.num_circuit_parameters} circuit parameters"
            f" ({model.num_parameters} with the output scale); got shape {array.shape}"
        )
    return array[: model.num_circuit_parameters]


def sequence_inputs(model: QRUModel, inputs: Any) -> np.ndarray:
    """Input sequences as ``[batch, T, I]``."""
    array = _as_float_array("inputs", inputs)
    if array.ndim != 3 or array.shape[2] != model.I or array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"inputs: expected shape [batch, T, {model.I}] with batch, T >= 1 for model "
            f"{model.name!r} (I={model.I}); got {array.shape}"
        )
    return array


def hidden_state(model: QRUModel, hidden: Any, batch: int) -> np.ndarray:
    """Initial hidden vectors as ``[batch, 2*nh]`` (zeros when ``hidden`` is None).

    A single vector of length ``2*nh`` is broadcast over the batch. Values must lie in
    ``[-1, 1]``: they stand for expectation values and go through ``arcsin``.
    """
    size = model.hidden_size
    if hidden is None:
        return np.zeros((batch, size))
    array = _as_float_array("initial_hidden", hidden)
    if array.shape == (size,):
        array = np.broadcast_to(array, (batch, size)).copy()
    if array.shape != (batch, size):
        raise InputError(
            f"initial_hidden: expected shape [{batch}, {size}] or [{size}], got {array.shape}"
        )
    if np.any(np.abs(array) > 1.0):
        raise InputError("initial_hidden: values must lie in [-1, 1] (they are expectation values)")
    return array
