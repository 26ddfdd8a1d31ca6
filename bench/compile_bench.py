"""Compile benchmark: qru_compile against Cirq, Qiskit and pytket on the same QRU step.

Run from the repository root with the project's venv (``.venv/bin/python``)::

    python bench/compile_bench.py
    python bench/compile_bench.py --devices rainbow Sycamore --models wdbc --output /tmp/b.md

Qiskit and pytket are optional peers (``pip install 'qiskit>=2.0' 'pytket>=2.0'``); a missing
one is reported as "not installed" and its columns read "n/a".

For every device and preset model, the logical step circuit of ``qru_compile.lower(model)`` is
compiled by four tools, and each result's two-qubit gate count, depth and wall-clock seconds
(the median of ``--repeats`` compilations, default 3, to damp the noise of a shared machine) are
recorded:

- ours: ``qru_compile.compiler.compile(model, device)`` with the device's default gateset
  (placement search included in the time). Depth is in moments.
- Cirq: ``optimize_for_target_gateset`` (CZ or sqrt-iSWAP target gateset) to get two-qubit
  gates, ``RouteCQC`` on the device graph (lookahead radius 8), then
  ``optimize_for_target_gateset`` again to make the SWAPs native. Depth is ``len(circuit)``. The
  result is checked with the cirq_google device's ``validate_circuit`` where there is one.
- Qiskit: ``transpile`` at optimization level 3 on the device's coupling map (both directions)
  with basis ``cz, rz, sx, x`` and ``seed_transpiler=0``. Depth is ``QuantumCircuit.depth()``.
- tket: the steps of a level-2 backend compilation: ``FullPeepholeOptimise``,
  ``DefaultMappingPass`` on the device architecture, ``KAKDecomposition``, ``CliffordSimp``,
  ``SynthesiseTket``, a rebase to ``{CZ, PhasedX, Rz}`` and ``RemoveRedundancies``. Depth is
  ``Circuit.depth()``.

The peers also run at their strongest honest settings: Qiskit's level 3 with
``seed_transpiler`` 0..N-1 (``--qiskit-seeds``, default 50), keeping the fewest two-qubit gates,
and tket's best of four pass sequences (the flow above; graph or line placement with
``FullMappingPass`` and lexi-route lookahead 100; the same with a second
``FullPeepholeOptimise`` after routing), counting only outputs whose two-qubit gates are all
on the device's couplers (tket's ``ConnectivityPredicate``: the last sequence breaks it on 6 of
the 9 preset x Google device steps, and an earlier version of this bench counted those).
"ours/best peer" is ours over the fewest two-qubit gates of any valid peer run. BQSKit runs
apart, in bench/bqskit_peer.py (20-25 s a step at its level 2; its best stays above Qiskit's
best of seeds in every row). tket's ``CliffordPushThroughMeasures`` (its counterpart of our
``absorb_ring``) runs on the step with every qubit measured, before the first two sequences or
after their mapping, and counts among tket's variants.

Cirq, Qiskit and tket get the step with its symbols resolved to the same seeded random angles
(Qiskit and tket read it as OpenQASM 2.0). Qiskit and tket target CZ; on a sqrt-iSWAP device
(Sycamore) Qiskit's routed circuit is converted to sqrt-iSWAP by Cirq's synthesis so that it
compares with ours, and tket's count stays in the CZ basis, marked "CZ basis".
A row is "OK" when ours <= 0.6 x Cirq and <= 0.85 x Qiskit two-qubit gates (where the basis is
the same) and our compile takes under 0.2 s. Each tool is run once, untimed, before the
measurements so that one-off start-up costs are not charged to the first row.

The table is printed and written as Markdown to ``--output`` (default ``docs/benchmarks.md``)
under the heading "## Compile benchmark"; other sections of that file are kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import cirq
import networkx as nx
import numpy as np
from report_file import package_version, write_section

import qru_compile as qc
from qru_compile.compiler import compile as compile_qru
from qru_compile.devices import Device, get_device
from qru_compile.gatesets import cirq_target_gateset
from qru_compile.lowering import lower

try:
    import qiskit
    import qiskit.qasm2
    from qiskit.transpiler import CouplingMap
except ImportError:
    qiskit = None  # type: ignore[assignment]

try:
    from pytket import Circuit, OpType
    from pytket import passes as tket_passes
    from pytket.architecture import Architecture
    from pytket.mapping import LexiLabellingMethod, LexiRouteRoutingMethod
    from pytket.placement import GraphPlacement, LinePlacement
    from pytket.predicates import CompilationUnit, ConnectivityPredicate
    from pytket.qasm import circuit_from_qasm_str
except ImportError:
    tket_passes = None  # type: ignore[assignment]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
DEVICES = ("rainbow", "weber", "willow_pink", "Sycamore", "grid6x6")
MODELS = ("oscillation", "wdbc", "mnist")
HEADING = "## Compile benchmark"
ANGLE_SEED = 0
DEFAULT_REPEATS = 3
T = TypeVar("T")
#: "OK" thresholds: ours / Cirq, ours / Qiskit (two-qubit gates) and our compile seconds.
MAX_CIRQ_RATIO = 0.6
MAX_QISKIT_RATIO = 0.85
MAX_SECONDS = 0.2
#: Cirq target gateset for each qru_compile gateset name.
CIRQ_GATESETS: dict[str, Callable[[], cirq.CompilationTargetGateset]] = {
    "cz": cirq.CZTargetGateset,
    "sqrt_iswap": cirq.SqrtIswapTargetGateset,
}
#: Seeds Qiskit's level-3 transpile is run with for its best result (--qiskit-seeds).
DEFAULT_QISKIT_SEEDS = 50
COLUMNS = ("device", "model", "gateset", "ours 2q / depth / s", "ours, ring absorbed 2q",
           "Cirq 2q / depth / s",
           "Qiskit 2q / depth / s", "tket 2q / depth / s", "Qiskit best of seeds 2q",
           "tket best variant 2q", "ours/Cirq", "ours/Qiskit", "ours/best peer",
           "absorbed/best peer", "Cirq valid", "status")


@dataclasses.dataclass(frozen=True)
class ToolResult:
    """One tool's compilation of one step.

    Attributes:
        two_qubit: two-qubit gates, or None when the tool did not run.
        depth: depth as the tool counts it, or None.
        seconds: wall-clock seconds of the compilation, or None.
        basis: the two-qubit gate basis counted (a qru_compile gateset name).
        valid: "yes" or "no" when cirq_google's ``validate_circuit`` checked the result, else
            "n/a" (only Cirq's flow is checked; ours verifies itself).
        note: why the tool did not run, or what went wrong; empty when all is well.
    """

    two_qubit: int | None
    depth: int | None
    seconds: float | None
    basis: str
    valid: str = "n/a"
    note: str = ""

    @classmethod
    def failed(cls, basis: str, note: str) -> ToolResult:
        """A result for a tool that is missing or raised."""
        return cls(None, None, None, basis, note=note)

    def cell(self, our_basis: str) -> str:
        """``2q / depth / s``, marked "CZ basis" when the basis differs from ours."""
        if self.two_qubit is None:
            return "n/a"
        text = f"{self.two_qubit} / {self.depth} / {self.seconds:.2f}"
        return text if self.basis == our_basis else f"{text} ({self.basis.upper()} basis)"


@dataclasses.dataclass(frozen=True)
class Case:
    """The inputs every tool gets for one device and model.

    Attributes:
        device: the target device.
        model: the QRU model.
        gateset: our gateset (the device default).
        resolved: the logical step with its symbols bound to the shared random angles.
        qasm: ``resolved`` as OpenQASM 2.0.
        repeats: how many times each tool compiles; the median time counts.
        qiskit_seeds: seeds of Qiskit's best-of-seeds run.
    """

    device: Device
    model: qc.QRUModel
    gateset: str
    resolved: cirq.Circuit
    qasm: str
    repeats: int
    qiskit_seeds: int = DEFAULT_QISKIT_SEEDS


@dataclasses.dataclass(frozen=True)
class Row:
    """All tools' results for one case.

    Attributes:
        case: the benchmark case.
        ours: qru_compile in the device's default gateset.
        ours_cz: qru_compile in CZ when the default is not CZ but the device supports it.
        ours_absorbed: qru_compile with the whole final ring absorbed into the readout.
        cirq: Cirq's flow.
        qiskit: Qiskit's transpile.
        tket: pytket's passes.
        qiskit_best: Qiskit's transpile, the best of ``case.qiskit_seeds`` seeds.
        tket_best: the best of the tket variants (:data:`TKET_VARIANTS`).
    """

    case: Case
    ours: ToolResult
    ours_cz: ToolResult | None
    ours_absorbed: ToolResult
    cirq: ToolResult
    qiskit: ToolResult
    tket: ToolResult
    qiskit_best: ToolResult
    tket_best: ToolResult


def make_case(device_name: str, model_name: str, repeats: int,
              qiskit_seeds: int = DEFAULT_QISKIT_SEEDS) -> Case:
    """Lower ``model_name`` and resolve its symbols with seeded uniform angles in [0, 2 pi)."""
    model = qc.QRUModel.preset(model_name)
    device = get_device(device_name)
    step = lower(model)
    angles = np.random.default_rng(ANGLE_SEED).uniform(0, 2 * np.pi, len(step.angle_map.names))
    resolved = cirq.resolve_parameters(step.circuit.unfreeze(), step.resolver(angles.tolist()))
    return Case(device, model, device.default_gateset, resolved, cirq.qasm(resolved), repeats,
                qiskit_seeds)


def timed(run: Callable[[], T], repeats: int) -> tuple[T, float]:
    """The output of the last of ``repeats`` calls of ``run`` and the median call's seconds."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        output = run()
        seconds.append(time.perf_counter() - start)
    return output, statistics.median(seconds)


def run_ours(case: Case, gateset: str, absorb_ring: int | str | None = None) -> ToolResult:
    """Compile with qru_compile, timing the whole ``compile`` call (the compile cache off;
    ``absorb_ring`` None: the default)."""
    options = {} if absorb_ring is None else {"absorb_ring": absorb_ring}
    result, seconds = timed(lambda: compile_qru(case.model, case.device, gateset,
                                                cache=False, **options), case.repeats)
    return ToolResult(result.report.final.two_qubit, result.report.final.depth, seconds, gateset)


def compile_cirq(case: Case) -> cirq.Circuit:
    """Decompose to two-qubit gates, route with RouteCQC, then make the SWAPs native."""
    target = CIRQ_GATESETS[case.gateset]()
    two_qubit_ops = cirq.optimize_for_target_gateset(case.resolved, gateset=target)
    routed, _, _ = cirq.RouteCQC(case.device.graph).route_circuit(
        two_qubit_ops, lookahead_radius=8
    )
    return cirq.optimize_for_target_gateset(routed, gateset=target)


def run_cirq(case: Case) -> ToolResult:
    """Cirq's decompose, route, decompose flow, validated on the cirq_google device if any."""
    native, seconds = timed(lambda: compile_cirq(case), case.repeats)
    count = sum(1 for op in native.all_operations() if len(op.qubits) == 2)
    result = ToolResult(count, len(native), seconds, case.gateset)
    if case.device.cirq_device is None:
        return result
    try:
        case.device.cirq_device.validate_circuit(native)
    except ValueError as error:
        return dataclasses.replace(result, valid="no", note=f"validate_circuit: {error}")
    return dataclasses.replace(result, valid="yes")


def indexed_edges(graph: nx.Graph) -> list[tuple[int, int]]:
    """The coupling graph's edges with qubits numbered in sorted order."""
    index = {qubit: i for i, qubit in enumerate(sorted(graph.nodes))}
    return [(index[a], index[b]) for a, b in graph.edges]


def _qiskit_inputs(case: Case) -> tuple[Any, Any]:
    """The step as a Qiskit circuit, and the device's coupling map in both directions."""
    circuit = qiskit.qasm2.loads(
        case.qasm, custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS
    )
    edges = indexed_edges(case.device.graph)
    return circuit, CouplingMap([*edges, *((b, a) for a, b in edges)])


def _transpile(circuit: Any, coupling: Any, seed: int) -> Any:
    return qiskit.transpile(circuit, coupling_map=coupling, basis_gates=["cz", "rz", "sx", "x"],
                            optimization_level=3, seed_transpiler=seed)


def run_qiskit(case: Case) -> ToolResult:
    """Qiskit's level-3 transpile onto the device's coupling map in the CZ basis.

    On a device whose gateset is not CZ (Sycamore), Qiskit's routed CZ circuit is converted to
    our gateset with Cirq's synthesis, so the counts compare in one basis (the conversion time
    is not charged to Qiskit).
    """
    if qiskit is None:
        return ToolResult.failed("cz", "qiskit not installed (pip install 'qiskit>=2.0')")
    circuit, coupling = _qiskit_inputs(case)
    out, seconds = timed(lambda: _transpile(circuit, coupling, 0), case.repeats)
    if case.gateset != "cz":  # count Qiskit's circuit in our basis, converted by Cirq
        native = in_gateset(qiskit.qasm2.dumps(out), case.gateset)
        count = sum(1 for op in native.all_operations() if len(op.qubits) == 2)
        return ToolResult(count, len(native), seconds, case.gateset,
                          note=f"Qiskit's CZ output converted to {case.gateset} by Cirq")
    count = sum(1 for instruction in out.data if instruction.operation.num_qubits == 2)
    return ToolResult(count, out.depth(), seconds, "cz")


def run_qiskit_best(case: Case) -> ToolResult:
    """Qiskit's level-3 transpile with seeds ``0..qiskit_seeds-1``; the fewest two-qubit gates
    win (seconds: the mean of one run). Converted to our gateset as in :func:`run_qiskit`."""
    if qiskit is None:
        return ToolResult.failed("cz", "qiskit not installed (pip install 'qiskit>=2.0')")
    circuit, coupling = _qiskit_inputs(case)
    best, best_seed, start = None, 0, time.perf_counter()
    for seed in range(case.qiskit_seeds):
        out = _transpile(circuit, coupling, seed)
        count = sum(1 for instruction in out.data if instruction.operation.num_qubits == 2)
        if best is None or count < best[0]:
            best, best_seed = (count, out), seed
    assert best is not None
    seconds = (time.perf_counter() - start) / case.qiskit_seeds
    count, out = best
    note = f"best of {case.qiskit_seeds} seeds: seed {best_seed}"
    if case.gateset != "cz":
        native = in_gateset(qiskit.qasm2.dumps(out), case.gateset)
        count = sum(1 for op in native.all_operations() if len(op.qubits) == 2)
        return ToolResult(count, len(native), seconds, case.gateset,
                          note=note + f", converted to {case.gateset} by Cirq")
    return ToolResult(count, out.depth(), seconds, "cz", note=note)


def _tket_variants(architecture: Architecture) -> dict[str, list[Any]]:
    """tket pass sequences, from the level-2 flow to its strongest placement and routing."""
    finish = [tket_passes.KAKDecomposition(allow_swaps=False),
              tket_passes.CliffordSimp(allow_swaps=False), tket_passes.SynthesiseTket(),
              tket_passes.AutoRebase({OpType.CZ, OpType.PhasedX, OpType.Rz}),
              tket_passes.RemoveRedundancies()]
    lexi = [LexiLabellingMethod(), LexiRouteRoutingMethod(100)]
    return {
        "default mapping": [tket_passes.FullPeepholeOptimise(),
                            tket_passes.DefaultMappingPass(architecture), *finish],
        "graph placement, lexi-route 100": [
            tket_passes.FullPeepholeOptimise(),
            tket_passes.FullMappingPass(architecture, GraphPlacement(architecture), lexi),
            *finish],
        "line placement, lexi-route 100": [
            tket_passes.FullPeepholeOptimise(),
            tket_passes.FullMappingPass(architecture, LinePlacement(architecture), lexi),
            *finish],
        "graph placement, peephole after routing": [
            tket_passes.FullPeepholeOptimise(),
            tket_passes.FullMappingPass(architecture, GraphPlacement(architecture), lexi),
            tket_passes.FullPeepholeOptimise(allow_swaps=False), *finish],
    }


def run_tket_best(case: Case) -> ToolResult:
    """The fewest two-qubit gates over :func:`_tket_variants`, with and without
    ``CliffordPushThroughMeasures`` (seconds: that variant's run)."""
    if tket_passes is None:
        return ToolResult.failed("cz", "pytket not installed (pip install 'pytket>=2.0')")
    results, broken = [], []
    for name, unit, seconds in tket_variant_units(case, push_through_measures=True):
        if unit is None:
            broken.append(name)
        else:
            results.append((unit.circuit.n_2qb_gates(), seconds, name, unit.circuit))
    if not results:
        return ToolResult.failed("cz", "every tket variant failed")
    count, seconds, name, circuit = min(results, key=lambda r: r[0])
    note = f"best variant: {name}"
    if broken:
        note += f" (left out, failed or not on the device's couplers: {', '.join(broken)})"
    return ToolResult(count, circuit.depth(), seconds, "cz", note=note)


def tket_variant_units(case: Case, *, push_through_measures: bool = False
                       ) -> list[tuple[str, Any, float]]:
    """Each of :func:`_tket_variants` applied to the step: (name, tket ``CompilationUnit`` (its
    circuit and where each qubit ends) or None, seconds).

    With ``push_through_measures`` also the first two sequences on the step with every qubit
    measured and ``CliffordPushThroughMeasures`` before them or right after their mapping:
    tket's counterpart of ``absorb_ring``, which turns the end-of-circuit Clifford (the final
    ring) into classical XORs of the measured bits (it applies only when every qubit is
    measured; the ancillas' bits are then simply not read).

    None where the variant raised, or where its output has a two-qubit gate off the device's
    couplers (tket's ``ConnectivityPredicate``): a ``FullPeepholeOptimise`` after routing
    resynthesises blocks without regard to the architecture and does so for 6 of the 9
    preset x Google device steps, with fewer gates than any valid variant.
    """
    logical = circuit_from_qasm_str(case.qasm)
    architecture = Architecture(indexed_edges(case.device.graph))
    runs = [(name, passes, logical) for name, passes in _tket_variants(architecture).items()]
    if push_through_measures:
        measured = logical.copy()
        measured.add_c_register("m", measured.n_qubits)
        for qubit, bit in zip(measured.qubits, measured.bits, strict=True):
            measured.Measure(qubit, bit)
        for name, passes in list(_tket_variants(architecture).items())[:2]:
            for at, where in ((0, "first"), (2, "after mapping")):
                pushed = [*passes[:at], tket_passes.CliffordPushThroughMeasures(), *passes[at:]]
                runs.append((f"{name}, CliffordPushThroughMeasures {where}", pushed, measured))
    out = []
    for name, passes, circuit in runs:
        unit = CompilationUnit(circuit.copy())
        start = time.perf_counter()
        try:
            tket_passes.SequencePass(passes).apply(unit)
        except Exception as error:  # noqa: BLE001 - a failing variant is left out
            print(f"note: tket variant {name!r}: {type(error).__name__}: {error}",
                  file=sys.stderr)
            out.append((name, None, 0.0))
            continue
        seconds = time.perf_counter() - start
        valid = ConnectivityPredicate(architecture).verify(unit.circuit)
        out.append((name, unit if valid else None, seconds))
    return out


def in_gateset(qasm: str, gateset: str) -> cirq.Circuit:
    """An OpenQASM 2.0 circuit rewritten by Cirq into ``gateset``'s native gates."""
    from cirq.contrib.qasm_import import circuit_from_qasm

    return cirq.optimize_for_target_gateset(circuit_from_qasm(qasm),
                                            gateset=cirq_target_gateset(gateset))


def run_tket(case: Case) -> ToolResult:
    """pytket's level-2-style optimise, map, resynthesise and rebase to CZ."""
    if tket_passes is None:
        return ToolResult.failed("cz", "pytket not installed (pip install 'pytket>=2.0')")
    logical = circuit_from_qasm_str(case.qasm)
    architecture = Architecture(indexed_edges(case.device.graph))
    sequence = tket_passes.SequencePass([
        tket_passes.FullPeepholeOptimise(),
        tket_passes.DefaultMappingPass(architecture),
        tket_passes.KAKDecomposition(allow_swaps=False),
        tket_passes.CliffordSimp(allow_swaps=False),
        tket_passes.SynthesiseTket(),
        tket_passes.AutoRebase({OpType.CZ, OpType.PhasedX, OpType.Rz}),
        tket_passes.RemoveRedundancies(),
    ])

    def apply() -> Circuit:
        circuit = logical.copy()
        sequence.apply(circuit)
        return circuit

    circuit, seconds = timed(apply, case.repeats)
    return ToolResult(circuit.n_2qb_gates(), circuit.depth(), seconds, "cz")


def guarded(basis: str, run: Callable[[], ToolResult]) -> ToolResult:
    """``run()``, or a failed result carrying the exception when it raises."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - one tool's failure must not stop the run
        return ToolResult.failed(basis, f"error: {type(error).__name__}: {error}")


def benchmark(case: Case) -> Row:
    """Run every tool on ``case``."""
    ours = guarded(case.gateset, lambda: run_ours(case, case.gateset))
    ours_cz = None
    if case.gateset != "cz" and "cz" in case.device.gatesets:
        ours_cz = guarded("cz", lambda: run_ours(case, "cz"))
    return Row(
        case=case,
        ours=ours,
        ours_cz=ours_cz,
        ours_absorbed=guarded(case.gateset, lambda: run_ours(
            dataclasses.replace(case, repeats=1), case.gateset, "all")),
        cirq=guarded(case.gateset, lambda: run_cirq(case)),
        qiskit=guarded(case.gateset, lambda: run_qiskit(case)),
        tket=guarded("cz", lambda: run_tket(case)),
        qiskit_best=guarded(case.gateset, lambda: run_qiskit_best(case)),
        tket_best=guarded("cz", lambda: run_tket_best(case)),
    )


def ratio(ours: ToolResult | None, peer: ToolResult) -> float | None:
    """ours / peer two-qubit gates when both ran in the same basis, else None."""
    if ours is None or ours.two_qubit is None or not peer.two_qubit or ours.basis != peer.basis:
        return None
    return ours.two_qubit / peer.two_qubit


def best_peer_ratio(row: Row, ours: ToolResult | None = None) -> float | None:
    """ours / the fewest two-qubit gates any peer reached in our basis (CZ counts compare with
    our CZ compilation where our default gateset is not CZ; ``ours`` replaces the default)."""
    ours = ours or row.ours
    ratios = [ratio(ours, peer) for peer in (row.cirq, row.qiskit, row.qiskit_best)]
    ours_cz = ours if ours.basis == "cz" else (row.ours_cz if ours is row.ours else None)
    ratios += [ratio(ours_cz, peer) for peer in (row.qiskit, row.qiskit_best, row.tket,
                                                 row.tket_best)]
    known = [r for r in ratios if r is not None]
    return max(known) if known else None


def qiskit_ratio(row: Row) -> float | None:
    """ours / Qiskit, using our CZ compilation when our default gateset is not CZ."""
    return ratio(row.ours_cz or row.ours, row.qiskit)


def status(row: Row) -> str:
    """"OK" when every threshold holds; otherwise "miss:" and the thresholds missed.

    The Qiskit threshold is skipped, and an OK marked "OK*", when there is no same-basis ratio
    (Qiskit did not run, or counts CZ while ours counts another gate).
    """
    missed = []
    cirq_ratio = ratio(row.ours, row.cirq)
    if cirq_ratio is None or cirq_ratio > MAX_CIRQ_RATIO:
        missed.append("Cirq")
    q_ratio = qiskit_ratio(row)
    if q_ratio is not None and q_ratio > MAX_QISKIT_RATIO:
        missed.append("Qiskit")
    if row.ours.seconds is None or row.ours.seconds >= MAX_SECONDS:
        missed.append("time")
    if missed:
        return "miss: " + ", ".join(missed)
    return "OK" if q_ratio is not None else "OK*"


def format_ratio(value: float | None) -> str:
    """Three decimals (so a ratio just over a threshold shows), or "n/a"."""
    return "n/a" if value is None else f"{value:.3f}"


def ours_cell(row: Row) -> str:
    """Our cell, with our CZ count appended when we also compiled in CZ."""
    cell = row.ours.cell(row.case.gateset)
    if row.ours_cz is not None and row.ours_cz.two_qubit is not None:
        cell += f"; CZ: {row.ours_cz.two_qubit}"
    return cell


def table_cells(row: Row) -> list[str]:
    """The row's cells, in :data:`COLUMNS` order."""
    case = row.case
    return [
        case.device.name, case.model.name, case.gateset, ours_cell(row),
        _count(row.ours_absorbed, case.gateset), row.cirq.cell(case.gateset), row.qiskit.cell(case.gateset), row.tket.cell(case.gateset),
        _count(row.qiskit_best, case.gateset), _count(row.tket_best, case.gateset),
        format_ratio(ratio(row.ours, row.cirq)), format_ratio(qiskit_ratio(row)),
        format_ratio(best_peer_ratio(row)),
        format_ratio(best_peer_ratio(row, row.ours_absorbed)), row.cirq.valid, status(row),
    ]


def _count(result: ToolResult, our_basis: str) -> str:
    if result.two_qubit is None:
        return "n/a"
    return str(result.two_qubit) if result.basis == our_basis else \
        f"{result.two_qubit} ({result.basis.upper()} basis)"


def notes(rows: Sequence[Row]) -> list[str]:
    """Tool failures, validation errors and the legend, one line each."""
    lines = []
    for row in rows:
        for tool, result in (("ours", row.ours), ("ours CZ", row.ours_cz), ("Cirq", row.cirq),
                             ("Qiskit", row.qiskit), ("tket", row.tket),
                             ("Qiskit best", row.qiskit_best), ("tket best", row.tket_best)):
            if result is not None and result.note:
                lines.append(f"{row.case.device.name} / {row.case.model.name} / {tool}: "
                             f"{result.note.splitlines()[0]}")
    lines.append(f"OK: ours <= {MAX_CIRQ_RATIO} x Cirq and <= {MAX_QISKIT_RATIO} x Qiskit "
                 f"two-qubit gates and our compile < {MAX_SECONDS:g} s; OK*: the same without the "
                 "Qiskit check (Qiskit did not run).")
    lines.append("Depth: ours counts non-empty moments, Cirq len(circuit), Qiskit and tket "
                 "their own depth() (virtual Rz gates included).")
    lines.append("Ours: the default compile (absorb_ring='auto': as many of the final ring's "
                 "CNOTs read as parities as the calibration says pay, none on willow_pink and "
                 "the synthetic devices, 1-5 on rainbow and weber; docs/compiler.md), also for "
                 "the ratios and the time. Ours, ring absorbed: compile(..., "
                 "absorb_ring='all'): the whole final ring left out.")
    lines.append("Best peer: the fewest two-qubit gates of Cirq, Qiskit (seed 0 and best of "
                 "seeds) and tket (level-2 flow and best variant); ours/best peer compares each "
                 "in its basis (ours in CZ where a peer counts CZ) and shows the largest ratio.")
    return lines


def render_text(rows: Sequence[Row]) -> str:
    """A fixed-width table for the terminal."""
    body = [list(COLUMNS)] + [table_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in body) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in body]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[Row], command: str) -> str:
    """The "## Compile benchmark" section: command, date, versions, table and notes."""
    versions = ", ".join(f"{name} {package_version(name)}"
                         for name in ("qru_compile", "cirq-core", "qiskit", "pytket"))
    lines = [
        HEADING,
        "",
        f"Command: `{command}` (run {datetime.date.today().isoformat()}; {versions}).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(table_cells(row)) + " |" for row in rows),
        "",
        *(f"- {line}" for line in notes(rows)),
    ]
    return "\n".join(lines) + "\n"


def warm_up(device_name: str, model_name: str) -> None:
    """Run every tool once, untimed, so start-up costs do not land in the first row."""
    benchmark(make_case(device_name, model_name, repeats=1, qiskit_seeds=1))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", default=list(DEVICES), metavar="DEVICE",
                        help=f"device names (default: {' '.join(DEVICES)})")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS,
                        metavar="MODEL", help=f"preset models (default: {' '.join(MODELS)})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="Markdown file to update (default: docs/benchmarks.md in the repo)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"compilations per tool and case; the median time counts "
                             f"(default: {DEFAULT_REPEATS})")
    parser.add_argument("--qiskit-seeds", type=int, default=DEFAULT_QISKIT_SEEDS,
                        help=f"seeds of Qiskit's best-of-seeds run (default: "
                             f"{DEFAULT_QISKIT_SEEDS})")
    args = parser.parse_args(argv)
    if args.qiskit_seeds < 1:
        parser.error("--qiskit-seeds must be at least 1")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark, print the table and update the Markdown file."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    for name, module in (("qiskit", qiskit), ("pytket", tket_passes)):
        if module is None:
            print(f"note: {name} not installed; its columns read n/a", file=sys.stderr)
    warm_up(args.devices[0], args.models[0])
    rows = []
    for device_name in args.devices:
        for model_name in args.models:
            print(f"... {device_name} / {model_name}", file=sys.stderr, flush=True)
            rows.append(benchmark(make_case(device_name, model_name, args.repeats,
                                            args.qiskit_seeds)))
    print(render_text(rows))
    print()
    print("\n".join(notes(rows)))
    write_section(args.output, render_markdown(rows, shlex.join(["python",
                                                                 "bench/compile_bench.py",
                                                                 *argv])))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
