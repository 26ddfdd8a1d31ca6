"""Checks on arrays users hand to the library: shapes, dtypes, NaN, infinity and magnitude.

Each check returns a float64 array or raises :class:`~qru_compile.errors.InputError` with a
message naming the argument and the offending position, so bad data never reaches a simulator.
Values beyond :data:`~qru_compile.limits.MAX_ABS_VALUE` are refused as well (see
:mod:`qru_compile.limits`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.limits import MAX_ABS_VALUE
from qru_compile.model import QRUModel


def finite_array(name: str, value: Any, limit: float = MAX_ABS_VALUE) -> np.ndarray:
    """``value`` as a float64 array of finite numbers of magnitude at most ``limit``.

    Args:
        name: the argument, for messages.
        value: anything numpy turns into an array of numbers.
        limit: the largest magnitude accepted.

    Raises:
        InputError: for ragged or non-numeric data, NaN, infinity or too large a value,
            naming the first offending index.
    """
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"{name}: expected an array of numbers (ragged or non-numeric data)") from None
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        raise InputError(f"{name}: {len(bad)} value(s) are NaN or infinite, the first at "
                         f"index {_index(bad[0])}")
    large = np.argwhere(np.abs(array) > limit)
    if large.size:
        first = tuple(large[0])
        raise InputError(f"{name}: {len(large)} value(s) exceed {limit:g} in magnitude, the "
                         f"first {array[first]:g} at index {_index(large[0])} (the limit is "
                         "qru_compile.limits.MAX_ABS_VALUE)")
    return array


def _index(position: np.ndarray) -> list[int]:
    return [int(i) for i in position]


def circuit_parameters(model: QRUModel, params: Any) -> np.ndarray:
    """The circuit parameters of ``model``, shape ``[num_circuit_parameters]``.

    Accepts the circuit parameters alone or the full vector (with the output scale last), since
    the two lengths differ whenever the model has a scale.
    """
    array = finite_array("params", params)
    allowed = (model.num_circuit_parameters, model.num_parameters)
    if array.ndim != 1 or array.shape[0] not in allowed:
        raise InputError(
            f"params: model {model.name!r} has {model.num_circuit_parameters} circuit parameters"
            f" ({model.num_parameters} with the output scale); got shape {array.shape}"
        )
    return array[: model.num_circuit_parameters]


def sequence_inputs(model: QRUModel, inputs: Any) -> np.ndarray:
    """Input sequences as ``[batch, T, I]``."""
    array = finite_array("inputs", inputs)
    if array.ndim != 3 or array.shape[2] != model.I or array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"inputs: expected shape [batch, T, {model.I}] with batch, T >= 1 for model "
            f"{model.name!r} (I={model.I}); got {array.shape}"
        )
    return array


def step_inputs(model: QRUModel, x_t: Any) -> np.ndarray:
    """One step's inputs ``x_t`` (``I`` values, shape ``[I]`` or ``[1, I]``) as ``[1, I]``."""
    array = finite_array("x_t", x_t)
    if array.size != model.I or array.ndim > 2:
        raise InputError(f"x_t: expected the {model.I} input value(s) of one step for model "
                         f"{model.name!r} (I={model.I}); got shape {array.shape}")
    return array.reshape(1, model.I)


def hidden_state(model: QRUModel, hidden: Any, batch: int) -> np.ndarray:
    """Initial hidden vectors as ``[batch, 2*nh]`` (zeros when ``hidden`` is None).

    A single vector of length ``2*nh`` is broadcast over the batch. Values must lie in
    ``[-1, 1]``: they stand for expectation values and go through ``arcsin``.
    """
    size = model.hidden_size
    if hidden is None:
        return np.zeros((batch, size))
    array = finite_array("initial_hidden", hidden)
    if array.shape == (size,):
        array = np.broadcast_to(array, (batch, size)).copy()
    if array.shape != (batch, size):
        raise InputError(
            f"initial_hidden: expected shape [{batch}, {size}] or [{size}], got {array.shape}"
        )
    if np.any(np.abs(array) > 1.0):
        raise InputError("initial_hidden: values must lie in [-1, 1] (they are expectation values)")
    return array
