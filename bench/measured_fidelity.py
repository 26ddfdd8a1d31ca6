"""Estimated fidelity of what is measured: ours (ring kept, the default absorb_ring='auto', and
absorb_ring='search') against the best peer circuits of the compile benchmark, on the
calibrated Google devices.

Run from the repository root with the bench extra (qiskit, pytket)::

    python bench/measured_fidelity.py

One estimate for every tool, from the device's calibration (``qru_compile.report``): the
product of ``1 - error`` over the executed gates (calibrated single-qubit and CZ Pauli
errors; Z rotations are virtual), times the readout attenuation of what is read, the mean over
the step's observables of ``prod (1 - 2 e_q)`` over their qubits (one qubit each, or a parity
with the ring absorbed). The peers are Qiskit's level 3 over ``--qiskit-seeds`` seeds and
tket's four pass sequences (bench/compile_bench.py), each scored by this estimate with the
observables on the physical qubits where its routing leaves the logical ones, and the best
estimate of each peer kept (not the fewest gates). tket's ``CliffordPushThroughMeasures``
variants are scored by their gates alone, as if their readout were perfect (an upper bound:
their outputs are XORs of bits through tket's own permutation), and count as a peer with that
bound. Idle decoherence is in none of them (the estimate ignores it alike for all).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import cirq
from compile_bench import (
    _qiskit_inputs,
    _transpile,
    make_case,
    qiskit,
    tket_passes,
    tket_variant_units,
)
from report_file import publish_table

import qru_compile as qc
from qru_compile.report import circuit_metrics
from qru_compile.ring_absorption import readout_attenuation

DEVICES = ("rainbow", "weber", "willow_pink")
MODELS = ("oscillation", "wdbc", "mnist")
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _estimate(circuit: cirq.Circuit, device: Any, measured: list[cirq.Qid]) -> float:
    gates = circuit_metrics(circuit, device, "cz").fidelity
    assert gates is not None  # a calibrated device
    readout = readout_attenuation([cirq.Z(q) * 1 for q in measured], device)
    assert readout is not None
    return gates * readout


def _on_device(circuit: cirq.Circuit, device: Any, prefix: str) -> cirq.Circuit:
    """A circuit read back from QASM (qubits ``<prefix>_<i>``) on the device's qubits."""
    physical = sorted(device.graph.nodes)
    return circuit.transform_qubits(lambda q: physical[int(str(q).rsplit("_", 1)[1])])


def _logical_order(case: Any) -> list[cirq.Qid]:
    """The step's qubits in the order of the QASM the peers read (cirq.qasm sorts them)."""
    return sorted(case.resolved.all_qubits())


def _measured(case: Any) -> list[cirq.Qid]:
    return list(qc.lower(case.model).measured_qubits)


def qiskit_best(case: Any, seeds: int) -> float | None:
    """Qiskit level 3's best estimate over ``seeds`` transpiler seeds."""
    if qiskit is None:
        return None
    from cirq.contrib.qasm_import import circuit_from_qasm

    circuit, coupling = _qiskit_inputs(case)
    order = _logical_order(case)
    physical = sorted(case.device.graph.nodes)
    best = None
    for seed in range(seeds):
        out = _transpile(circuit, coupling, seed)
        final = out.layout.final_index_layout()
        measured = [physical[final[order.index(q)]] for q in _measured(case)]
        cirq_circuit = _on_device(circuit_from_qasm(qiskit.qasm2.dumps(out)), case.device, "q")
        score = _estimate(cirq_circuit, case.device, measured)
        best = score if best is None else max(best, score)
    return best


def _tket_on_device(circuit: Any, physical: list[cirq.Qid]) -> cirq.Circuit:
    """tket's routed CZ/PhasedX/Rz circuit as Cirq operations on the device's qubits (the
    estimate needs only each gate's kind and qubits; measurements and classical operations,
    which ``CliffordPushThroughMeasures`` adds, are left out)."""
    ops = []
    for command in circuit:
        qubits = [physical[q.index[0]] for q in command.qubits]
        name = command.op.type.name
        if name == "Measure" or not qubits:
            continue
        if name == "CZ":
            ops.append(cirq.CZ(*qubits))
        elif name == "PhasedX":
            exponent, phase = (float(p) for p in command.op.params)
            ops.append(cirq.PhasedXPowGate(phase_exponent=phase, exponent=exponent)(*qubits))
        elif name == "Rz":
            ops.append(cirq.Z(*qubits) ** float(command.op.params[0]))
        else:
            raise ValueError(f"unexpected tket gate {name}")
    return cirq.Circuit(ops)


def tket_best(case: Any) -> float | None:
    """tket's best estimate over its pass sequences whose output is on the couplers."""
    if tket_passes is None:
        return None
    from pytket.unit_id import Qubit

    order = _logical_order(case)
    physical = sorted(case.device.graph.nodes)
    best = None
    for _, unit, _ in tket_variant_units(case):
        if unit is None:
            continue
        final = unit.final_map
        measured = [physical[final[Qubit("q", order.index(q))].index[0]]
                    for q in _measured(case)]
        score = _estimate(_tket_on_device(unit.circuit, physical), case.device, measured)
        best = score if best is None else max(best, score)
    return best


def tket_pushed_bound(case: Any) -> float | None:
    """An upper bound of the estimate of tket's ``CliffordPushThroughMeasures`` outputs: their
    gates' estimate alone, as if their readout were perfect (their outputs are XORs of
    measured bits through tket's own permutation, which this bench does not map back)."""
    if tket_passes is None:
        return None
    physical = sorted(case.device.graph.nodes)
    best = None
    for name, unit, _ in tket_variant_units(case, push_through_measures=True):
        if unit is None or "CliffordPushThroughMeasures" not in name:
            continue
        gates = circuit_metrics(_tket_on_device(unit.circuit, physical), case.device,
                                "cz").fidelity
        assert gates is not None  # a calibrated device
        best = gates if best is None else max(best, gates)
    return best


def row(device: str, model_name: str, seeds: int) -> list[Any]:
    """One table row: ours kept, default and searched, the peers' best, and the ratios."""
    model = qc.QRUModel.preset(model_name)
    ours = {"kept": qc.compile(model, device, absorb_ring=0, cache=False),
            "auto": qc.compile(model, device, cache=False),
            "search": qc.compile(model, device, absorb_ring="search", cache=False)}
    case = make_case(device, model_name, 1, seeds)
    peers = {"Qiskit": qiskit_best(case, seeds), "tket": tket_best(case),
             "tket pushed": tket_pushed_bound(case)}
    best_peer = max((v for v in peers.values() if v is not None), default=None)
    scores = {name: result.measured_fidelity or 0.0 for name, result in ours.items()}
    cells = [device, model_name, f"{scores['kept']:.4f}",
             *(f"{scores[n]:.4f} (K={len(ours[n].absorbed)})" for n in ("auto", "search"))]
    cells += ["n/a" if v is None else f"{v:.4f}" for v in peers.values()]
    if best_peer is None:
        return [*cells, "n/a", "n/a", "n/a"]
    return [*cells, *(f"{scores[n] / best_peer:.3f}" for n in ("kept", "auto", "search"))]


def main(argv: list[str] | None = None) -> int:
    """Print the table and write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qiskit-seeds", type=int, default=50)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    header = ["device", "model", "ours, ring kept", "ours, default (auto)", "ours, search",
              "Qiskit best", "tket best", "tket pushed through measures (bound)",
              "kept / best peer", "auto / best peer", "search / best peer"]
    rows = []
    for device in DEVICES:
        for model_name in MODELS:
            print(f"... {device} / {model_name}", file=sys.stderr, flush=True)
            rows.append(row(device, model_name, args.qiskit_seeds))
    publish_table(args.output, "Estimated fidelity of what is measured",
                  "bench/measured_fidelity.py", argv, __doc__, header, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
