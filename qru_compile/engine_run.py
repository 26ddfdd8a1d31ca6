"""Run a QRU through cirq_google's Engine API: quantum virtual machines, or Quantum Engine.

Every step of every sequence is executed as the hardware would execute it: for each basis
(``Z``, and ``X`` with its basis change) one ``processor.run_sweep(program, params=[one
resolver per sample], repetitions=N)``; each logical qubit's ``<Z>``/``<X>`` is the mean of the
``+-1`` outcomes, and the hidden estimates set the next step's angles (through the rollout of
:mod:`qru_compile.sim.rollout`, as every simulation does). These are the calls a user with hardware access makes against ``cirq_google.Engine``.

Engine specifications:

* ``qvm:PROCESSOR``: cirq_google's noisy quantum virtual machine,
  ``create_default_noisy_quantum_virtual_machine(PROCESSOR, simulator_class=QSimSimulator)``
  (median calibration noise of the processor, readout error included).
* ``qvm-noiseless:PROCESSOR``: the same processor without noise: a
  ``SimulatedLocalProcessor`` with the processor's device, its device specification and the
  Engine's circuit and program validators, sampled by a seeded qsim simulator.
* ``google:PROCESSOR`` or ``google:PROCESSOR:CONFIG``:
  ``cirq_google.get_engine(project).get_processor(PROCESSOR)`` on Google Quantum Engine, jobs
  run with ``device_config_name=CONFIG`` (empty by default); the project comes from
  ``GOOGLE_CLOUD_PROJECT``, credentials from Google's application-default credentials.

Estimated device time counts, per circuit execution, ``repetitions x (step duration +
measurement + reset)``: the step's critical path (its basis change included), the measurement
and the qubit reset before the next repetition, all from the :class:`~qru_compile.devices.Device`
(whose measurement durations correct the rainbow/weber templates' 4 ms for 4 us). It is pure
device time: the Engine's queueing, compilation, upload and per-repetition control overhead
come on top, so read it as a lower bound.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import cirq
import numpy as np

from qru_compile import validation
from qru_compile.compiler import CompileResult
from qru_compile.compiler import compile as compile_model
from qru_compile.devices import Device, get_device
from qru_compile.errors import BackendError, InputError, QRUError
from qru_compile.program import StepProgram
from qru_compile.sim.backends import Backend, resolvers
from qru_compile.sim.rollout import rollout

#: Engine kinds of an engine specification ``KIND:PROCESSOR``.
ENGINE_KINDS: tuple[str, ...] = ("qvm", "qvm-noiseless", "google")
#: Measurement bases of every step, in the order they are run.
BASES: tuple[str, ...] = ("Z", "X")
#: Seconds the ``google:`` hand-off may take to reach the processor before it is given up.
GOOGLE_TIMEOUT_SECONDS = 30.0
#: The Engine's limit on repetitions x sweep points of one job (cirq_google's validator).
MAX_JOB_REPETITIONS = 5_000_000


@dataclasses.dataclass(frozen=True)
class EngineSpec:
    """A parsed engine specification ``KIND:PROCESSOR`` (``google:PROCESSOR:CONFIG``).

    Attributes:
        kind: one of :data:`ENGINE_KINDS`.
        processor: the processor name (a virtual processor for ``qvm`` kinds).
        config: the device configuration jobs run with (``device_config_name``); only
            ``google`` takes one.
    """

    kind: str
    processor: str
    config: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.processor}" + (f":{self.config}" if self.config else "")

    @classmethod
    def parse(cls, spec: str) -> EngineSpec:
        """Parse ``qvm:PROCESSOR``, ``qvm-noiseless:PROCESSOR`` or ``google:PROCESSOR[:CONFIG]``.

        Raises:
            BackendError: for a malformed specification or an unknown kind.
        """
        kind, sep, rest = str(spec).partition(":")
        processor, _, config = rest.partition(":")
        if not sep or not processor or kind not in ENGINE_KINDS or \
                (config and kind != "google") or ":" in config:
            raise BackendError(
                f"unknown engine {spec!r}; expected KIND:PROCESSOR with KIND one of "
                f"{', '.join(ENGINE_KINDS)} (e.g. qvm:willow_pink; google:PROCESSOR:CONFIG "
                "selects a device configuration)"
            )
        return cls(kind, processor, config)


def _virtual_processor_name(spec: EngineSpec) -> str:
    from cirq_google.engine import virtual_engine_factory

    known = virtual_engine_factory.list_virtual_processors()
    name = {p.lower(): p for p in known}.get(spec.processor.lower())
    if name is None:
        raise BackendError(f"engine {spec}: no virtual processor {spec.processor!r}; "
                           f"virtual processors: {', '.join(known)}")
    return name


def _noiseless_processor(name: str, seed: int | None) -> Any:
    import qsimcirq
    from cirq_google.engine import SimulatedLocalEngine, engine_validator, virtual_engine_factory
    from cirq_google.engine.simulated_local_processor import SimulatedLocalProcessor

    # What create_noiseless_virtual_engine_from_templates builds, but with a seeded sampler:
    # the factory's processors share one unseeded cirq.Simulator (a default argument).
    processor = SimulatedLocalProcessor(
        processor_id=name,
        sampler=qsimcirq.QSimSimulator(seed=seed),
        device=virtual_engine_factory.create_device_from_processor_id(name),
        validator=engine_validator.create_engine_validator(),
        program_validator=engine_validator.create_program_validator(),
        device_specification=virtual_engine_factory.create_device_spec_from_processor_id(name),
    )
    return SimulatedLocalEngine([processor]).get_processor(name)


def _noisy_processor(name: str, seed: int | None) -> Any:
    import qsimcirq
    from cirq_google.engine import create_default_noisy_quantum_virtual_machine

    engine = create_default_noisy_quantum_virtual_machine(
        name, simulator_class=qsimcirq.QSimSimulator, seed=seed)
    return engine.get_processor(name)


def _google_processor(spec: EngineSpec, timeout: float) -> Any:
    """The Quantum Engine hand-off, bounded by ``timeout`` seconds; every failure is one line."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT", "").strip()
    if not project:  # checked first, so a missing project never probes for credentials
        raise BackendError(
            f"engine {spec}: Google Quantum Engine needs a Google Cloud project with access "
            "to the processor: set GOOGLE_CLOUD_PROJECT and application-default credentials "
            "(gcloud auth application-default login); use qvm:PROCESSOR to simulate"
        )
    outcome: dict[str, Any] = {}

    def reach() -> None:
        try:
            import cirq_google

            processor = cirq_google.get_engine(project).get_processor(spec.processor)
            processor.get_device()  # the first call that needs the network and credentials
            outcome["processor"] = processor
        except BaseException as exc:  # noqa: BLE001 - any failure of the hand-off is reported
            outcome["error"] = exc

    worker = threading.Thread(target=reach, name=f"qru-engine-{spec.processor}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise BackendError(f"engine {spec}: Quantum Engine did not answer within {timeout:g} s "
                           f"(project {project!r}); no network access?")
    if "error" in outcome:
        exc = outcome["error"]
        message = (str(exc).strip().splitlines() or [""])[0][:300]
        raise BackendError(f"engine {spec}: cannot reach processor {spec.processor!r} of "
                           f"project {project!r}: {type(exc).__name__}"
                           + (f": {message}" if message else ""))
    return outcome["processor"]


def open_processor(spec: str | EngineSpec, *, seed: int | None = None,
                   timeout: float = GOOGLE_TIMEOUT_SECONDS) -> Any:
    """The engine processor an engine specification names.

    Args:
        spec: ``qvm:PROCESSOR``, ``qvm-noiseless:PROCESSOR`` or ``google:PROCESSOR``.
        seed: seed of the virtual machine's simulator (ignored by ``google``).
        timeout: seconds the ``google`` hand-off may take to reach the processor.

    Returns:
        A ``cirq_google.engine.AbstractProcessor`` (a ``SimulatedLocalProcessor`` or an
        ``EngineProcessor``).

    Raises:
        BackendError: for an unknown specification or processor, or a failed hand-off.
    """
    spec = spec if isinstance(spec, EngineSpec) else EngineSpec.parse(spec)
    if spec.kind == "google":
        return _google_processor(spec, timeout)
    name = _virtual_processor_name(spec)
    return _noisy_processor(name, seed) if spec.kind == "qvm" else _noiseless_processor(name, seed)


# --------------------------------------------------------------------------------- cost model
@dataclasses.dataclass(frozen=True)
class CircuitTiming:
    """Device time of one repetition of one measured circuit.

    Attributes:
        step_ns: the step's critical path, its basis change included (no measurement).
        measure_ns: the measurement.
        reset_ns: the qubit reset before the next repetition.
    """

    step_ns: float
    measure_ns: float
    reset_ns: float

    @property
    def total_ns(self) -> float:
        """``step_ns + measure_ns + reset_ns``."""
        return self.step_ns + self.measure_ns + self.reset_ns

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dictionary (with the total)."""
        return {**dataclasses.asdict(self), "total_ns": self.total_ns}


def reset_duration_ns(device: Device) -> tuple[float, str | None]:
    """The device's qubit reset duration, and a note when it is not known.

    ``durations_ns["reset"]`` if the device model has it, else the ``ResetChannel`` duration of
    the cirq_google device specification (willow_pink: 160 ns), else 0 (rainbow and weber
    specify no reset), with a note saying so.
    """
    if "reset" in device.durations_ns:
        return float(device.durations_ns["reset"]), None
    grid = device.cirq_device
    durations = getattr(getattr(grid, "metadata", None), "gate_durations", None) or {}
    for family, duration in durations.items():
        if cirq.ResetChannel() in family:
            return float(duration.total_nanos()), None
    return 0.0, (f"reset: {device.name} specifies no reset duration; counted as 0 ns "
                 "(the estimate is a lower bound)")


def circuit_timings(result: CompileResult) -> tuple[dict[str, CircuitTiming], tuple[str, ...]]:
    """Per basis, the device time of one repetition of the compiled step, and notes.

    The step duration is the measured executable's critical path minus the measurement (the
    measurements form its last moment), so an X-basis change that does not merge into the
    step's last single-qubit gates is counted.

    Raises:
        BackendError: if the device cannot time the executables.
    """
    device = result.device
    if "measure" not in device.durations_ns:
        raise BackendError(f"device {device.name!r} has no measurement duration")
    measure = float(device.durations_ns["measure"])
    reset, note = reset_duration_ns(device)
    timings = {}
    for basis in BASES:
        total = result.report.executables[basis].duration_ns
        if total is None:
            raise BackendError(f"device {device.name!r} cannot time the {basis} executable")
        timings[basis] = CircuitTiming(float(total) - measure, measure, reset)
    return timings, tuple(device.duration_notes) + ((note,) if note else ())


def estimated_device_seconds(timings: Mapping[str, CircuitTiming], circuits_per_basis: int,
                             repetitions: int) -> float:
    """``circuits_per_basis x repetitions x sum over bases of (step + measure + reset)``."""
    return circuits_per_basis * repetitions * sum(t.total_ns for t in timings.values()) * 1e-9


def training_epoch_cost(timings: Mapping[str, CircuitTiming], *, samples: int, steps: int,
                        slots: int, repetitions: int) -> dict[str, Any]:
    """Cost of one epoch of shot-based parameter-shift training on the device.

    Per training sample and step, each basis runs the unshifted step and each of the ``slots``
    angle slots shifted by ``+pi/2`` and ``-pi/2``: ``2 x (2 S + 1)`` circuits, each with
    ``repetitions`` shots.

    Args:
        timings: per basis, the device time of one repetition (:func:`circuit_timings`).
        samples: training-set size.
        steps: time steps per sequence.
        slots: angle slots of the step (``S``).
        repetitions: shots per circuit.
    """
    per_basis = samples * steps * (2 * slots + 1)
    return {
        "samples": samples, "steps": steps, "slots": slots, "repetitions": repetitions,
        "circuits": per_basis * len(timings),
        "shots": per_basis * len(timings) * repetitions,
        "device_seconds": estimated_device_seconds(timings, per_basis, repetitions),
    }


# --------------------------------------------------------------------------------- execution
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
               names: Sequence[str], repetitions: int, config: str, where: str) -> np.ndarray:
    """``[len(resolvers), len(names)]`` means of the ``+-1`` outcomes of one ``run_sweep``."""
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
    values = np.empty((len(resolvers), len(names)))
    for row, result in enumerate(results):
        for col, name in enumerate(names):
            bits = np.asarray(result.measurements[name])[:, 0]
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
        names = [q.name for q in self.result.step.measured_qubits]
        rows = resolvers(program, slot_values)
        values = np.empty((len(rows), 2 * len(names)))  # Z then X of each qubit
        for b, basis in enumerate(BASES):
            for chunk in _sample_chunks(len(rows), self.repetitions):
                values[chunk, b::2] = _run_basis(
                    self.processor, self.result.executables[basis], rows[chunk], names,
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
    from qru_compile.train.checkpoint import Checkpoint
    from qru_compile.train.readout import metrics
    from qru_compile.train.tasks import TASKS

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
    data = task.load()
    index = checkpoint.extra.get("test_index")
    test = data if index is None else data.subset(np.asarray(index))
    train_size = len(data) - (0 if index is None else len(test))
    if samples is not None:
        test = test.subset(np.arange(min(samples, len(test))))
    compiled = compile_model(checkpoint.model, get_device(spec.processor))
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
