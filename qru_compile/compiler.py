"""``compile``: a QRU model to a validated, trainable step circuit for a device."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import cirq
import numpy as np

from qru_compile import compile_cache, validation
from qru_compile.devices import Device, get_device
from qru_compile.facts import LOWERED_FACTS
from qru_compile.lowering import LoweredStep, lower
from qru_compile.model import QRUModel
from qru_compile.passes import (
    DecomposeCSwap,
    MapToNative,
    MergeSingleQubitGates,
    PlaceQubits,
    RouteOnDevice,
    VerifyDevice,
    VerifyEquivalence,
    VerifyShiftable,
)
from qru_compile.passes.absorb import ChooseRingAbsorption
from qru_compile.passes.optimize import merge_fixed_single_qubit_runs
from qru_compile.pipeline import (
    Callback,
    CompilationUnit,
    CompileContext,
    Pass,
    Pipeline,
    Stage,
)
from qru_compile.program import StepProgram, z_and_x
from qru_compile.report import CompileReport, circuit_metrics
from qru_compile.ring_absorption import (
    on_physical_qubits,
    parity_observables,
    readout_attenuation,
    trailing_cnots,
    without_final_cnots,
)
from qru_compile.sequence_program import (
    SequenceProgram,
    feed_forward_program,
    verify_constant_depth,
)

#: The ``absorb_ring`` option of :func:`compile` (training records it in checkpoints).
DEFAULT_ABSORB_RING = "auto"

#: Sequence lengths the constant-depth certificate checks.
CERTIFICATE_LENGTHS = (1, 8, 100)
_TO_X_BASIS = cirq.PhasedXZGate.from_matrix(cirq.unitary(cirq.H))


def with_absorption_choice(pipeline: Pipeline) -> Pipeline:
    """``pipeline`` with :class:`~qru_compile.passes.absorb.ChooseRingAbsorption` as a stage
    ``absorb`` after its ``route`` stage (unchanged if it has the pass or no such stage)."""
    names = [stage.name for stage in pipeline.stages]
    if "route" not in names or any(isinstance(p, ChooseRingAbsorption)
                                   for stage in pipeline.stages for p in stage.passes):
        return pipeline
    at = names.index("route") + 1
    stages = (*pipeline.stages[:at], Stage("absorb", (ChooseRingAbsorption(),)),
              *pipeline.stages[at:])
    return dataclasses.replace(pipeline, stages=stages)


def default_pipeline(*, verify_equivalence: bool = False) -> Pipeline:
    """layout -> route -> decompose -> native -> optimize -> verify (``compile`` adds the
    ``absorb`` stage after ``route`` for ``absorb_ring="auto"``).

    Args:
        verify_equivalence: also simulate the result against the logical step (slower).
    """
    verify: tuple[Pass, ...] = (VerifyDevice(), VerifyShiftable())
    if verify_equivalence:
        verify += (VerifyEquivalence(),)
    return Pipeline((
        Stage("layout", (PlaceQubits(),)),
        Stage("route", (RouteOnDevice(),)),
        Stage("decompose", (DecomposeCSwap(),)),
        Stage("native", (MapToNative(),)),
        Stage("optimize", (MergeSingleQubitGates(),)),
        Stage("verify", verify),
    ))


@dataclasses.dataclass(frozen=True, eq=False)
class CompileResult:
    """A compiled QRU step.

    Attributes:
        model: the model.
        device: the target device.
        gateset: the native gateset used.
        step: the lowered logical step (angle map, logical circuit).
        circuit: one step, native and routed, symbols = angle slots, no measurements.
        initial_layout: logical qubit name -> physical qubit where it starts.
        measured_qubits: logical data/hidden qubit name -> physical qubit where it ends.
        executables: ``{"Z": ..., "X": ...}``: the step with a basis change (X) and terminal
            measurements keyed by logical qubit name.
        report: the compile report.
        absorbed: the final-ring CNOTs left out of :attr:`circuit` (logical qubits, time
            order); the outputs are then parities (:mod:`qru_compile.ring_absorption`).
    """

    model: QRUModel
    device: Device
    gateset: str
    step: LoweredStep
    circuit: cirq.FrozenCircuit
    initial_layout: Mapping[str, cirq.Qid]
    measured_qubits: Mapping[str, cirq.Qid]
    executables: Mapping[str, cirq.FrozenCircuit]
    report: CompileReport
    absorbed: tuple[cirq.Operation, ...] = ()

    def slot_values(self, params: Any, x_t: Any, h_prev: Any = None) -> np.ndarray:
        """Angle-slot values of one step, shape ``[S]`` (``h_prev`` defaults to zeros).

        Raises:
            InputError: for arguments of the wrong shape, NaN, infinite or too large.
        """
        params = validation.circuit_parameters(self.model, params)
        x = validation.step_inputs(self.model, x_t)
        h = validation.hidden_state(self.model, h_prev, 1)
        return self.step.angle_map.values(params, x, h)[0]

    def resolver(self, params: Any, x_t: Any, h_prev: Any = None) -> cirq.ParamResolver:
        """A resolver binding every angle slot of :attr:`circuit` for one step."""
        return self.step.resolver(self.slot_values(params, x_t, h_prev))

    @functools.cached_property
    def program(self) -> StepProgram:
        """The compiled step as simulation and training run it: the routed circuit, the state
        over every qubit it touches, ``<Z>``/``<X>`` where each logical qubit ends (parities of
        where they end, with :attr:`absorbed` CNOTs)."""
        measured = [self.measured_qubits[q.name] for q in self.step.measured_qubits]
        qubits = tuple(sorted(set(self.circuit.all_qubits()) | set(measured)))
        return StepProgram(self.model, self.circuit, self.step.angle_map, qubits,
                           self.observables, self.device.name, self.gateset)

    @functools.cached_property
    def observables(self) -> tuple[cirq.PauliString[cirq.Qid], ...]:
        """``<Z_d0>, <X_d0>, ...`` of the logical step as Pauli strings on physical qubits."""
        where: dict[cirq.Qid, cirq.Qid] = {q: self.measured_qubits[q.name]
                                           for q in self.step.measured_qubits}
        if not self.absorbed:
            return z_and_x([where[q] for q in self.step.measured_qubits])
        return on_physical_qubits(parity_observables(self.step.measured_qubits, self.absorbed),
                                  where)

    @property
    def measured_fidelity(self) -> float | None:
        """Estimated fidelity of what is measured: the step's gates (report) times the mean
        readout attenuation of its observables (parities suffer every bit's error); None
        without calibration."""
        attenuation = readout_attenuation(self.observables, self.device)
        gates = self.report.final.fidelity
        return None if attenuation is None or gates is None else gates * attenuation

    def sequence_program(self, length: int) -> SequenceProgram:
        """The executions of a sequence of ``length`` steps and the dataflow between them
        (:mod:`qru_compile.sequence_program`; the report's certificate verifies them)."""
        return feed_forward_program(self.executables, self.model.hidden_names, length,
                                    self.device, self.gateset)


def _with_note(result: CompileResult, note: str) -> CompileResult:
    return dataclasses.replace(result, report=dataclasses.replace(
        result.report, notes=(note, *result.report.notes)))


def _best_absorption(candidates: list[CompileResult]) -> CompileResult:
    """The candidate (0, 1, ... ring CNOTs absorbed) measured best, with a note of the choice."""
    measured = [c.measured_fidelity for c in candidates]
    scores = [score for score in measured if score is not None]
    if len(scores) < len(candidates):
        return _with_note(candidates[0],
                          "absorb_ring search: no calibration, the final ring is kept")
    best = max(range(len(scores)), key=scores.__getitem__)
    return _with_note(candidates[best], (
        f"absorb_ring search: {best} of {len(candidates) - 1} final-ring CNOTs absorbed; "
        f"estimated fidelity of what is measured (gates x readout) {scores[best]:.4f}, "
        f"{scores[0]:.4f} with the ring kept"))


def _executables(circuit: cirq.FrozenCircuit, measured: Mapping[str, cirq.Qid]
                 ) -> dict[str, cirq.FrozenCircuit]:
    measure = [cirq.measure(q, key=name) for name, q in measured.items()]
    z = cirq.Circuit(circuit.all_operations())
    z.append(measure, strategy=cirq.InsertStrategy.NEW_THEN_INLINE)
    x = cirq.Circuit(circuit.all_operations())
    x.append(_TO_X_BASIS.on_each(*measured.values()))
    x = merge_fixed_single_qubit_runs(x)
    x.append(measure, strategy=cirq.InsertStrategy.NEW_THEN_INLINE)
    return {"Z": z.freeze(), "X": x.freeze()}


def compile(  # shadows the builtin: the natural name, as in qc.compile
    model: QRUModel,
    device: str | Device = "rainbow",
    gateset: str | None = None,
    *,
    pipeline: Pipeline | None = None,
    verify_equivalence: bool = False,
    audit: bool = False,
    seed: int = 0,
    callback: Callback | None = None,
    absorb_ring: int | str = DEFAULT_ABSORB_RING,
    cache: bool | None = None,
) -> CompileResult:
    """Compile one time step of ``model`` for ``device``.

    Args:
        model: the QRU model.
        device: a device name (see ``qru devices``) or a Device.
        gateset: ``"cz"``, ``"sqrt_iswap"`` or ``"sycamore"``; the device's default if None.
        pipeline: a custom pipeline; :func:`default_pipeline` if None.
        verify_equivalence: add the simulation-based equivalence check to the default pipeline.
        audit: re-check every fact after every pass.
        seed: seed of the placement and routing tie-breaks.
        callback: called with each pass record and unit.
        absorb_ring: ``"auto"`` (default): after placing and routing the whole step, leave
            out as many of the final ring's last CNOTs as the calibration's estimate of the
            fidelity of what is measured says pays (:mod:`qru_compile.passes.absorb`; the
            ring kept on a tie or without calibration), the outputs read as parities
            (:mod:`qru_compile.ring_absorption`); a whole number: leave out that many before
            placement (``"all"``: the whole ring; 0 keeps it); ``"search"``: compile every
            count with its own placement and keep the highest
            :attr:`CompileResult.measured_fidelity` (one compile per count; the callback
            sees every candidate's passes).
        cache: read and keep the result in the on-disk compile cache
            (:mod:`qru_compile.compile_cache`; None: unless ``QRU_COMPILE_CACHE=off``). Only
            compiles of a named device with the default pipeline and no callback are cached.

    Raises:
        DeviceError: unknown device or unsupported gateset.
        CompileError: the model does not fit the device, or verification failed.
        InputError: for an ``absorb_ring`` outside 0..the ring's CNOTs.
    """
    target = get_device(device) if isinstance(device, str) else device
    gateset = target.check_gateset(gateset)
    options: dict[str, Any] = {"seed": seed, "absorb_ring": absorb_ring, "audit": audit,
                               "verify_equivalence": verify_equivalence}
    cacheable = (compile_cache.enabled() if cache is None else cache) and pipeline is None \
        and callback is None and compile_cache.registered(target)
    key = compile_cache.cache_key(model, target.name, gateset, **options) if cacheable else ""
    if cacheable and (hit := compile_cache.load(key)) is not None and hit.model == model:
        note = f"from the compile cache ({compile_cache.cache_directory()}, key {key[:12]})"
        return dataclasses.replace(hit, report=dataclasses.replace(
            hit.report, notes=(note, *hit.report.notes)))
    result = _compile(model, target, gateset, pipeline, callback, **options)
    if cacheable:
        compile_cache.store(key, result)
    return result


def _compile(model: QRUModel, target: Device, gateset: str, pipeline: Pipeline | None,
             callback: Callback | None, *, seed: int, absorb_ring: int | str, audit: bool,
             verify_equivalence: bool) -> CompileResult:
    if absorb_ring == "search":
        return _best_absorption([_compile(model, target, gateset, pipeline, callback,
                                          seed=seed, absorb_ring=k, audit=audit,
                                          verify_equivalence=verify_equivalence)
                                 for k in range(trailing_cnots(lower(model)) + 1)])
    auto = absorb_ring == "auto"
    step, absorbed = without_final_cnots(lower(model), 0 if auto else absorb_ring)
    ctx = CompileContext(device=target, gateset=gateset, step=step, audit=audit, seed=seed)
    pipeline = pipeline or default_pipeline(verify_equivalence=verify_equivalence)
    if auto:
        pipeline = with_absorption_choice(pipeline)
    unit, records = pipeline.run(CompilationUnit(step.circuit, facts=LOWERED_FACTS), ctx,
                                  callback)
    if unit.absorbed:
        step, absorbed = without_final_cnots(step, len(unit.absorbed))
    start = unit.initial_layout_or_identity(step.qubits)
    final = unit.final_layout(step.measured_qubits)
    measured = {q.name: final[q] for q in step.measured_qubits}
    executables = _executables(unit.circuit, measured)
    layout = {q.name: (str(start[q]), str(final[q])) for q in step.qubits
              if q in step.measured_qubits}
    certificate = verify_constant_depth(
        lambda length: feed_forward_program(executables, model.hidden_names, length, target,
                                            gateset), CERTIFICATE_LENGTHS)
    report = CompileReport(
        model=model.name,
        device=target.name,
        gateset=gateset,
        logical=circuit_metrics(step.circuit),
        passes=records,
        final=circuit_metrics(unit.circuit, target, gateset),
        executables={k: circuit_metrics(v, target, gateset) for k, v in executables.items()},
        certificate=certificate,
        layout=layout,
        notes=target.duration_notes + target.error_notes,
    )
    result = CompileResult(
        model=model,
        device=target,
        gateset=gateset,
        step=step,
        circuit=unit.circuit,
        initial_layout=MappingProxyType({q.name: start[q] for q in step.qubits}),
        measured_qubits=MappingProxyType(measured),
        executables=MappingProxyType(executables),
        report=report,
        absorbed=absorbed,
    )
    if absorbed:
        widest = max(len(o) for o in result.observables)
        attenuation = readout_attenuation(result.observables, target)
        note = (f"final ring: {len(absorbed)} CNOT(s) absorbed into the readout; outputs are "
                f"parities of up to {widest} measured qubits")
        if attenuation is not None:
            note += f" (mean readout attenuation {attenuation:.4f})"
        result = dataclasses.replace(
            result, report=dataclasses.replace(report, notes=(note, *report.notes)))
    return result
