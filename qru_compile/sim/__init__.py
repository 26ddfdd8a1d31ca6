"""Simulation of QRU sequences: backends, the rollout over time steps, sequences."""

from qru_compile.sim.backends import (
    BACKENDS,
    CAPABILITIES,
    Backend,
    CirqBackend,
    QsimBackend,
    StatevectorBackend,
    get_backend,
)
from qru_compile.sim.density import DensityMatrixBackend
from qru_compile.sim.rollout import Feedback, Rollout, rollout
from qru_compile.sim.sequence import SequenceResult, simulate_sequence

# the density backend builds on the others' module, so it joins the registry here
BACKENDS[DensityMatrixBackend.name] = DensityMatrixBackend

__all__ = [
    "BACKENDS",
    "CAPABILITIES",
    "Backend",
    "CirqBackend",
    "DensityMatrixBackend",
    "Feedback",
    "QsimBackend",
    "Rollout",
    "SequenceResult",
    "StatevectorBackend",
    "get_backend",
    "rollout",
    "simulate_sequence",
]
