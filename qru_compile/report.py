"""Circuit metrics (one function computes them all) and compile reports with their renderers."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import cirq
import cirq_google

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


def gate_label(op: cirq.Operation) -> str:
    """A short, stable name for the gate of ``op`` (``CZ``, ``PhasedXZ``, ``Rx``, ...)."""
    gate = op.gate
    if gate is None:
        return type(op).__name__
    if isinstance(gate, cirq.MeasurementGate):
        return "measure"
    for label, reference in (("CZ", cirq.CZ), ("CNOT", cirq.CNOT), ("SWAP", cirq.SWAP),
                             ("CSWAP", cirq.CSWAP), ("SQRT_ISWAP", cirq.SQRT_ISWAP),
                             ("SQRT_ISWAP_INV", cirq.SQRT_ISWAP_INV), ("SYC", cirq_google.SYC)):
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
    label = gate_label(op)
    return {"CZ": "cz", "SQRT_ISWAP": "sqrt_iswap", "SQRT_ISWAP_INV": "sqrt_iswap",
            "SYC": "sycamore"}.get(label)


def _op_error(op: cirq.Operation, device: Device, gateset: str) -> float | None:
    key = _duration_key(op)
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
                error = _op_error(op, device, gateset)  # type: ignore[arg-type]
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
    """What one pass did: its stage, time, the metrics of its output and its notes."""

    stage: str
    name: str
    seconds: float
    metrics: CircuitMetrics
    notes: tuple[str, ...] = ()
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"stage": self.stage, "pass": self.name, "seconds": self.seconds,
                "metrics": self.metrics.to_dict(), "notes": list(self.notes),
                "data": dict(self.data)}


@dataclasses.dataclass(frozen=True)
class DepthCertificate:
    """Evidence that the per-step circuit does not depend on the sequence length.

    For each sequence length T the compiled program is T executions of step circuits; the
    certificate records the distinct step circuits (by fingerprint) and their depths.

    Attributes:
        lengths: the sequence lengths checked.
        fingerprints: for each length, the distinct fingerprints of its step circuits.
        depths: for each length, the distinct depths of its step circuits.
        two_qubit_depths: likewise for the two-qubit depth.
        constant: True when every length uses one and the same circuit with one depth.
    """

    lengths: tuple[int, ...]
    fingerprints: tuple[tuple[str, ...], ...]
    depths: tuple[tuple[int, ...], ...]
    two_qubit_depths: tuple[tuple[int, ...], ...]
    constant: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return dataclasses.asdict(self)


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
            f"constant-depth certificate: sequence lengths {', '.join(map(str, c.lengths))} run "
            f"{'one and the same' if c.constant else 'DIFFERENT'} step circuit "
            f"(fingerprint {c.fingerprints[0][0]}, depth {c.depths[0][0]})",
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


def depth_certificate(
    step_circuits: Mapping[int, Sequence[cirq.AbstractCircuit]]
) -> DepthCertificate:
    """Certificate from the step circuits each sequence length would execute."""
    lengths = tuple(sorted(step_circuits))
    fingerprints, depths, two_depths = [], [], []
    cache: dict[int, tuple[str, int, int]] = {}
    for length in lengths:
        seen = set()
        for circuit in step_circuits[length]:
            if id(circuit) not in cache:
                m = circuit_metrics(circuit)
                cache[id(circuit)] = (fingerprint(circuit), m.depth, m.two_qubit_depth)
            seen.add(cache[id(circuit)])
        fingerprints.append(tuple(sorted({s[0] for s in seen})))
        depths.append(tuple(sorted({s[1] for s in seen})))
        two_depths.append(tuple(sorted({s[2] for s in seen})))
    constant = len({f for fs in fingerprints for f in fs}) == 1 and \
        len({d for ds in depths for d in ds}) == 1
    return DepthCertificate(lengths, tuple(fingerprints), tuple(depths), tuple(two_depths),
                            constant)
