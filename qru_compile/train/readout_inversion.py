"""Readout-error mitigation of every observable of a step, parities included.

A single measured bit ``j`` read through flips ``e01 = p(1 | 0)`` and ``e10 = p(0 | 1)`` reports
``r_j = +-1`` with ``E[r_j | s_j] = a_j s_j + b_j`` (``a_j = 1 - e01 - e10``, ``b_j = e10 - e01``),
so ``(r_j - b_j) / a_j`` is an unbiased estimate of the true value ``s_j``. The flips of
different bits are independent, so for a parity of the bits ``K`` (the outputs of a step whose
final CNOT ring is absorbed, :mod:`qru_compile.ring_absorption`) the product of those estimates
over ``K`` is unbiased for the parity: each shot's bits give one such product and the estimate
is their mean. Expanded, it is the :class:`~qru_compile.devices.calibration.ReadoutMap` with
``a -> 1/a`` and ``b -> -b/a`` applied to the sub-parities of the same shots, which is why the
shots of a parity are drawn jointly here (per observable, from the joint distribution of its
bits) rather than one sub-parity at a time. For one bit it is ``invert_readout``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numpy as np

from qru_compile.devices.calibration import ReadoutMap, noise_properties
from qru_compile.train.mitigation import invert_readout


@dataclasses.dataclass(frozen=True, eq=False)
class _Parity:
    """One parity observable: where its sub-parities are, and how its read bits are scored.

    Attributes:
        position: its index among the observables.
        columns: ``[2^k]``, the column in ``extended`` of the sub-parity on the bits of each
            mask (bit ``i`` of the mask: the ``i``-th of its sorted qubits); ``-1`` for the
            empty mask (the constant 1).
        reported: ``[2^k, 2^k]``, from the true sub-parity values to the probabilities of each
            read bit string (Walsh transform, then each bit's confusion).
        score: ``[2^k]``, per read bit string the product of ``(r_j - b_j) / a_j``, with the
            observable's sign.
    """

    position: int
    columns: np.ndarray
    reported: np.ndarray
    score: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class ReadoutInversion:
    """Readout mitigation of a step's observables under one device's calibrated flips.

    Single-qubit observables are inverted from their estimates (``invert_readout``); each
    parity is estimated from the joint distribution of its read bits (the module docstring).
    """

    alpha: np.ndarray
    beta: np.ndarray
    parities: tuple[_Parity, ...]

    @classmethod
    def build(cls, readout: ReadoutMap, device: str) -> ReadoutInversion:
        """The inversion of ``readout``'s observables (the first ``len(readout.offset)`` of
        :attr:`ReadoutMap.extended`) on ``device``."""
        errors = noise_properties(device).readout_errors
        count = len(readout.offset)
        alpha = np.array([readout.matrix[o, o] for o in range(count)])
        index = {parity: column for column, parity in enumerate(readout.extended)}
        parities = []
        for position, observable in enumerate(readout.extended[:count]):
            if len(observable) < 2:
                continue
            sign = float(np.sign(readout.matrix[position, position]))
            qubits = sorted(observable.qubits)
            k = len(qubits)
            columns = np.full(2**k, -1)
            for mask in range(1, 2**k):
                subset = {q: observable[q] for i, q in enumerate(qubits) if mask >> i & 1}
                columns[mask] = index[cirq.PauliString(subset)]
            flips = [errors.get(q, (0.0, 0.0)) for q in qubits]
            parities.append(_Parity(position, columns, _reported_map(flips),
                                    sign * _scores(flips)))
        return cls(alpha, readout.offset.copy(), tuple(parities))

    def mitigate(self, values: np.ndarray, exact: np.ndarray, shots: np.ndarray | None,
                 rng: np.random.Generator) -> np.ndarray:
        """Mitigated values ``[N, O]``, clipped to [-1, 1].

        Args:
            values: the reported estimates ``[N, O]`` (single-qubit observables are inverted
                from these).
            exact: the exact values of ``extended`` per trajectory ``[N, T, E]`` (the parities
                are estimated from these).
            shots: shots per basis drawn from each trajectory, ``[T]`` (None: the exact
                expectation of the estimator).
            rng: draws the parities' shots.
        """
        mitigated = invert_readout(values, self.alpha, self.beta)
        for parity in self.parities:
            true = np.where(parity.columns >= 0, exact[..., np.maximum(parity.columns, 0)], 1.0)
            probabilities = np.clip(true @ parity.reported.T, 0.0, None)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            if shots is None:
                frequencies = probabilities.mean(axis=1)
            else:
                frequencies = rng.multinomial(shots[None, :], probabilities).sum(
                    axis=1) / shots.sum()
            mitigated[:, parity.position] = np.clip(frequencies @ parity.score, -1.0, 1.0)
        return mitigated


def _bits(k: int) -> np.ndarray:
    """``[2^k, k]``: bit ``i`` of each integer below ``2^k``."""
    return (np.arange(2**k)[:, None] >> np.arange(k)) & 1


def _reported_map(flips: Sequence[Sequence[float]]) -> np.ndarray:
    """``[2^k, 2^k]``: sub-parity values (by mask) -> probabilities of the read bit strings."""
    k = len(flips)
    bits = _bits(k)
    walsh = (-1.0) ** (bits @ bits.T) / 2**k  # [string, mask]: the true bits' distribution
    confusion = np.ones((2**k, 2**k))  # [read, true]
    for i, (e01, e10) in enumerate(flips):
        one = np.array([[1 - e01, e10], [e01, 1 - e10]])  # [read bit, true bit]
        confusion *= one[bits[:, i][:, None], bits[:, i][None, :]]
    return confusion @ walsh


def _scores(flips: Sequence[Sequence[float]]) -> np.ndarray:
    """``[2^k]``: per read bit string, ``prod_j (r_j - b_j) / a_j``."""
    a = np.array([1 - e01 - e10 for e01, e10 in flips])
    b = np.array([e10 - e01 for e01, e10 in flips])
    read = 1.0 - 2.0 * _bits(len(flips))
    return np.prod((read - b) / a, axis=1)

