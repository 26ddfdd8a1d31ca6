"""Simulate batches of input sequences through a QRU, logical or compiled.

Every step is a fresh circuit from ``|0...0>``; the step's hidden expectation values become the
next step's hidden input (see :mod:`qru_compile.sim.rollout`, which runs the steps).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from qru_compile import validation
from qru_compile.sim.backends import Backend, get_backend
from qru_compile.sim.rollout import rollout
from qru_compile.targets import Target, model_of, step_program


@dataclasses.dataclass(frozen=True, eq=False)
class SequenceResult:
    """Per-step expectation values of a batch of sequences.

    Attributes:
        outs: shape ``[T, batch, 2*nd]``: ``<Z_d0>, <X_d0>, <Z_d1>, <X_d1>, ...``.
        hidden: shape ``[T, batch, 2*nh]``: ``<Z_h0>, <X_h0>, ...``; ``hidden[t]`` is the
            hidden input of step ``t + 1``.
    """

    outs: np.ndarray
    hidden: np.ndarray


def simulate_sequence(
    target: Target,
    params: Any,
    inputs: Any,
    *,
    backend: str | Backend = "auto",
    device: str | None = None,
    initial_hidden: Any = None,
) -> SequenceResult:
    """Simulate a batch of sequences exactly (expectation values, no shots).

    Args:
        target: a model (its logical step), a :class:`~qru_compile.compiler.CompileResult`
            or a step program (see :mod:`qru_compile.targets`).
        params: circuit parameters, shape ``[num_circuit_parameters]`` (the full vector with the
            output scale is accepted too; the scale plays no part in the circuit).
        inputs: shape ``[batch, T, I]``.
        backend: ``"auto"`` (default: the batched double-precision engine below 12 qubits,
            qsim from there), ``"numpy"`` (the engine), ``"qsim"`` (single precision),
            ``"cirq"`` (double precision, the reference) or a backend instance.
        device: with a model: simulate its step compiled for this device.
        initial_hidden: hidden vector of the first step, ``[batch, 2*nh]`` or ``[2*nh]``;
            zeros by default.

    Returns:
        The per-step outputs and hidden values.

    Raises:
        InputError: for arrays of the wrong shape or with NaN/inf values.
        BackendError: for an unknown backend.
    """
    model = model_of(target)
    params = validation.circuit_parameters(model, params)
    inputs = validation.sequence_inputs(model, inputs)
    hidden = validation.hidden_state(model, initial_hidden, len(inputs))
    program = step_program(target, device)
    result = rollout(program, get_backend(backend, program), params, inputs, hidden)
    return SequenceResult(outs=result.outs, hidden=result.hidden)
