"""Loss gradients by the parameter-shift rule, chained back through time.

For each step and sample, every angle slot is evaluated shifted by ``+-pi/2`` (2 evaluations per
slot plus the unshifted one, as on hardware), which gives the exact Jacobian of the step's
outputs with respect to its slot angles. The angle map's derivatives carry it to the
parameters and, through ``arcsin``, to the previous step's hidden values; back-propagation
through time sums over the steps.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import cirq
import numpy as np

from qru_compile import validation
from qru_compile.errors import InputError
from qru_compile.executor import Executor, LocalExecutor, chunks
from qru_compile.lowering import AngleMap, LoweredStep, lower
from qru_compile.model import QRUModel
from qru_compile.sim.backends import ExpectationBackend, NumpyBackend, get_backend
from qru_compile.train.readout import check_targets, loss_and_output_gradient

METHODS = ("parameter-shift", "adjoint", "finite-difference")


@dataclasses.dataclass(frozen=True, eq=False)
class StepCircuit:
    """The circuit a step runs: the logical one, or a compiled one for a device."""

    step: LoweredStep
    circuit: cirq.AbstractCircuit
    qubits: tuple[cirq.Qid, ...]
    measured: tuple[cirq.Qid, ...]


@functools.lru_cache(maxsize=16)
def step_circuit(model: QRUModel, device: str | None = None) -> StepCircuit:
    """The logical step (``device=None``) or its compiled form for ``device`` (cached)."""
    step = lower(model)
    if device is None:
        return StepCircuit(step, step.circuit, step.qubits, step.measured_qubits)
    from qru_compile.compiler import compile as compile_model

    result = compile_model(model, device)
    measured = tuple(result.measured_qubits[q.name] for q in step.measured_qubits)
    qubits = tuple(sorted(set(result.circuit.all_qubits()) | set(measured)))
    return StepCircuit(step, result.circuit, qubits, measured)


def _jacobian(program: StepCircuit, backend: ExpectationBackend,
              slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values ``[B, 2m]`` and parameter-shift Jacobian ``[B, 2m, S]`` of one step."""
    names = program.step.angle_map.names
    if isinstance(backend, NumpyBackend):
        engine = backend.program(program.circuit, names, program.qubits, program.measured)
        return engine.shift_jacobian(slots)
    batch, count = slots.shape
    shifts = np.zeros((2 * count + 1, count))
    shifts[1 : count + 1] = np.eye(count) * np.pi / 2
    shifts[count + 1 :] = -np.eye(count) * np.pi / 2
    rows = (slots[:, None, :] + shifts[None]).reshape(-1, count)
    values = backend.expectations(program.circuit, names, rows, program.qubits,
                                  program.measured).reshape(batch, 2 * count + 1, -1)
    jacobian = (values[:, 1 : count + 1] - values[:, count + 1 :]) / 2  # [B, S, 2m]
    return values[:, 0], np.transpose(jacobian, (0, 2, 1))


def forward_outputs(model: QRUModel, params: np.ndarray, inputs: np.ndarray,
                    hidden: np.ndarray, program: StepCircuit,
                    backend: ExpectationBackend) -> np.ndarray:
    """Per-step outputs ``[T, batch, 2*nd]`` of ``program`` (circuit parameters only)."""
    amap = program.step.angle_map
    outs = []
    for t in range(inputs.shape[1]):
        slots = amap.values(params, inputs[:, t, :], hidden)
        values = backend.expectations(program.circuit, amap.names, slots, program.qubits,
                                      program.measured)
        outs.append(values[:, : model.output_size])
        hidden = values[:, model.output_size :]
    return np.stack(outs)


def loss_and_gradient(
    model: QRUModel,
    params: Any,
    inputs: Any,
    targets: Any,
    *,
    method: str = "parameter-shift",
    backend: str | ExpectationBackend = "numpy",
    device: str | None = None,
    initial_hidden: Any = None,
    epsilon: float = 1e-5,
    executor: Executor | None = None,
    chunk_size: int | None = None,
) -> tuple[float, np.ndarray]:
    """The readout's loss on a batch and its gradient with respect to all parameters.

    Args:
        model: the QRU model.
        params: the full parameter vector (circuit parameters, then the output scale when the
            readout has one), shape ``[num_parameters]``.
        inputs: ``[batch, T, I]``.
        targets: as the readout expects (see :mod:`qru_compile.train.readout`).
        method: ``"parameter-shift"`` (exact, hardware-style: every slot's shifted circuits),
            ``"adjoint"`` (the same gradient from one backward sweep of the state per step,
            a simulator's shortcut: ``numpy`` backend only) or ``"finite-difference"``
            (central differences of the whole loss, for checking).
        backend: ``"numpy"`` (batched engine, default), ``"qsim"``, ``"cirq"`` or an instance.
        device: compile the step for this device and differentiate the compiled circuit.
        initial_hidden: hidden vector of the first step (zeros by default).
        epsilon: finite-difference step.
        executor: where the chunks run (a Dask cluster: see :mod:`qru_compile.executor`;
            default: in this process); with ``chunk_size`` set, even a single chunk runs there.
        chunk_size: split the batch into jobs of this many samples, their losses and
            gradients combined weighted by size (default: the whole batch, one job). The result
            depends only on ``chunk_size``, not on the executor or its number of workers.

    Returns:
        ``(loss, gradient)`` with the gradient shaped like ``params``.

    Raises:
        InputError: for bad shapes, NaN, or labels that do not fit the readout.
    """
    circuit_params = validation.circuit_parameters(model, params)
    params = np.asarray(params, dtype=float)
    if params.shape != (model.num_parameters,):
        raise InputError(f"params: expected the full vector of {model.num_parameters} "
                         f"parameters (the output scale last), got shape {params.shape}")
    inputs = validation.sequence_inputs(model, inputs)
    batch, steps, _ = inputs.shape
    targets = check_targets(model, targets, batch, steps)
    hidden0 = validation.hidden_state(model, initial_hidden, batch)
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"chunk_size: expected a positive number of samples, got {chunk_size}")
    if chunk_size is not None and (batch > chunk_size or executor is not None):
        executor = executor or LocalExecutor()
        if not isinstance(backend, str):
            raise InputError("backend: give a backend name, not an instance, to run chunks on "
                             "an executor")
        jobs = [_Chunk(model, params, inputs[part], targets[part], hidden0[part], method,
                       backend, device, epsilon)
                for part in chunks(batch, chunk_size)]
        results = executor.map(_chunk_loss_and_gradient, jobs)
        weights = np.array([len(job.inputs) for job in jobs]) / batch
        loss = float(sum(w * r[0] for w, r in zip(weights, results)))
        return loss, sum(w * r[1] for w, r in zip(weights, results))
    simulator = get_backend(backend)
    program = step_circuit(model, device)
    if method == "finite-difference":
        return _finite_difference(model, params, inputs, targets, hidden0, program, simulator,
                                  epsilon)
    if method == "adjoint":
        if not isinstance(simulator, NumpyBackend):
            raise InputError("method 'adjoint' needs the state-vector engine (backend "
                             "'numpy'); qsim and cirq give the parameter-shift gradient")
        return _adjoint(model, params, circuit_params, inputs, targets, hidden0, program,
                        simulator)
    if method != "parameter-shift":
        raise InputError(f"method: unknown {method!r}; known: {', '.join(METHODS)}")
    return _parameter_shift(model, params, circuit_params, inputs, targets, hidden0, program,
                            simulator)


@dataclasses.dataclass(frozen=True, eq=False)
class _Chunk:
    """A slice of a batch: the arguments of one :func:`loss_and_gradient` job."""

    model: QRUModel
    params: np.ndarray
    inputs: np.ndarray
    targets: np.ndarray
    hidden: np.ndarray
    method: str
    backend: str
    device: str | None
    epsilon: float


def _chunk_loss_and_gradient(chunk: _Chunk) -> tuple[float, np.ndarray]:
    return loss_and_gradient(chunk.model, chunk.params, chunk.inputs, chunk.targets,
                             method=chunk.method, backend=chunk.backend, device=chunk.device,
                             initial_hidden=chunk.hidden, epsilon=chunk.epsilon)


def _parameter_shift(model: QRUModel, params: np.ndarray, circuit_params: np.ndarray,
                     inputs: np.ndarray, targets: np.ndarray, hidden: np.ndarray,
                     program: StepCircuit, backend: ExpectationBackend) -> tuple[float, np.ndarray]:
    """Each step's parameter-shift Jacobian, kept for the pass back through time."""
    return _through_time(model, params, circuit_params, inputs, targets, hidden,
                         program.step.angle_map,
                         forward=lambda slots: _jacobian(program, backend, slots),
                         backward=lambda jacobian, d_values: np.einsum("bo,bos->bs", d_values,
                                                                       jacobian))


def _adjoint(model: QRUModel, params: np.ndarray, circuit_params: np.ndarray,
             inputs: np.ndarray, targets: np.ndarray, hidden: np.ndarray,
             program: StepCircuit, backend: NumpyBackend) -> tuple[float, np.ndarray]:
    """Each step's Jacobian product with the cotangent from the later steps, by the engine's
    backward sweep (no Jacobian is formed)."""
    amap = program.step.angle_map
    engine = backend.program(program.circuit, amap.names, program.qubits, program.measured)
    return _through_time(model, params, circuit_params, inputs, targets, hidden, amap,
                         forward=lambda slots: (engine.expectations(slots), slots),
                         backward=lambda slots, d_values: engine.vector_jacobian(
                             slots, d_values)[1])


def _through_time(model: QRUModel, params: np.ndarray, circuit_params: np.ndarray,
                  inputs: np.ndarray, targets: np.ndarray, hidden: np.ndarray, amap: AngleMap,
                  forward: Callable[[np.ndarray], tuple[np.ndarray, Any]],
                  backward: Callable[[Any, np.ndarray], np.ndarray]
                  ) -> tuple[float, np.ndarray]:
    """The loss and its gradient by back-propagation through time.

    ``forward(slots)`` gives a step's values ``[B, 2m]`` and a record; ``backward(record,
    d_values)`` turns the cotangent of those values into that of the step's slots ``[B, S]``.
    """
    records, outs = [], []
    for t in range(inputs.shape[1]):
        x = inputs[:, t, :]
        values, record = forward(amap.values(circuit_params, x, hidden))
        d_params, _, d_hidden = amap.jacobians(circuit_params, x, hidden)
        records.append((record, d_params, d_hidden))
        outs.append(values[:, : model.output_size])
        hidden = values[:, model.output_size :]
    loss, d_outs, d_scale = loss_and_output_gradient(model, params, np.stack(outs), targets)
    grad = np.zeros(model.num_circuit_parameters)
    d_hidden_next = np.zeros_like(hidden)
    for t in reversed(range(inputs.shape[1])):
        record, d_params, d_hidden = records[t]
        d_slots = backward(record, np.concatenate([d_outs[t], d_hidden_next], axis=1))
        grad += np.einsum("bs,bsp->p", d_slots, d_params)
        d_hidden_next = np.einsum("bs,bsh->bh", d_slots, d_hidden)
    if model.readout.scale:
        grad = np.concatenate([grad, [d_scale]])
    return loss, grad


def _finite_difference(model: QRUModel, params: np.ndarray, inputs: np.ndarray,
                       targets: np.ndarray, hidden: np.ndarray, program: StepCircuit,
                       backend: ExpectationBackend, epsilon: float) -> tuple[float, np.ndarray]:
    def loss(p: np.ndarray) -> float:
        outs = forward_outputs(model, p[: model.num_circuit_parameters], inputs, hidden,
                               program, backend)
        return loss_and_output_gradient(model, p, outs, targets)[0]

    grad = np.zeros_like(params)
    for i in range(len(params)):
        plus, minus = params.copy(), params.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        grad[i] = (loss(plus) - loss(minus)) / (2 * epsilon)
    return loss(params), grad
