"""Adam on a flat parameter vector, with its state as JSON-ready values for resumable runs."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class Adam:
    """Adam (Kingma & Ba) on a flat parameter vector.

    Attributes:
        learning_rate: step size; the training loop halves it when the loss rises.
        beta1: first-moment decay.
        beta2: second-moment decay.
        epsilon: denominator guard.
    """

    learning_rate: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    _m: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _v: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _t: int = 0

    def step(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The parameters after one update (the input array is not modified)."""
        if self._m is None or self._m.shape != params.shape:
            self.reset()
            self._m, self._v = np.zeros_like(params), np.zeros_like(params)
        assert self._m is not None and self._v is not None
        self._t += 1
        self._m = self.beta1 * self._m + (1 - self.beta1) * grad
        self._v = self.beta2 * self._v + (1 - self.beta2) * grad**2
        m_hat = self._m / (1 - self.beta1**self._t)
        v_hat = self._v / (1 - self.beta2**self._t)
        return params - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def state_dict(self) -> dict[str, Any]:
        """The optimiser's state as JSON-ready values (:meth:`from_state_dict` restores it)."""
        return {"learning_rate": self.learning_rate, "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon, "t": self._t,
                "m": None if self._m is None else self._m.tolist(),
                "v": None if self._v is None else self._v.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Adam:
        """The optimiser :meth:`state_dict` described."""
        adam = cls(state["learning_rate"], state["beta1"], state["beta2"], state["epsilon"])
        adam._t = state["t"]
        if state["m"] is not None:
            adam._m, adam._v = np.asarray(state["m"]), np.asarray(state["v"])
        return adam

    def reset(self) -> None:
        """Forget the moments and the step count (done when the parameter vector changes)."""
        self._m = self._v = None
        self._t = 0
