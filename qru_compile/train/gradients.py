"""Loss gradients by the parameter-shift rule, chained back through time.

For each step and sample, every angle slot is evaluated shifted by ``+-pi/2`` (2 evaluations per
slot plus the unshifted one, as on hardware), which gives the exact Jacobian of the step's
outputs with respect to its slot angles. The angle map's derivatives carry it to the
parameters and, through ``arcsin``, to the previous step's hidden values; back-propagation
through time sums over the steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from qru_compile import validation
from qru_compile.errors import InputError
from qru_compile.executor import Executor, LocalExecutor, chunks
from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend, get_backend
from qru_compile.sim.rollout import Observe, Rollout, rollout
from qru_compile.targets import Target, model_of, step_program
from qru_compile.train.readout import check_targets, loss_and_output_gradient

METHODS = ("parameter-shift", "adjoint", "finite-difference")


def loss_and_gradient(
    target: Target,
    params: Any,
    inputs: Any,
    targets: Any,
    *,
    method: str = "parameter-shift",
    backend: str | Backend = "auto",
    device: str | None = None,
    initial_hidden: Any = None,
    epsilon: float = 1e-5,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    observe: Observe | None = None,
) -> tuple[float, np.ndarray]:
    """The readout's loss on a batch and its gradient with respect to all parameters.

    Args:
        target: a model (its logical step), a :class:`~qru_compile.compiler.CompileResult`
            (any pipeline, seed or gateset) or a step program (see :mod:`qru_compile.targets`).
        params: the full parameter vector (circuit parameters, then the output scale when the
            readout has one), shape ``[num_parameters]``.
        inputs: ``[batch, T, I]``.
        targets: as the readout expects (see :mod:`qru_compile.train.readout`).
        method: ``"parameter-shift"`` (exact, hardware-style: every slot's shifted circuits),
            ``"adjoint"`` (the same gradient from one backward sweep of the state per step,
            a simulator's shortcut: backends with the ``vjp`` capability) or
            ``"finite-difference"`` (central differences of the whole loss, for checking).
        backend: ``"auto"`` (default: the batched engine below 12 qubits or for the adjoint
            method, qsim from there), ``"numpy"``, ``"qsim"``, ``"cirq"`` or an instance.
        device: with a model: differentiate its step compiled for this device.
        initial_hidden: hidden vector of the first step (zeros by default).
        epsilon: finite-difference step.
        executor: where the chunks run (a Dask cluster: see :mod:`qru_compile.executor`;
            default: in this process); with ``chunk_size`` set, even a single chunk runs there.
        chunk_size: split the batch into jobs of this many samples, their losses and
            gradients combined weighted by size (default: the whole batch, one job). The result
            depends only on ``chunk_size``, not on the executor or its number of workers.
        observe: what is observed of each step's exact values (noise injection, see
            :mod:`qru_compile.train.noise_injection`): the loss is that of the observed
            outputs, and hidden values go on as observed; its derivative joins the chain rule.
            Not with chunks (its random draws would depend on the split).

    Returns:
        ``(loss, gradient)`` with the gradient shaped like ``params``.

    Raises:
        InputError: for bad shapes, NaN, or labels that do not fit the readout.
        BackendError: for a backend without what ``method`` needs.
    """
    model = model_of(target)
    circuit_params = validation.circuit_parameters(model, params)
    params = np.asarray(params, dtype=float)
    if params.shape != (model.num_parameters,):
        raise InputError(f"params: expected the full vector of {model.num_parameters} "
                         f"parameters (the output scale last), got shape {params.shape}")
    inputs = validation.sequence_inputs(model, inputs)
    batch, steps, _ = inputs.shape
    targets = check_targets(model, targets, batch, steps)
    hidden0 = validation.hidden_state(model, initial_hidden, batch)
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise InputError(f"epsilon: expected a positive finite-difference step, got {epsilon}")
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"chunk_size: expected a positive number of samples, got {chunk_size}")
    if chunk_size is not None and (batch > chunk_size or executor is not None):
        if observe is not None:
            raise InputError("observe: noise injection runs in one job; drop chunk_size")
        executor = executor or LocalExecutor()
        if not isinstance(backend, str):
            raise InputError("backend: give a backend name, not an instance, to run chunks on "
                             "an executor")
        jobs = [_Chunk(step_program(target, device), params, inputs[part], targets[part],
                       hidden0[part], method, backend, epsilon)
                for part in chunks(batch, chunk_size)]
        results = executor.map(_chunk_loss_and_gradient, jobs)
        weights = np.array([len(job.inputs) for job in jobs]) / batch
        loss = float(sum(w * r[0] for w, r in zip(weights, results)))
        return loss, sum(w * r[1] for w, r in zip(weights, results))
    program = step_program(target, device)
    simulator = get_backend(backend, program, "vjp" if method == "adjoint" else "jacobian")
    if method == "finite-difference":
        if observe is not None:
            raise InputError("observe: finite differences need a deterministic loss")
        return _finite_difference(program, params, inputs, targets, hidden0, simulator,
                                  epsilon)
    if method == "adjoint":
        simulator.require("vjp", "the adjoint gradient")
        forward = rollout(program, simulator, circuit_params, inputs, hidden0, record="states",
                          observe=observe)
        return _through_time(program, params, forward, targets,
                             lambda t, cotangent: simulator.vjp(
                                 program, forward.slots[t], cotangent, forward.records[t]))
    if method != "parameter-shift":
        raise InputError(f"method: unknown {method!r}; known: {', '.join(METHODS)}")
    simulator.require("jacobian", "the parameter-shift gradient")
    forward = rollout(program, simulator, circuit_params, inputs, hidden0, record="jacobian",
                      observe=observe)
    return _through_time(program, params, forward, targets,
                         lambda t, cotangent: np.einsum("bo,bos->bs", cotangent,
                                                        forward.records[t]))


@dataclasses.dataclass(frozen=True, eq=False)
class _Chunk:
    """A slice of a batch: the arguments of one :func:`loss_and_gradient` job."""

    program: StepProgram
    params: np.ndarray
    inputs: np.ndarray
    targets: np.ndarray
    hidden: np.ndarray
    method: str
    backend: str
    epsilon: float


def _chunk_loss_and_gradient(chunk: _Chunk) -> tuple[float, np.ndarray]:
    return loss_and_gradient(chunk.program, chunk.params, chunk.inputs, chunk.targets,
                             method=chunk.method, backend=chunk.backend,
                             initial_hidden=chunk.hidden, epsilon=chunk.epsilon)


def _through_time(program: StepProgram, params: np.ndarray, forward: Rollout,
                  targets: np.ndarray,
                  slot_cotangent: Callable[[int, np.ndarray], np.ndarray]
                  ) -> tuple[float, np.ndarray]:
    """The loss and its gradient by back-propagation through time.

    ``slot_cotangent(t, d_values)`` turns the cotangent ``[B, O]`` of step ``t``'s exact values
    into that of its slots ``[B, S]`` (from the kept Jacobian, or by the adjoint sweep).

    Raises:
        InputError: if the rollout observed its values through a map without a derivative.
    """
    model = program.model
    circuit_params = params[: model.num_circuit_parameters]
    loss, d_outs, d_scale = loss_and_output_gradient(model, params, forward.outs, targets)
    grad = np.zeros(model.num_circuit_parameters)
    d_hidden_next = np.zeros_like(forward.hidden[-1])
    for t in reversed(range(len(forward.outs))):
        d_values = np.concatenate([d_outs[t], d_hidden_next], axis=1)
        if forward.slopes:
            if forward.slopes[t] is None:
                raise InputError("observe: the observation has no derivative (shots are "
                                 "sampled); train with a differentiable observation model")
            d_values = d_values * forward.slopes[t]
        d_slots = slot_cotangent(t, d_values)
        d_params, d_hidden_next = program.angle_map.pullback(
            circuit_params, forward.inputs[t], forward.hidden_in[t], d_slots)
        grad += d_params
    if model.readout.scale:
        grad = np.concatenate([grad, [d_scale]])
    return loss, grad


def _finite_difference(program: StepProgram, params: np.ndarray, inputs: np.ndarray,
                       targets: np.ndarray, hidden: np.ndarray, backend: Backend,
                       epsilon: float) -> tuple[float, np.ndarray]:
    model = program.model

    def loss(p: np.ndarray) -> float:
        outs = rollout(program, backend, p[: model.num_circuit_parameters], inputs,
                       hidden).outs
        return loss_and_output_gradient(model, p, outs, targets)[0]

    grad = np.zeros_like(params)
    for i in range(len(params)):
        plus, minus = params.copy(), params.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        grad[i] = (loss(plus) - loss(minus)) / (2 * epsilon)
    return loss(params), grad
