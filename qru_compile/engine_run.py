"""Run a QRU through cirq_google's Engine API: quantum virtual machines, or Quantum Engine.

Every step of every sequence is executed as the hardware would execute it: for each basis
(``Z``, and ``X`` with its basis change) one ``processor.run_sweep(program, params=[one
resolver per sample], repetitions=N)``; each logical qubit's ``<Z>``/``<X>`` is the mean of the
``+-1`` outcomes, and the hidden estimates set the next step's angles (through the rollout of
:mod:`qru_compile.sim.rollout`, as every simulation does). These are the calls a user with hardware access makes against ``cirq_google.Engine``.

Processors come from :mod:`qru_compile.engine_processors` (the engine specifications), device
time estimates from :mod:`qru_compile.device_time`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import cirq
import numpy as np

from qru_compile import validation
from qru_compile.compiler import CompileResult
from qru_compile.device_time import (
    circuit_timings,
    estimated_device_seconds,
    training_epoch_cost,
)
from qru_compile.devices import get_device
from qru_compile.engine_processors import EngineSpec, open_processor
from qru_compile.errors import BackendError, InputError, QRUError
from qru_compile.program import BASES, StepProgram
from qru_compile.sim.backends import Backend, resolvers
from qru_compile.sim.rollout import rollout
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.readout import metrics
from qru_compile.train.tasks import TASKS

#: The Engine's limit on repetitions x sweep points of one job (cirq_google's validator).
MAX_JOB_REPETITIONS = 5_000_000


@dataclasses.dataclass(frozen=True, eq=False)
class EngineRunResult:
    """Shot estimates of a batch of sequences run through an engine.

    Attributes:
        outs: ``[T, batch, 2*nd]``: ``<Z_d0>, <X_d0>, <Z_d1>, ...`` estimates.
        hidden: ``[T, batch, 2*nh]``: ``<Z_h0>, <X_h0>, ...``; ``hidden[t]`` was the
            hidden input of step ``t + 1``.
        report: engine, circuits, jobs, shots, wall seconds, estimated device seconds and the
            per-circuit timing (see :func:`run_sequences`).
    """

    outs: np.ndarray
    hidden: np.ndarray
    report: dict[str, Any]


def _sample_chunks(batch: int, repetitions: int) -> list[slice]:
    size = max(1, MAX_JOB_REPETITIONS // repetitions)
    return [slice(start, min(start + size, batch)) for start in range(0, batch, size)]


def _run_basis(processor: Any, circuit: cirq.AbstractCircuit, resolvers: Sequence[Any],
               groups: Sequence[Sequence[str]], repetitions: int, config: str,
               where: str) -> np.ndarray:
    """``[len(resolvers), len(groups)]``: per group of measurement keys, the mean of the
    ``+-1`` parity of their outcomes (one key: that qubit's mean) in one ``run_sweep``."""
    try:
        results = processor.run_sweep(program=circuit, params=list(resolvers),
                                      repetitions=repetitions,
                                      device_config_name=config).results()
    except QRUError:
        raise
    except Exception as exc:  # an engine failure is reported in one line
        message = (str(exc).strip().splitlines() or [""])[0][:300]
        raise BackendError(f"{where}: run_sweep failed: {type(exc).__name__}: {message}") from exc
    if len(results) != len(resolvers):
        raise BackendError(f"{where}: {len(results)} results for {len(resolvers)} resolvers")
    values = np.empty((len(resolvers), len(groups)))
    for row, result in enumerate(results):
        for col, keys in enumerate(groups):
            bits = np.bitwise_xor.reduce(
                [np.asarray(result.measurements[key])[:, 0] for key in keys], axis=0)
            values[row, col] = 1.0 - 2.0 * float(np.mean(bits))
    return values


@dataclasses.dataclass(eq=False)
class _EngineBackend(Backend):
    """Each step's values from the processor: per basis, ``run_sweep`` of the executable with
    one resolver per sample; a value is the mean of its qubit's ``+-1`` outcomes. Counts the
    steps it ran and the ``run_sweep`` jobs."""

    name: ClassVar[str] = "engine"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations"})
    result: CompileResult
    processor: Any
    repetitions: int
    device_config_name: str
    label: str
    on_step: Callable[[int, int], None] | None
    steps: int
    done: int = 0
    jobs: int = 0

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        key_of = {q: name for name, q in self.result.measured_qubits.items()}
        observables = self.result.observables  # Z then X of each logical qubit
        rows = resolvers(program, slot_values)
        values = np.empty((len(rows), len(observables)))
        for b, basis in enumerate(BASES):
            groups = [[key_of[q] for q in sorted(o.qubits)] for o in observables[b::2]]
            signs = np.array([o.coefficient.real for o in observables[b::2]])
            for chunk in _sample_chunks(len(rows), self.repetitions):
                values[chunk, b::2] = signs * _run_basis(
                    self.processor, self.result.executables[basis], rows[chunk], groups,
                    self.repetitions, self.device_config_name,
                    f"engine {self.label}: step {self.done} basis {basis}")
                self.jobs += 1
        if self.on_step is not None:
            self.on_step(self.done, self.steps)
        self.done += 1
        return values


def run_sequences(
    result: CompileResult,
    processor: Any,
    params: Any,
    inputs: Any,
    *,
    repetitions: int,
    initial_hidden: Any = None,
    engine: str = "",
    device_config_name: str = "",
    on_step: Callable[[int, int], None] | None = None,
) -> EngineRunResult:
    """Run every step of a batch of sequences on an engine processor, hidden values fed forward.

    Per step and basis, one ``run_sweep`` of ``result.executables[basis]`` with one resolver per
    sample (split into several jobs only where ``samples x repetitions`` exceeds the Engine's
    5,000,000 per job). The report holds ``circuits`` (circuit executions: bases x steps x
    samples), ``jobs`` (``run_sweep`` calls), ``shots`` (circuits x repetitions),
    ``wall_seconds`` and ``device_seconds``: per circuit execution ``repetitions x (step
    duration + measurement + reset)`` (:func:`circuit_timings`), summed.

    Args:
        result: the step compiled for the processor's device.
        processor: a ``cirq_google.engine.AbstractProcessor`` (:func:`open_processor`).
        params: the model's parameters (circuit parameters, or the full vector).
        inputs: ``[batch, T, I]``.
        repetitions: shots per circuit (per sample, step and basis).
        initial_hidden: hidden vector of the first step, ``[batch, 2*nh]`` or ``[2*nh]``.
        engine: the engine specification, recorded in the report.
        device_config_name: the device configuration of every job (Quantum Engine's
            ``device_config_name``; the virtual machines ignore it).
        on_step: called with ``(step, steps)`` after each step.

    Raises:
        InputError: for bad arrays or a non-positive number of repetitions.
        BackendError: if a ``run_sweep`` fails.
    """
    model = result.model
    if isinstance(repetitions, bool) or not isinstance(repetitions, (int, np.integer)) \
            or repetitions < 1:
        raise InputError(f"repetitions: expected a positive integer, got {repetitions!r}")
    repetitions = int(repetitions)
    params = validation.circuit_parameters(model, params)
    inputs = validation.sequence_inputs(model, inputs)
    hidden = validation.hidden_state(model, initial_hidden, len(inputs))
    batch, steps, _ = inputs.shape
    timings, notes = circuit_timings(result)
    backend = _EngineBackend(result, processor, repetitions, device_config_name,
                             engine or _processor_id(processor), on_step, steps)
    start = time.perf_counter()
    run = rollout(result.program, backend, params, inputs, hidden)
    wall = time.perf_counter() - start
    circuits = len(BASES) * steps * batch
    report = {
        "engine": engine, "processor": _processor_id(processor),
        "samples": batch, "steps": steps, "repetitions": repetitions,
        "circuits": circuits, "jobs": backend.jobs, "shots": circuits * repetitions,
        "wall_seconds": wall,
        "device_seconds": estimated_device_seconds(timings, steps * batch, repetitions),
        "circuit_ns": {basis: timing.to_dict() for basis, timing in timings.items()},
        "notes": list(notes),
    }
    return EngineRunResult(outs=run.outs, hidden=run.hidden, report=report)


def _processor_id(processor: Any) -> str:
    try:
        return str(processor.processor_id)
    except Exception:  # noqa: BLE001 - only for the report
        return type(processor).__name__


def run_checkpoint(path: str, engine: str, *, shots: int, samples: int | None = None,
                   seed: int | None = None,
                   on_step: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run a task checkpoint's test split through an engine; the report ``qru run`` prints.

    The engine is opened first (a ``google:`` hand-off fails before anything is compiled),
    then the model is compiled for the processor and every test sequence run
    (:func:`run_sequences`). Besides the run's figures the report holds the metrics of the
    shot estimates and the cost of one epoch of shot-based parameter-shift training on the
    checkpoint's training fold (:func:`training_epoch_cost`), in estimated device seconds and
    extrapolated from this run's wall time.

    Args:
        path: a fold or restart checkpoint from ``qru train``.
        engine: ``qvm:PROCESSOR``, ``qvm-noiseless:PROCESSOR`` or ``google:PROCESSOR``.
        shots: repetitions per circuit.
        samples: run only the first ``samples`` test sequences.
        seed: seed of a virtual machine's simulator.
        on_step: called with ``(step, steps)`` after each step.

    Raises:
        InputError: for a bad checkpoint, a checkpoint without a task, or bad counts.
        BackendError: for an unknown engine or a failed hand-off or run.
        DeviceError: for a processor the compiler does not know.
    """
    for name, value in (("--shots", shots), ("--samples", samples)):
        if value is not None and value < 1:
            raise InputError(f"{name}: expected a positive integer, got {value}")
    spec = EngineSpec.parse(engine)
    checkpoint = Checkpoint.load(path)
    task = TASKS.get(checkpoint.task or "")
    if task is None:
        raise InputError(f"{path}: running needs a task checkpoint ({', '.join(TASKS)}); "
                         f"this one is for {checkpoint.task!r}")
    processor = open_processor(spec, seed=seed)
    data = task.data_for(checkpoint.model)
    index = checkpoint.extra.get("test_index")
    test = data if index is None else data.subset(np.asarray(index))
    train_size = len(data) - (0 if index is None else len(test))
    if samples is not None:
        test = test.subset(np.arange(min(samples, len(test))))
    compiled = checkpoint.compiled_step(get_device(spec.processor).name)
    run = run_sequences(compiled, processor, checkpoint.params, test.inputs,
                        repetitions=shots, engine=str(spec), device_config_name=spec.config,
                        on_step=on_step)
    timings, _ = circuit_timings(compiled)
    epoch = training_epoch_cost(timings, samples=train_size, steps=test.inputs.shape[1],
                                slots=compiled.step.angle_map.num_slots, repetitions=shots)
    # this run's wall time per circuit execution, scaled to the epoch's circuits
    epoch["wall_seconds_extrapolated"] = \
        run.report["wall_seconds"] / run.report["circuits"] * epoch["circuits"]
    return {
        "checkpoint": str(path), "task": checkpoint.task, "model": checkpoint.model.name,
        **run.report,
        "metrics": metrics(checkpoint.model, checkpoint.params, run.outs, test.targets),
        "training_epoch": epoch,
    }
