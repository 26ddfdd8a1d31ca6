"""The angle map: slot values of one step from parameters, inputs and hidden values.

Slot ``k`` of a step is ``w * z[source] + b``: an input slot of feature ``i`` is
``w_i * x_t[i] + b_i``, a hidden slot of value ``i`` is ``w_i * arcsin(h_{t-1}[i]) + b_i``, and
every other slot is the value of one parameter.

The arcsin feed-forward: a hidden value must lie in ``[-1, 1]`` (it is an expectation value).
Simulators in single precision can return values a few ulp outside that range, so values are
clipped into ``[-1, 1]`` before ``arcsin``. The derivative ``1 / sqrt(1 - h^2)`` is infinite at
``|h| = 1``; it is evaluated at ``|h|`` clipped to ``1 - ARCSIN_DERIVATIVE_MARGIN``, which bounds
it by about 707 and keeps gradients finite.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from qru_compile.errors import InputError
from qru_compile.validation import finite_array

#: Hidden values are clipped to ``|h| <= 1 - ARCSIN_DERIVATIVE_MARGIN`` for the arcsin derivative.
ARCSIN_DERIVATIVE_MARGIN = 1e-6


@dataclasses.dataclass(frozen=True, eq=False)
class AngleMap:
    """Affine-in-parameters map from weights and signals to angle-slot values.

    Slot ``k`` has value ``p[weight[k]] * z[source[k]] + (p[bias[k]] if bias[k] >= 0 else 0)``,
    where the signal vector is ``z = [x_t (I values), arcsin(h_{t-1}) (2*nh values), 1]``.

    Attributes:
        names: slot symbol names, in circuit order.
        weight: parameter index multiplying the slot's signal.
        bias: parameter index added to the slot, or -1.
        source: index into the signal vector ``z``.
        num_inputs: ``I``.
        hidden_size: ``2 * nh``.
        num_circuit_parameters: length of the circuit-parameter vector.
    """

    names: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray
    source: np.ndarray
    num_inputs: int
    hidden_size: int
    num_circuit_parameters: int

    @property
    def num_slots(self) -> int:
        """Number of angle slots ``S``."""
        return len(self.names)

    @property
    def constant_source(self) -> int:
        """Index of the constant 1 in the signal vector."""
        return self.num_inputs + self.hidden_size

    def formula(self, k: int, parameter_names: tuple[str, ...]) -> str:
        """Slot ``k``'s value as a formula: ``input_w0 * x[0] + input_b0``,
        ``hidden_w0 * arcsin(h[0]) + hidden_b0`` or a parameter's name."""
        source, weight, bias = int(self.source[k]), int(self.weight[k]), int(self.bias[k])
        if source < self.num_inputs:
            formula = f"{parameter_names[weight]} * x[{source}]"
        elif source < self.constant_source:
            formula = f"{parameter_names[weight]} * arcsin(h[{source - self.num_inputs}])"
        else:
            formula = parameter_names[weight]
        return formula + (f" + {parameter_names[bias]}" if bias >= 0 else "")

    def values(self, params: np.ndarray, inputs: np.ndarray, hidden: np.ndarray) -> np.ndarray:
        """Slot values for a batch.

        Args:
            params: circuit parameters, shape ``[P]``.
            inputs: ``x_t``, shape ``[B, I]``.
            hidden: previous hidden vectors, shape ``[B, 2*nh]``.

        Returns:
            Slot values, shape ``[B, S]``.
        """
        params = self._check_params(params)
        z = self._signals(inputs, hidden)
        bias = np.where(self.bias >= 0, params[np.maximum(self.bias, 0)], 0.0)
        return params[self.weight] * z[:, self.source] + bias

    def jacobians(
        self, params: np.ndarray, inputs: np.ndarray, hidden: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Derivatives of the slot values.

        Args:
            params: circuit parameters, shape ``[P]``.
            inputs: ``x_t``, shape ``[B, I]``.
            hidden: previous hidden vectors, shape ``[B, 2*nh]``.

        Returns:
            ``(d slots/d params [B, S, P], d slots/d inputs [B, S, I],
            d slots/d hidden [B, S, 2*nh])``; the hidden derivative goes through the clipped
            arcsin (see the module docstring).
        """
        params = self._check_params(params)
        z = self._signals(inputs, hidden)
        batch, slots = z.shape[0], np.arange(self.num_slots)
        d_params = np.zeros((batch, self.num_slots, self.num_circuit_parameters))
        d_params[:, slots, self.weight] += z[:, self.source]
        has_bias = self.bias >= 0
        d_params[:, slots[has_bias], self.bias[has_bias]] += 1.0
        d_signals = np.zeros((batch, self.num_slots, self.constant_source + 1))
        d_signals[:, slots, self.source] = params[self.weight]
        d_inputs = d_signals[:, :, : self.num_inputs]
        d_hidden = d_signals[:, :, self.num_inputs : self.constant_source]
        d_hidden = d_hidden * arcsin_derivative(np.asarray(hidden, dtype=float))[:, None, :]
        return d_params, d_inputs, d_hidden

    def pullback(self, params: np.ndarray, inputs: np.ndarray, hidden: np.ndarray,
                 d_slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chain rule through the map: cotangents of the parameters and hidden inputs.

        Each slot depends on one weight, at most one bias and one signal, so this is a scatter
        of ``d_slots``, not a product with the dense :meth:`jacobians`.

        Args:
            params: circuit parameters, shape ``[P]``.
            inputs: ``x_t``, shape ``[B, I]``.
            hidden: previous hidden vectors, shape ``[B, 2*nh]``.
            d_slots: cotangents of the slot values, ``[B, S]``.

        Returns:
            ``(d params [P], d hidden [B, 2*nh])``, the hidden one through the clipped arcsin.
        """
        params = self._check_params(params)
        z = self._signals(inputs, hidden)
        size = self.num_circuit_parameters
        d_params = np.bincount(self.weight, np.sum(d_slots * z[:, self.source], axis=0),
                               minlength=size)
        has_bias = self.bias >= 0
        d_params += np.bincount(self.bias[has_bias], np.sum(d_slots[:, has_bias], axis=0),
                                minlength=size)
        d_signals = (d_slots * params[self.weight]) @ self._hidden_sources
        d_hidden = d_signals * arcsin_derivative(np.asarray(hidden, dtype=float))
        return d_params, d_hidden

    @functools.cached_property
    def _hidden_sources(self) -> np.ndarray:
        """``[S, 2*nh]``: 1 where slot ``s`` takes hidden value ``j`` as its signal."""
        onehot = np.zeros((self.num_slots, self.hidden_size))
        hidden = np.flatnonzero((self.source >= self.num_inputs)
                                & (self.source < self.constant_source))
        onehot[hidden, self.source[hidden] - self.num_inputs] = 1.0
        return onehot

    def _check_params(self, params: np.ndarray) -> np.ndarray:
        params = finite_array("circuit parameters", params)
        if params.shape != (self.num_circuit_parameters,):
            raise InputError(
                f"circuit parameters: expected shape ({self.num_circuit_parameters},), "
                f"got {params.shape}"
            )
        return params

    def _signals(self, inputs: np.ndarray, hidden: np.ndarray) -> np.ndarray:
        inputs = finite_array("inputs", inputs)
        hidden = finite_array("hidden", hidden)
        if inputs.ndim != 2 or inputs.shape[1] != self.num_inputs:
            raise InputError(f"inputs: expected shape [B, {self.num_inputs}], got {inputs.shape}")
        if hidden.shape != (inputs.shape[0], self.hidden_size):
            raise InputError(
                f"hidden: expected shape [{inputs.shape[0]}, {self.hidden_size}], "
                f"got {hidden.shape}"
            )
        ones = np.ones((inputs.shape[0], 1))
        return np.concatenate([inputs, clipped_arcsin(hidden), ones], axis=1)


def clipped_arcsin(hidden: np.ndarray) -> np.ndarray:
    """``arcsin`` of hidden values clipped into ``[-1, 1]`` (simulator round-off)."""
    return np.arcsin(np.clip(hidden, -1.0, 1.0))


def arcsin_derivative(hidden: np.ndarray) -> np.ndarray:
    """``1 / sqrt(1 - h^2)`` with ``|h|`` clipped to ``1 - ARCSIN_DERIVATIVE_MARGIN``."""
    bound = 1.0 - ARCSIN_DERIVATIVE_MARGIN
    clipped = np.clip(hidden, -bound, bound)
    return 1.0 / np.sqrt(1.0 - clipped**2)
