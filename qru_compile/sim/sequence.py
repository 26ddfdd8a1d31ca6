"""Run batches of input sequences through a QRU, step by step.

Every step is a fresh circuit from ``|0...0>``; the step's hidden expectation values become the
next step's hidden input (through ``arcsin``, in the angle map). All sequences of a batch are
evaluated in one simulator call per step.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from qru_compile import validation
from qru_compile.lowering import LoweredStep, lower
from qru_compile.model import QRUModel
from qru_compile.sim.backends import ExpectationBackend, get_backend


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


def step_expectations(
    step: LoweredStep,
    params: np.ndarray,
    inputs: np.ndarray,
    hidden: np.ndarray,
    backend: ExpectationBackend,
) -> np.ndarray:
    """Expectation values of one step for a batch, shape ``[batch, 2*(nd+nh)]``.

    Args:
        step: the lowered step.
        params: circuit parameters ``[P]``.
        inputs: ``x_t`` for each sequence, ``[batch, I]``.
        hidden: previous hidden vectors, ``[batch, 2*nh]``.
        backend: the simulator.
    """
    slots = step.angle_map.values(params, inputs, hidden)
    return backend.expectations(
        step.circuit, step.angle_map.names, slots, step.qubits, step.measured_qubits
    )


def simulate_sequence(
    model: QRUModel,
    params: Any,
    inputs: Any,
    *,
    backend: str | ExpectationBackend = "qsim",
    initial_hidden: Any = None,
) -> SequenceResult:
    """Simulate a batch of sequences exactly (expectation values, no shots).

    Args:
        model: the QRU model.
        params: circuit parameters, shape ``[num_circuit_parameters]`` (the full vector with the
            output scale is accepted too; the scale plays no part in the circuit).
        inputs: shape ``[batch, T, I]``.
        backend: ``"qsim"`` (default, single precision), ``"cirq"`` (double precision) or a
            backend instance.
        initial_hidden: hidden vector of the first step, ``[batch, 2*nh]`` or ``[2*nh]``;
            zeros by default.

    Returns:
        The per-step outputs and hidden values.

    Raises:
        InputError: for arrays of the wrong shape or with NaN/inf values.
        BackendError: for an unknown backend.
    """
    params = validation.circuit_parameters(model, params)
    inputs = validation.sequence_inputs(model, inputs)
    batch, steps, _ = inputs.shape
    hidden = validation.hidden_state(model, initial_hidden, batch)
    simulator = get_backend(backend)
    step = lower(model)
    split = model.output_size
    outs = np.empty((steps, batch, split))
    hiddens = np.empty((steps, batch, model.hidden_size))
    for t in range(steps):
        values = step_expectations(step, params, inputs[:, t, :], hidden, simulator)
        outs[t], hiddens[t] = values[:, :split], values[:, split:]
        hidden = hiddens[t]
    return SequenceResult(outs=outs, hidden=hiddens)
