"""The sequence program: what a length-T sequence executes, as data, and its depth verifier.

A QRU sequence of T steps is a dataflow of quantum *executions* (each a circuit run from
``|0...0>``, ``shots`` times) joined by *classical edges* (the expectation values one step
measures become angles of the next step) and, in a coherent recurrence, by *quantum carries*
(qubits whose state passes from one step to the next inside one circuit). The paper's
constant-depth claim is a property of this structure, and :func:`verify_constant_depth`
checks it: every execution starts from ``|0...0>`` and serves one step, no quantum state
crosses a step boundary, and every step runs the same executions as step 0 with its classical
inputs from earlier steps only. Then, for every T, each execution has the step's depth,
duration and fidelity, and only the number of executions (and shots) grows, linearly.

:func:`feed_forward_program` builds the program of a compiled QRU (two executions per step:
the Z and the X basis); :func:`coherent_program` the quantum-RNN style the paper contrasts
itself with (hidden qubits carried quantumly, data and ancilla qubits reset mid-circuit, one
circuit per sequence), which the verifier rejects.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import cirq
import numpy as np

from qru_compile.devices import Device, get_device
from qru_compile.errors import InputError
from qru_compile.lowering import lower
from qru_compile.model import QRUModel
from qru_compile.report import (
    CircuitMetrics,
    DepthCertificate,
    ExecutionCost,
    LengthCost,
    circuit_metrics,
    fingerprint,
)


@dataclasses.dataclass(frozen=True)
class Execution:
    """One circuit the hardware runs from ``|0...0>``, repeated for the shots.

    Attributes:
        circuit: the executable, measurements included.
        steps: the time steps whose quantum work it holds (one, for a feed-forward QRU).
        basis: the basis its outputs are measured in (``"Z"`` or ``"X"``).
        metrics: its size, duration and estimated fidelity on the device.
        fingerprint: a content hash of ``circuit`` (:func:`~qru_compile.report.fingerprint`).
    """

    circuit: cirq.FrozenCircuit
    steps: tuple[int, ...]
    basis: str
    metrics: CircuitMetrics
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class ClassicalEdge:
    """Values measured by execution ``source`` that set angles of execution ``target``."""

    source: int
    target: int
    values: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class QuantumCarry:
    """Qubits whose state passes from step ``step`` to ``step + 1`` inside one execution."""

    execution: int
    step: int
    qubits: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SequenceProgram:
    """The executions of one sequence of ``length`` steps and the dataflow between them.

    Attributes:
        length: the sequence length T.
        executions: every circuit run, in the order they run.
        classical: classical edges (indices into ``executions``).
        quantum: quantum carries (indices into ``executions``).
        device: the device name.
        notes: what the device supports of the program (mid-circuit reset, measurement).
    """

    length: int
    executions: tuple[Execution, ...]
    classical: tuple[ClassicalEdge, ...] = ()
    quantum: tuple[QuantumCarry, ...] = ()
    device: str = ""
    notes: tuple[str, ...] = ()

    def at_step(self, step: int) -> tuple[int, ...]:
        """Indices of the executions that hold work of ``step``."""
        return tuple(i for i, e in enumerate(self.executions) if step in e.steps)


def _execution(circuit: cirq.AbstractCircuit, steps: tuple[int, ...], basis: str,
               device: Device, gateset: str) -> Execution:
    frozen = cirq.FrozenCircuit(circuit)
    metrics, stamp = _measured(frozen, device, gateset)
    return Execution(frozen, steps, basis, metrics, stamp)


@functools.lru_cache(maxsize=64)
def _measured(circuit: cirq.FrozenCircuit, device: Device, gateset: str
              ) -> tuple[CircuitMetrics, str]:
    """Metrics and fingerprint of a kernel (the certificate builds several lengths of one)."""
    return circuit_metrics(circuit, device, gateset), fingerprint(circuit)


def feed_forward_program(executables: Mapping[str, cirq.FrozenCircuit],
                         hidden_qubits: Sequence[str], length: int, device: Device,
                         gateset: str) -> SequenceProgram:
    """The program of a compiled QRU: per step one execution per basis, each fed the previous
    step's hidden values ``<Z_h>`` (from its Z execution) and ``<X_h>`` (from its X one).

    Args:
        executables: the measured step circuit of each basis (``CompileResult.executables``).
        hidden_qubits: the model's hidden qubit names.
        length: the sequence length T.
        device: the device compiled for.
        gateset: its gateset.

    Raises:
        InputError: for a length below 1.
    """
    _check_length(length)
    kernels = {basis: _execution(circuit, (0,), basis, device, gateset)
               for basis, circuit in executables.items()}
    executions: list[Execution] = []
    edges: list[ClassicalEdge] = []
    index: dict[tuple[int, str], int] = {}
    for t in range(length):
        for basis, kernel in kernels.items():
            index[t, basis] = len(executions)
            executions.append(dataclasses.replace(kernel, steps=(t,)))
        if t:
            for source in kernels:
                values = tuple(f"<{source}_{h}>" for h in hidden_qubits)
                edges += [ClassicalEdge(index[t - 1, source], index[t, target], values)
                          for target in kernels]
    return SequenceProgram(length, tuple(executions), tuple(edges), (), device.name)


def coherent_program(model: QRUModel, device: str | Device, length: int, *,
                     seed: int = 0) -> SequenceProgram:
    """The coherent-recurrence variant of ``model``: one circuit per sequence.

    Each step is the QRU step without the hidden encoding: the hidden qubits keep their
    quantum state from the step before, the data and ancilla qubits are reset at the start of
    every step after the first, and the data qubits are measured in Z at the end of every step.
    The slot angles are bound to seeded random values (the structure is what is measured, not
    the values). Our pipeline compiles one step kernel that starts from ``|0...0>``, so this
    circuit goes through Cirq's CZ target gateset and its ``RouteCQC`` router instead.

    Raises:
        InputError: for a length below 1.
        DeviceError: for an unknown device.
    """
    _check_length(length)
    target = get_device(device) if isinstance(device, str) else device
    step = lower(model)
    qubit = {q.name: q for q in step.qubits}
    hidden_slots = {name for name in step.angle_map.names if name.startswith("enc_h")}
    rng = np.random.default_rng(seed)
    reset = [qubit[name] for name in (*model.data_names, *model.ancilla_names)]
    operations: list[cirq.Operation] = []
    for t in range(length):
        values = {name: float(v) for name, v in
                  zip(step.angle_map.names, rng.uniform(0, 2 * np.pi, step.angle_map.num_slots))}
        if t:
            operations += [cirq.ResetChannel().on(q) for q in reset]
        for op in step.circuit.all_operations():
            names = cirq.parameter_names(op)
            if not names & hidden_slots:
                operations.append(cirq.resolve_parameters(op, values))
        operations += [cirq.measure(qubit[name], key=f"t{t}_{name}")
                       for name in model.data_names]
    gateset = cirq.CZTargetGateset()
    native = cirq.optimize_for_target_gateset(cirq.Circuit(operations), gateset=gateset)
    routed, _, _ = cirq.RouteCQC(target.graph).route_circuit(native)
    routed = cirq.optimize_for_target_gateset(routed, gateset=gateset)
    execution = _execution(routed, tuple(range(length)), "Z", target, "cz")
    carries = tuple(QuantumCarry(0, t, tuple(model.hidden_names)) for t in range(length - 1))
    return SequenceProgram(length, (execution,), (), carries, target.name,
                           _mid_circuit_notes(target, routed))


def _mid_circuit_notes(device: Device, circuit: cirq.AbstractCircuit) -> tuple[str, ...]:
    """What ``device`` says of a circuit with mid-circuit resets and measurements."""
    if device.cirq_device is None:
        return (f"{device.name}: a synthetic device; it declares nothing about mid-circuit "
                "reset or measurement",)
    gateset = getattr(device.cirq_device.metadata, "gateset", None)
    if gateset is None:
        return (f"{device.name}: its Cirq device declares no gateset",)
    some = next(iter(device.qubits))
    notes = []
    for what, op in (("reset", cirq.ResetChannel().on(some)), ("measurement", cirq.measure(some))):
        if op in gateset:
            notes.append(f"{device.name}: {what} is in its gateset")
        else:
            notes.append(f"{device.name}: no {what} in its gateset: the coherent circuit "
                         "cannot run there")
    try:
        device.cirq_device.validate_circuit(circuit)
    except ValueError as exc:
        notes.append(f"{device.name} rejects the circuit: {str(exc).splitlines()[0]}")
    return tuple(notes)


def verify_constant_depth(build: Callable[[int], SequenceProgram],
                          lengths: Sequence[int], *, shots: int | None = None
                          ) -> DepthCertificate:
    """Check the constant-depth property on the programs ``build(T)`` for ``T`` in ``lengths``.

    Per program: each execution serves one step and no qubit is carried across a step boundary
    (so each starts from ``|0...0>``), every step runs the same executions (basis and circuit)
    as step 0, and classical edges run from earlier steps to later ones. Across lengths: step 0
    runs the same executions for every T. A program that passes is T copies of one step's
    executions joined only classically, so every execution's depth, duration and fidelity are
    the step's for any T, and a sequence costs ``executions_per_step * T`` executions.

    Args:
        build: the sequence program of a given length.
        lengths: the lengths to build and check (at least one).
        shots: shots per execution, for the per-sequence shot count.

    Returns:
        The certificate: ``constant`` and the problems found (each naming the length, step or
        execution), the per-execution costs of step 0, and per length the executions, shots
        and the deepest execution.
    """
    if not lengths:
        raise InputError("lengths: need at least one sequence length")
    programs = {length: build(length) for length in sorted(set(lengths))}
    problems: list[str] = []
    patterns = {}
    for length, program in programs.items():
        problems += _program_problems(program, length)
        patterns[length] = _pattern(program, 0)
    first = min(programs)
    problems += [f"T={length}: step 0 runs {_describe(pattern)}, at T={first} "
                 f"{_describe(patterns[first])}"
                 for length, pattern in patterns.items() if pattern != patterns[first]]
    step0 = [programs[first].executions[i] for i in programs[first].at_step(0)]
    per_length = tuple(_length_cost(length, program, shots)
                       for length, program in programs.items())
    return DepthCertificate(
        lengths=tuple(programs), constant=not problems, problems=tuple(problems),
        executions=tuple(ExecutionCost.of(e.basis, e.fingerprint, e.metrics) for e in step0),
        per_length=per_length, depth_per_step=_depth_slope(per_length),
        notes=programs[max(programs)].notes)


def _program_problems(program: SequenceProgram, length: int) -> list[str]:
    problems = []
    if program.length != length:
        problems.append(f"T={length}: the program was built for T={program.length}")
    served = Counter(t for e in program.executions for t in e.steps)
    missing = sorted(set(range(length)) - set(served))
    if missing:
        problems.append(f"T={length}: no execution serves step {missing[0]}")
    for i, execution in enumerate(program.executions):
        if len(execution.steps) > 1:
            problems.append(f"T={length}: execution {i} holds steps {execution.steps[0]}-"
                            f"{execution.steps[-1]} in one circuit of depth "
                            f"{execution.metrics.depth}")
            break
    if program.quantum:
        carry = program.quantum[0]
        problems.append(f"T={length}: qubits {', '.join(carry.qubits)} carry their quantum "
                        f"state from step {carry.step} to step {carry.step + 1} "
                        f"({len(program.quantum)} step boundaries crossed): the circuit "
                        "grows with T")
    reference = _pattern(program, 0)
    for t in range(1, length):
        pattern = _pattern(program, t)
        if pattern != reference:
            problems.append(f"T={length}: step {t} runs {_describe(pattern)}, step 0 "
                            f"{_describe(reference)}")
            break
    for edge in program.classical:
        source = max(program.executions[edge.source].steps)
        target = min(program.executions[edge.target].steps)
        if source >= target:
            problems.append(f"T={length}: a classical edge runs from step {source} to step "
                            f"{target}, not forward in time")
            break
    return problems


def _pattern(program: SequenceProgram, step: int) -> Counter[tuple[str, str]]:
    return Counter((program.executions[i].basis, program.executions[i].fingerprint)
                   for i in program.at_step(step))


def _describe(pattern: Counter[tuple[str, str]]) -> str:
    if not pattern:
        return "nothing"
    return ", ".join(f"{count} x {basis} {digest}"
                     for (basis, digest), count in sorted(pattern.items()))


def _length_cost(length: int, program: SequenceProgram, shots: int | None) -> LengthCost:
    deepest = max(program.executions, key=lambda e: e.metrics.depth)
    count = len(program.executions)
    return LengthCost(length=length, executions=count,
                      shots=None if shots is None else count * shots,
                      max_depth=deepest.metrics.depth,
                      max_two_qubit_depth=max(e.metrics.two_qubit_depth
                                              for e in program.executions),
                      max_duration_ns=deepest.metrics.duration_ns)


def _depth_slope(rows: Sequence[LengthCost]) -> float:
    """Least-squares growth of the deepest execution's depth per step (0 for one length)."""
    if len(rows) < 2:
        return 0.0
    lengths = np.array([r.length for r in rows], dtype=float)
    depths = np.array([r.max_depth for r in rows], dtype=float)
    return float(np.polyfit(lengths, depths, 1)[0])


def _check_length(length: int) -> None:
    if not isinstance(length, (int, np.integer)) or length < 1:
        raise InputError(f"length: expected a whole number of steps of at least 1, got "
                         f"{length!r}")
