"""Circuit metrics (one function computes them all) and compile reports with their renderers."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cirq
import cirq_google

from qru_compile.gatesets import gateset_of
from qru_compile.tables import markdown_table, text_table

if TYPE_CHECKING:
    from qru_compile.devices import Device


@dataclasses.dataclass(frozen=True)
class CircuitMetrics:
    """Size, time and quality figures of one circuit.

    Attributes:
        qubits: qubits the circuit touches.
        depth: moments (Cirq's depth).
        two_qubit_depth: longest chain of two-qubit gates through the circuit.
        one_qubit: single-qubit operations (measurements excluded).
        two_qubit: two-qubit operations.
        multi_qubit: operations on three or more qubits.
        swaps: SWAP gates present.
        gate_counts: operations by gate label.
        duration_ns: critical-path duration from the device's gate durations; None while the
            circuit has gates the device cannot time (before native mapping).
        fidelity: product of ``1 - error`` over gates and measurements from calibration data;
            None when the device has none for this gateset or the circuit is not native.
    """

    qubits: int
    depth: int
    two_qubit_depth: int
    one_qubit: int
    two_qubit: int
    multi_qubit: int
    swaps: int
    gate_counts: Mapping[str, int]
    duration_ns: float | None = None
    fidelity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        data = dataclasses.asdict(self)
        data["gate_counts"] = dict(self.gate_counts)
        return data


_NAMED_GATES: tuple[tuple[str, cirq.Gate], ...] = (
    ("CZ", cirq.CZ), ("CNOT", cirq.CNOT), ("SWAP", cirq.SWAP), ("CSWAP", cirq.CSWAP),
    ("SQRT_ISWAP", cirq.SQRT_ISWAP), ("SQRT_ISWAP_INV", cirq.SQRT_ISWAP_INV),
    ("SYC", cirq_google.SYC),
)
# Cirq's value equality holds only between gates of one type: compare a gate only with the
# named gates of its own type (the metrics label every operation of every pass's output).
_NAMED_BY_TYPE: dict[type, tuple[tuple[str, cirq.Gate], ...]] = {
    kind: tuple(item for item in _NAMED_GATES if type(item[1]) is kind)
    for kind in {type(gate) for _, gate in _NAMED_GATES}
}


def gate_label(op: cirq.Operation) -> str:
    """A short, stable name for the gate of ``op`` (``CZ``, ``PhasedXZ``, ``Rx``, ...)."""
    gate = op.gate
    if gate is None:
        return type(op).__name__
    if isinstance(gate, cirq.MeasurementGate):
        return "measure"
    for label, reference in _NAMED_BY_TYPE.get(type(gate), ()):
        if gate == reference:
            return label
    return type(gate).__name__.removesuffix("Gate")


def _duration_key(op: cirq.Operation) -> str | None:
    gate = op.gate
    if isinstance(gate, cirq.MeasurementGate):
        return "measure"
    if isinstance(gate, cirq.ZPowGate):
        return "z"
    if len(op.qubits) == 1 and isinstance(gate, (cirq.PhasedXZGate, cirq.XPowGate,
                                                 cirq.YPowGate, cirq.PhasedXPowGate)):
        return "1q"
    native = gateset_of(gate) if len(op.qubits) == 2 else None
    return None if native is None else native.name


def _op_error(op: cirq.Operation, key: str | None, device: Device,
              gateset: str) -> float | None:
    if key == "z":
        return 0.0
    if key == "1q":
        return device.qubit_errors.get(op.qubits[0])
    if key == "measure":
        errors = [device.readout_errors.get(q) for q in op.qubits]
        known = [e for e in errors if e is not None]
        if len(known) < len(errors):
            return None
        return 1.0 - math.prod(1.0 - e for e in known)
    if key == gateset:
        return device.two_qubit_error(gateset, *op.qubits)
    return None


def circuit_metrics(
    circuit: cirq.AbstractCircuit, device: Device | None = None, gateset: str | None = None
) -> CircuitMetrics:
    """All metrics of ``circuit``; duration and fidelity need the device (and its gateset)."""
    counts: Counter[str] = Counter()
    one = two = multi = swaps = 0
    chain: dict[cirq.Qid, int] = {}
    clock: dict[cirq.Qid, float] = {}
    duration_known = device is not None
    fidelity: float | None = 1.0 if device is not None and gateset is not None and \
        device.has_calibration(gateset) else None
    for moment in circuit:
        for op in moment:
            label = gate_label(op)
            counts[label] += 1
            size = len(op.qubits)
            if label != "measure":
                one += size == 1
                two += size == 2
                multi += size > 2
            swaps += label == "SWAP"
            if size >= 2:
                level = max(chain.get(q, 0) for q in op.qubits) + 1
                for q in op.qubits:
                    chain[q] = level
            if device is not None:
                key = _duration_key(op)
                if key is None or key not in device.durations_ns:
                    duration_known = False
                else:
                    end = max(clock.get(q, 0.0) for q in op.qubits) + device.durations_ns[key]
                    for q in op.qubits:
                        clock[q] = end
            if fidelity is not None:
                error = _op_error(op, key, device, gateset)  # type: ignore[arg-type]
                fidelity = None if error is None else fidelity * (1.0 - error)
    return CircuitMetrics(
        qubits=len(circuit.all_qubits()),
        depth=sum(1 for moment in circuit if moment.operations),
        two_qubit_depth=max(chain.values(), default=0),
        one_qubit=one,
        two_qubit=two,
        multi_qubit=multi,
        swaps=swaps,
        gate_counts=dict(sorted(counts.items())),
        duration_ns=max(clock.values(), default=0.0) if duration_known else None,
        fidelity=fidelity,
    )


@dataclasses.dataclass(frozen=True)
class PassRecord:
    """What one pass did: its stage, time, the metrics of its output, its notes and data, and
    the options it ran with (its dataclass fields)."""

    stage: str
    name: str
    seconds: float
    metrics: CircuitMetrics
    notes: tuple[str, ...] = ()
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"stage": self.stage, "pass": self.name, "seconds": self.seconds,
                "metrics": self.metrics.to_dict(), "notes": list(self.notes),
                "data": dict(self.data), "options": dict(self.options)}


@dataclasses.dataclass(frozen=True)
class ExecutionCost:
    """What one execution of a step costs (measurements included).

    Attributes:
        basis: its measurement basis.
        fingerprint: a content hash of its circuit.
        depth: moments.
        two_qubit_depth: longest chain of two-qubit gates.
        duration_ns: critical-path duration, or None where the device cannot time it.
        fidelity: estimated fidelity, or None without calibration.
    """

    basis: str
    fingerprint: str
    depth: int
    two_qubit_depth: int
    duration_ns: float | None
    fidelity: float | None

    @classmethod
    def of(cls, basis: str, digest: str, metrics: CircuitMetrics) -> ExecutionCost:
        """The cost of an execution with ``metrics``."""
        return cls(basis, digest, metrics.depth, metrics.two_qubit_depth, metrics.duration_ns,
                   metrics.fidelity)


@dataclasses.dataclass(frozen=True)
class LengthCost:
    """What a sequence of ``length`` steps costs: its executions and the deepest of them."""

    length: int
    executions: int
    shots: int | None
    max_depth: int
    max_two_qubit_depth: int
    max_duration_ns: float | None


@dataclasses.dataclass(frozen=True)
class DepthCertificate:
    """The verdict of :func:`~qru_compile.sequence_program.verify_constant_depth` on a
    sequence program.

    Attributes:
        lengths: the sequence lengths built and checked.
        constant: True when no problem was found: every execution starts from ``|0...0>``
            and serves one step, and every step runs step 0's executions.
        problems: why the depth is not constant (each names the length, step or execution).
        executions: the cost of each execution of step 0.
        per_length: per length, the executions (and shots) of a sequence and its deepest one.
        depth_per_step: growth of the deepest execution's depth per step (least squares over
            ``per_length``; 0 when constant).
        notes: what the device supports of the program.
    """

    lengths: tuple[int, ...]
    constant: bool
    problems: tuple[str, ...]
    executions: tuple[ExecutionCost, ...]
    per_length: tuple[LengthCost, ...]
    depth_per_step: float
    notes: tuple[str, ...] = ()

    @property
    def executions_per_step(self) -> int:
        """Executions per time step (a sequence of T steps runs ``T`` times as many)."""
        return len(self.executions)

    def summary(self) -> str:
        """One line: the verdict, the per-execution cost and the per-sequence growth."""
        lengths = ", ".join(map(str, self.lengths))
        if not self.constant:
            depths = ", ".join(f"{r.max_depth} at T={r.length}" for r in self.per_length)
            return (f"NOT constant depth (T = {lengths}): {self.problems[0]}; deepest execution "
                    f"{depths} (about {self.depth_per_step:.0f} moments more per step)")
        costs = "; ".join(
            f"{c.basis}: depth {c.depth}, two-qubit depth {c.two_qubit_depth}"
            + ("" if c.duration_ns is None else f", {c.duration_ns:g} ns")
            + ("" if c.fidelity is None else f", fidelity {c.fidelity:.4f}")
            for c in self.executions)
        return (f"constant depth, verified on the sequence program (T = {lengths}): every "
                f"execution starts from |0...0> and runs one step ({costs}); a sequence of T "
                f"steps runs {self.executions_per_step}T executions")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {**dataclasses.asdict(self), "executions_per_step": self.executions_per_step}


@dataclasses.dataclass(frozen=True)
class CompileReport:
    """The report of one compilation.

    Attributes:
        model: model name.
        device: device name.
        gateset: native gateset.
        logical: metrics of the logical step circuit.
        passes: one record per pass, in order.
        final: metrics of the compiled step circuit (no measurements).
        executables: metrics of the measured circuits, by basis.
        certificate: the constant-depth certificate.
        layout: logical qubit -> physical qubit at the start and at the end of the step.
        notes: device notes (duration corrections, calibration sources).
    """

    model: str
    device: str
    gateset: str
    logical: CircuitMetrics
    passes: tuple[PassRecord, ...]
    final: CircuitMetrics
    executables: Mapping[str, CircuitMetrics]
    certificate: DepthCertificate
    layout: Mapping[str, tuple[str, str]]
    notes: tuple[str, ...] = ()

    @property
    def total_seconds(self) -> float:
        """Time spent in passes."""
        return sum(r.seconds for r in self.passes)

    def stages(self) -> list[tuple[str, float, CircuitMetrics]]:
        """Per stage: name, seconds, and the metrics after its last pass."""
        out: list[tuple[str, float, CircuitMetrics]] = []
        for record in self.passes:
            if out and out[-1][0] == record.stage:
                name, seconds, _ = out[-1]
                out[-1] = (name, seconds + record.seconds, record.metrics)
            else:
                out.append((record.stage, record.seconds, record.metrics))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "model": self.model, "device": self.device, "gateset": self.gateset,
            "logical": self.logical.to_dict(),
            "passes": [r.to_dict() for r in self.passes],
            "final": self.final.to_dict(),
            "executables": {k: v.to_dict() for k, v in self.executables.items()},
            "certificate": self.certificate.to_dict(),
            "layout": {k: list(v) for k, v in self.layout.items()},
            "notes": list(self.notes),
            "total_seconds": self.total_seconds,
        }

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        headers = ["stage", "pass", "depth", "2q depth", "1q", "2q", "3q", "swaps",
                   "duration ns", "fidelity", "seconds"]
        rows: list[list[Any]] = [["logical", "-", *_metric_cells(self.logical), "-"]]
        for r in self.passes:
            rows.append([r.stage, r.name, *_metric_cells(r.metrics), round(r.seconds, 3)])
        return headers, rows

    def _summary(self) -> list[str]:
        m, c = self.final, self.certificate
        duration = f"{m.duration_ns:g} ns" if m.duration_ns is not None else "n/a"
        fidelity = f"{m.fidelity:.4f}" if m.fidelity is not None else "n/a (no calibration)"
        lines = [
            f"{self.model} on {self.device} ({self.gateset}): per step {m.two_qubit} two-qubit "
            f"gates, depth {m.depth}, two-qubit depth {m.two_qubit_depth}, "
            f"duration {duration} (without measurement), estimated fidelity {fidelity}",
            f"certificate: {c.summary()}",
            f"compile time {self.total_seconds:.2f} s",
        ]
        for basis, metrics in self.executables.items():
            if metrics.duration_ns is not None:
                lines.append(f"executable {basis}: depth {metrics.depth}, duration "
                             f"{metrics.duration_ns:g} ns with measurement")
        return lines + [f"note: {n}" for n in self.notes]

    def to_table(self) -> str:
        """A terminal table of the passes followed by a summary."""
        headers, rows = self._rows()
        return text_table(headers, rows) + "\n\n" + "\n".join(self._summary())

    def to_markdown(self) -> str:
        """The same content as Markdown."""
        headers, rows = self._rows()
        layout = markdown_table(["logical", "start", "end"],
                                [[k, *v] for k, v in self.layout.items()])
        return "\n\n".join([
            f"## {self.model} on {self.device} ({self.gateset})",
            markdown_table(headers, rows),
            "\n".join(f"- {line}" for line in self._summary()),
            layout,
        ]) + "\n"


def _metric_cells(m: CircuitMetrics) -> list[Any]:
    return [m.depth, m.two_qubit_depth, m.one_qubit, m.two_qubit, m.multi_qubit, m.swaps,
            "-" if m.duration_ns is None else round(m.duration_ns, 1),
            "-" if m.fidelity is None else round(m.fidelity, 4)]


def fingerprint(circuit: cirq.AbstractCircuit) -> str:
    """A short content hash of a circuit (stable across runs)."""
    return hashlib.sha256(repr(cirq.FrozenCircuit(circuit)).encode()).hexdigest()[:12]
