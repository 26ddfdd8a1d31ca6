"""Noise-injection training: learn under a model of what the device reports.

The authors' method (QRU_SPEC.md, hardware section), with a bias added: every measured
expectation value ``v`` (outputs and the hidden values fed forward) is replaced in training by

    alpha * v + beta + K * sqrt(1 - (alpha v)^2) * z,    z ~ N(0, 1),

with a per-observable attenuation ``alpha`` (gate and idle errors shrink every Pauli
expectation), a bias ``beta`` (amplitude damping and asymmetric readout push ``<Z>`` towards
``+1``: the authors' symmetric model has no such term) and a noise scale ``K`` (shot noise,
``1/sqrt(shots)``, and what the affine map leaves unexplained). The three are fitted, not set
by hand: the model's own ideal rollout over training sequences gives slot settings; on each,
the device's noisy simulation (gate, idle and readout errors of the compiled step) is
regressed on the exact value, observable by observable, with ``alpha`` kept in ``[0, 1]``
(noise does not amplify a Pauli expectation; an observable the parameters hold nearly constant
leaves the slope undetermined, and at a trained model's parameters unbounded fits gave
``alpha`` of -18 and -23).

The observed value is differentiable in ``v`` (reparametrised noise), so both gradient methods
chain through it: ``d observed / d v = alpha - K z alpha^2 v / sqrt(1 - (alpha v)^2)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from qru_compile.errors import InputError
from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend, StatevectorBackend
from qru_compile.sim.rollout import Observe, rollout

#: ``1 - (alpha v)^2`` is kept above this inside the square root (``|alpha v|`` near 1).
_ROOT_FLOOR = 1e-12


@dataclasses.dataclass(frozen=True, eq=False)
class ObservationModel:
    """What the device reports of each exact expectation value (see the module docstring).

    Attributes:
        alpha: attenuation per observable ``[O]``.
        beta: bias per observable ``[O]``.
        k: noise scale per observable ``[O]``.
        r_squared: the affine fit's coefficient of determination per observable (a report).
    """

    alpha: np.ndarray
    beta: np.ndarray
    k: np.ndarray
    r_squared: np.ndarray

    def sampler(self, rng: np.random.Generator) -> Observe:
        """The noisy observation, drawing ``z`` from ``rng`` (for training)."""
        return lambda values: self._observe(values, rng.standard_normal(values.shape))

    def mean(self) -> Observe:
        """The expected observation ``alpha v + beta`` (for the schedule's losses)."""
        return lambda values: self._observe(values, None)

    def _observe(self, values: np.ndarray,
                 z: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        shrunk = self.alpha * values
        if z is None:
            return shrunk + self.beta, np.broadcast_to(self.alpha, values.shape)
        root = np.sqrt(np.maximum(1.0 - shrunk**2, _ROOT_FLOOR))
        observed = shrunk + self.beta + self.k * root * z
        slope = self.alpha - self.k * z * self.alpha * shrunk / root
        return observed, slope

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists, for checkpoints."""
        return {name: getattr(self, name).tolist()
                for name in ("alpha", "beta", "k", "r_squared")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ObservationModel:
        """The inverse of :meth:`to_dict`.

        Raises:
            InputError: for missing fields or fields of different lengths.
        """
        try:
            arrays = [np.asarray(data[name], dtype=float)
                      for name in ("alpha", "beta", "k", "r_squared")]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"observation model: missing or non-numeric field ({exc})") from None
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            raise InputError("observation model: alpha, beta, k and r_squared must be lists of "
                             "one length")
        return cls(*arrays)


def fit_observation_model(program: StepProgram, params: np.ndarray, inputs: np.ndarray,
                          device: Backend, *, shots: int | None, rows: int = 192,
                          seed: int = 0) -> ObservationModel:
    """Fit ``alpha``, ``beta`` and ``K`` of every observable on the device's noisy simulation.

    Args:
        program: the compiled step.
        params: circuit parameters whose rollout supplies the slot settings.
        inputs: training sequences ``[B, T, I]``.
        device: the noisy simulation of what the device reports (expectations with gate,
            idle and readout errors, no shot noise).
        shots: shots per basis and step the model will be run with (adds ``1/shots`` to
            ``K^2``), or None for exact expectation values.
        rows: how many of the rollout's (sample, step) slot settings to fit on.
        seed: which of them.

    Returns:
        The fitted model (``alpha`` bounded to ``[0, 1]``, see the module docstring).
    """
    exact = StatevectorBackend()
    hidden = np.zeros((len(inputs), program.model.hidden_size))
    slots = rollout(program, exact, params, inputs, hidden).slots.reshape(
        -1, program.angle_map.num_slots)
    chosen = np.random.default_rng(seed).permutation(len(slots))[:rows]
    ideal = exact.expectations(program, slots[chosen])
    noisy = device.expectations(program, slots[chosen])
    design = np.stack([ideal, np.ones_like(ideal)], axis=-1)  # [R, O, 2]
    alpha, beta, r_squared, k2 = (np.empty(ideal.shape[1]) for _ in range(4))
    for o in range(ideal.shape[1]):
        (alpha[o], beta[o]), *_ = np.linalg.lstsq(design[:, o], noisy[:, o], rcond=None)
        if not 0.0 <= alpha[o] <= 1.0:
            # the least-squares slope with alpha in [0, 1]: the loss is a parabola in alpha once
            # beta is eliminated, so the bounded optimum is the clipped one (beta refitted)
            alpha[o] = np.clip(alpha[o], 0.0, 1.0)
            beta[o] = np.mean(noisy[:, o] - alpha[o] * ideal[:, o])
        residual = noisy[:, o] - alpha[o] * ideal[:, o] - beta[o]
        spread = np.var(noisy[:, o])
        r_squared[o] = 1.0 - np.mean(residual**2) / spread if spread > 0 else 1.0
        k2[o] = np.mean(residual**2) / np.mean(np.maximum(1 - (alpha[o] * ideal[:, o])**2,
                                                          _ROOT_FLOOR))
    if shots is not None:
        k2 += 1.0 / shots
    return ObservationModel(alpha, beta, np.sqrt(k2), r_squared)
