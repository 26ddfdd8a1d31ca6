"""Exact simulation of QRU sequences on qsim (default) or Cirq's double-precision simulator."""

from qru_compile.sim.backends import (
    BACKENDS,
    CirqBackend,
    ExpectationBackend,
    NumpyBackend,
    QsimBackend,
    get_backend,
)
from qru_compile.sim.sequence import SequenceResult, simulate_sequence, step_expectations

__all__ = [
    "BACKENDS",
    "CirqBackend",
    "ExpectationBackend",
    "NumpyBackend",
    "QsimBackend",
    "SequenceResult",
    "get_backend",
    "simulate_sequence",
    "step_expectations",
]
