"""The rollout: a batch of sequences through T steps of a step program.

Every step is a fresh circuit from ``|0...0>``; the step's hidden expectation values become the
next step's hidden input (through ``arcsin``, in the angle map), and all sequences of a batch go
through one backend call per step. Every loop over time steps in the package is this one:
simulation, the forward pass of both gradient methods (which keep each step's Jacobians or
final states for the pass back through time), the autoregressive oscillation test (outputs fed
back as the next inputs) and the noisy evaluation (each step's values observed through readout
error and shots before they go on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend

#: What a rollout keeps of each step for a pass back through time.
Record = Literal["values", "jacobian", "states"]

#: Maps a step's exact values ``[B, O]`` to what is observed of them (noise, shots) and the
#: elementwise derivative of the observed values by the exact ones (None: not differentiable).
Observe = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


@dataclasses.dataclass(frozen=True)
class Feedback:
    """An autoregressive continuation of the given inputs.

    Attributes:
        steps: how many steps follow the given inputs.
        next_input: maps a step's outputs ``[B, 2*nd]`` to the next step's input ``[B, I]``.
    """

    steps: int
    next_input: Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True, eq=False)
class Rollout:
    """What a batch did at every step.

    Attributes:
        outs: ``[T, B, 2*nd]``: ``<Z_d0>, <X_d0>, ...`` per step.
        hidden: ``[T, B, 2*nh]``: ``<Z_h0>, <X_h0>, ...``; ``hidden[t]`` is step ``t + 1``'s
            hidden input.
        inputs: ``[T, B, I]``: each step's input (fed back ones included).
        hidden_in: ``[T, B, 2*nh]``: each step's hidden input.
        slots: ``[T, B, S]``: each step's slot values.
        records: per step, the Jacobian ``[B, O, S]`` (``record="jacobian"``) or the backend's
            final states (``record="states"``); empty for ``record="values"``.
        slopes: per step, the observation's derivative ``[B, O]`` (see :data:`Observe`), or
            empty without an observation.
    """

    outs: np.ndarray
    hidden: np.ndarray
    inputs: np.ndarray
    hidden_in: np.ndarray
    slots: np.ndarray
    records: tuple[Any, ...]
    slopes: tuple[np.ndarray | None, ...] = ()


def rollout(program: StepProgram, backend: Backend, params: np.ndarray, inputs: np.ndarray,
            hidden: np.ndarray, *, record: Record = "values", feedback: Feedback | None = None,
            observe: Observe | None = None) -> Rollout:
    """Run ``inputs`` (and a feedback continuation) through ``program`` step by step.

    Arguments are checked by the public entry points that call this.

    Args:
        program: the step program.
        backend: what evaluates each step.
        params: circuit parameters ``[P]``.
        inputs: ``[B, T, I]``, in the data's order (a ``go_backwards`` model reads them last
            step first; :attr:`Rollout.inputs` holds them in the order they were fed).
        hidden: the first step's hidden input ``[B, 2*nh]``.
        record: what to keep of each step for a backward pass.
        feedback: steps to run after ``inputs``, each fed the previous step's outputs.
        observe: maps each step's exact values to what is observed of them (noise, shots)
            before they become outputs and hidden inputs.
    """
    if program.model.go_backwards:
        inputs = inputs[:, ::-1]
    steps = inputs.shape[1] + (feedback.steps if feedback is not None else 0)
    split = program.output_size
    outs: list[np.ndarray] = []
    hiddens, xs, hidden_ins, slots, records, slopes = [], [], [], [], [], []
    for t in range(steps):
        if t < inputs.shape[1]:
            x = inputs[:, t, :]
        else:
            assert feedback is not None  # steps beyond the inputs are feedback's
            x = feedback.next_input(outs[-1])
        values_in = program.slot_values(params, x, hidden)
        if record == "jacobian":
            values, kept = backend.jacobian(program, values_in)
            records.append(kept)
        elif record == "states":
            values, kept = backend.final_states(program, values_in)
            records.append(kept)
        else:
            values = backend.expectations(program, values_in)
        if observe is not None:
            values, slope = observe(values)
            slopes.append(slope)
        xs.append(x)
        hidden_ins.append(hidden)
        slots.append(values_in)
        outs.append(values[:, :split])
        hidden = values[:, split:]
        hiddens.append(hidden)
    return Rollout(np.stack(outs), np.stack(hiddens), np.stack(xs), np.stack(hidden_ins),
                   np.stack(slots), tuple(records), tuple(slopes))
