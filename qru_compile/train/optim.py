"""Adam, with the state reset the paper's learning-rate schedule needs."""

from __future__ import annotations

import dataclasses

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

    def reset(self) -> None:
        """Forget the moments (after returning to earlier parameters)."""
        self._m = self._v = None
        self._t = 0
