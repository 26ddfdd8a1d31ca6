"""Exact simulation of QRU sequences: backends, the rollout over time steps, sequences."""

from qru_compile.sim.backends import (
    BACKENDS,
    CAPABILITIES,
    Backend,
    CirqBackend,
    NumpyBackend,
    QsimBackend,
    get_backend,
)
from qru_compile.sim.rollout import Feedback, Rollout, rollout
from qru_compile.sim.sequence import SequenceResult, simulate_sequence

__all__ = [
    "BACKENDS",
    "CAPABILITIES",
    "Backend",
    "CirqBackend",
    "Feedback",
    "NumpyBackend",
    "QsimBackend",
    "Rollout",
    "SequenceResult",
    "get_backend",
    "rollout",
    "simulate_sequence",
]
