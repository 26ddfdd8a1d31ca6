"""Training benchmark: parameter-shift Jacobians and epoch times, beside PennyLane.

Run from the repository root with the project's venv (``.venv/bin/python``)::

    python bench/train_bench.py
    python bench/train_bench.py --skip-pennylane --output /tmp/b.md

PennyLane is an optional peer (``pip install pennylane``); when it is missing, or with
``--skip-pennylane``, its columns read "n/a" and a note says why.

For each preset model (oscillation, wdbc, mnist) the script measures:

(a) Step cost of the batched engine. The logical step of ``qru_compile.lower(model)`` as a
    ``StatevectorProgram``, on seeded random slot rows (64 for oscillation and wdbc, 16 for
    mnist): seconds per row of ``expectations`` (one unshifted evaluation) and of
    ``shift_jacobian`` (values and parameter-shift Jacobian), their ratio, and the ideal ratio
    2S+1 of a naive parameter shift that evaluates every shifted circuit on its own (S slots).
    The engine shares work between the shifted circuits (it forks one state per slot when the
    circuit reaches that slot and gets both shifts from it), so its ratio can be below 2S+1. The
    Jacobian of the first row alone (no batching) is timed too.
(b) Epoch time of ``qc.loss_and_gradient`` over mini-batches (parameter shift, and the adjoint
    method for comparison), at fixed parameters
    (``initial_parameters(seed=0)``; the optimiser step is negligible and left out), on a seeded
    random subset of each data set: wdbc 455 samples (a 5-fold training part), T=30, batch 20,
    a full epoch; digits (mnist preset) 292 samples, T=8, batch 50, 2 batches timed and scaled
    to 292 samples ("extrapolated"); oscillation one full-batch gradient of 2 sequences x 100
    steps, which is its epoch.
(c) PennyLane ``default.qubit``: the step circuit rebuilt as a QNode (rx/ry/rz at the slot value
    or fixed angle, CNOT, CSWAP) returning <Z> and <X> of each measured qubit, with
    ``diff_method="parameter-shift"``; ``qml.jacobian`` (autograd) with respect to the slot
    vector for one sample, the first row of (a). Its time is set against ours per sample
    (batched, from (a)) and for that row alone, and its Jacobian is checked against
    ``shift_jacobian`` (they must agree to 1e-6). Its epoch is estimated as its per-sample-step
    Jacobian time x samples x steps of the task in (b).

Every time is the fastest of ``--repeats`` runs (default 3) after one untimed warm-up run
(PennyLane's timed runs per preset are capped to fit in about two minutes). The machine
may be shared, so compare ratios within one run. The table is printed and written as Markdown to
``--output`` (default ``docs/benchmarks.md``) under the heading "## Training benchmark"; other
sections of that file are kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cirq
import numpy as np
import sympy
from report_file import package_version, write_section

import qru_compile as qc
from qru_compile.lowering import LoweredStep, lower
from qru_compile.program import z_and_x
from qru_compile.sim.statevector import StatevectorProgram
from qru_compile.train.data import Dataset, digits_3_vs_5, oscillation, wdbc

try:
    import pennylane as qml
    from pennylane import numpy as pnp
except ImportError:
    qml = None  # type: ignore[assignment]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
HEADING = "## Training benchmark"
PRESETS = ("oscillation", "wdbc", "mnist")
SEED = 0
DEFAULT_REPEATS = 3
#: Random slot rows per preset for the step timings of (a).
JACOBIAN_ROWS = {"oscillation": 64, "wdbc": 64, "mnist": 16}
#: Largest allowed difference between PennyLane's Jacobian and ours.
TOLERANCE = 1e-6
#: Seconds the timed PennyLane Jacobians of one preset may take together.
PENNYLANE_BUDGET = 120.0
#: cirq rotation gate types and their PennyLane names.
ROTATIONS = {cirq.Rx: "RX", cirq.Ry: "RY", cirq.Rz: "RZ"}
COLUMNS = ("preset", "qubits / S", "eval ms/sample", "Jacobian ms/sample", "ratio", "2S+1",
           "epoch task", "ours epoch s", "adjoint epoch s", "PennyLane Jacobian ms/sample",
           "PennyLane / ours", "max abs(J_PL - J_ours)", "PennyLane epoch s (est.)")


@dataclasses.dataclass(frozen=True)
class EpochTask:
    """The training data and batching of one preset's epoch.

    Attributes:
        name: the task's name.
        load: the data set.
        samples: training samples per epoch (a seeded random subset of the data set).
        batch_size: samples per mini-batch.
        timed_batches: batches timed and scaled to the epoch, or None to time the whole epoch.
    """

    name: str
    load: Callable[[], Dataset]
    samples: int
    batch_size: int
    timed_batches: int | None = None


TASKS = {
    "oscillation": EpochTask("oscillation", oscillation, samples=2, batch_size=2),
    "wdbc": EpochTask("wdbc", wdbc, samples=455, batch_size=20),
    "mnist": EpochTask("digits", digits_3_vs_5, samples=292, batch_size=50, timed_batches=2),
}


@dataclasses.dataclass(frozen=True)
class StepTiming:
    """The batched engine on one preset's step (part a).

    Attributes:
        qubits: qubits of the step.
        slots: angle slots ``S``.
        rows: slot rows per timed call.
        evaluation: seconds per row of ``expectations``.
        jacobian: seconds per row of ``shift_jacobian`` on all rows.
        single_row: seconds of ``shift_jacobian`` on the first row alone.
    """

    qubits: int
    slots: int
    rows: int
    evaluation: float
    jacobian: float
    single_row: float

    @property
    def ratio(self) -> float:
        """Jacobian time over evaluation time, per row."""
        return self.jacobian / self.evaluation

    @property
    def ideal_ratio(self) -> int:
        """Circuits a naive parameter shift evaluates per row: ``2S + 1``."""
        return 2 * self.slots + 1


@dataclasses.dataclass(frozen=True)
class EpochTiming:
    """One epoch of ``loss_and_gradient`` over mini-batches (part b).

    Attributes:
        task: the task timed.
        steps: time steps per sequence.
        seconds: seconds of the epoch (scaled from the timed batches when extrapolated).
        adjoint_seconds: the same with ``method="adjoint"`` (the same gradient).
    """

    task: EpochTask
    steps: int
    seconds: float
    adjoint_seconds: float

    @property
    def extrapolated(self) -> bool:
        """Whether only some batches were timed."""
        return self.task.timed_batches is not None

    def describe(self) -> str:
        """The task, its size and batching, e.g. ``wdbc: 455 x T=30, batch 20``."""
        task = self.task
        batch = "full batch" if task.batch_size >= task.samples else f"batch {task.batch_size}"
        text = f"{task.name}: {task.samples} x T={self.steps}, {batch}"
        return f"{text}, extrapolated from {task.timed_batches} batches" if self.extrapolated \
            else text


@dataclasses.dataclass(frozen=True)
class PennyLaneTiming:
    """PennyLane's parameter-shift Jacobian of one sample (part c).

    Attributes:
        seconds: fastest Jacobian, or None when PennyLane did not run.
        runs: timed runs.
        max_difference: largest entry of ``|J_PennyLane - J_ours|``, or None.
        note: the error when PennyLane raised; empty otherwise.
    """

    seconds: float | None
    runs: int = 0
    max_difference: float | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Row:
    """Everything measured for one preset."""

    preset: str
    step: StepTiming
    epoch: EpochTiming
    pennylane: PennyLaneTiming


@dataclasses.dataclass(frozen=True)
class PennyLaneOp:
    """One gate of the step in PennyLane's terms.

    Attributes:
        name: PennyLane operation: ``RX``, ``RY``, ``RZ``, ``CNOT`` or ``CSWAP``.
        wires: wire names (the cirq qubit names), control(s) first.
        slot: for a rotation driven by a slot, the slot's index; None otherwise.
        slope: a rotation's angle is ``slope * slot value + offset``.
        offset: a rotation's fixed angle, or the constant part of a slot-driven angle.
    """

    name: str
    wires: tuple[str, ...]
    slot: int | None = None
    slope: float = 0.0
    offset: float = 0.0

    def angle(self, slots: Sequence[float]) -> float:
        """The rotation angle for the slot vector ``slots``."""
        return self.offset if self.slot is None else self.slope * slots[self.slot] + self.offset


def best_time(run: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` calls of ``run``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def step_program(step: LoweredStep) -> StatevectorProgram:
    """The batched engine's translation of the step."""
    return StatevectorProgram.from_circuit(step.circuit, step.qubits, step.angle_map.names,
                                           z_and_x(step.measured_qubits))


def random_slots(step: LoweredStep, rows: int) -> np.ndarray:
    """Seeded uniform slot values in ``[0, 2 pi)``, shape ``[rows, S]``."""
    rng = np.random.default_rng(SEED)
    return rng.uniform(0.0, 2.0 * np.pi, (rows, step.angle_map.num_slots))


def time_step(step: LoweredStep, program: StatevectorProgram, slots: np.ndarray,
              repeats: int) -> StepTiming:
    """Part (a): evaluation and Jacobian seconds per row, and the first row's Jacobian alone."""
    rows = len(slots)
    program.shift_jacobian(slots)  # warm-up
    return StepTiming(
        qubits=len(step.qubits),
        slots=step.angle_map.num_slots,
        rows=rows,
        evaluation=best_time(lambda: program.expectations(slots), repeats) / rows,
        jacobian=best_time(lambda: program.shift_jacobian(slots), repeats) / rows,
        single_row=best_time(lambda: program.shift_jacobian(slots[:1]), repeats),
    )


def time_epoch(model: qc.QRUModel, task: EpochTask, repeats: int) -> EpochTiming:
    """Part (b): one epoch of ``loss_and_gradient`` over the task's mini-batches.

    Raises:
        ValueError: when the data set has fewer samples than the task asks for.
    """
    data = task.load()
    if len(data) < task.samples:
        raise ValueError(f"{task.name}: {len(data)} samples, fewer than {task.samples}")
    train = data.subset(np.random.default_rng(SEED).permutation(len(data))[: task.samples])
    params = model.initial_parameters(seed=SEED)
    starts = range(0, task.samples, task.batch_size)[: task.timed_batches]
    batches = [train.subset(np.arange(first, min(first + task.batch_size, task.samples)))
               for first in starts]

    def seconds(method: str) -> float:
        def run() -> None:
            for batch in batches:
                qc.loss_and_gradient(model, params, batch.inputs, batch.targets, method=method)

        qc.loss_and_gradient(model, params, train.inputs[:1], train.targets[:1],
                             method=method)  # warm-up
        timed_samples = sum(len(batch) for batch in batches)
        return best_time(run, repeats) * task.samples / timed_samples

    return EpochTiming(task, train.inputs.shape[1], seconds("parameter-shift"),
                       seconds("adjoint"))


def rotation_op(op: cirq.Operation, slots: dict[str, int]) -> PennyLaneOp:
    """A cirq rx/ry/rz, at a fixed angle or ``slope * slot + offset``, as a PennyLane rotation.

    Raises:
        ValueError: when the angle depends on more than one symbol or on a non-slot symbol.
    """
    name, wire = ROTATIONS[type(op.gate)], str(op.qubits[0])
    angle = sympy.sympify(op.gate.exponent) * sympy.pi
    symbols = angle.free_symbols
    if not symbols:
        return PennyLaneOp(name, (wire,), offset=float(angle))
    symbol = next(iter(symbols))
    if len(symbols) != 1 or symbol.name not in slots:
        raise ValueError(f"{op}: angle {angle} is not a function of one angle slot")
    return PennyLaneOp(name, (wire,), slots[symbol.name], float(sympy.diff(angle, symbol)),
                       float(angle.subs(symbol, 0)))


def pennylane_ops(step: LoweredStep) -> list[PennyLaneOp]:
    """The step's gates in PennyLane's terms, in circuit order.

    Raises:
        ValueError: for a gate other than rx, ry, rz, CNOT and CSWAP.
    """
    slots = {name: k for k, name in enumerate(step.angle_map.names)}
    ops = []
    for op in step.circuit.all_operations():
        wires = tuple(str(qubit) for qubit in op.qubits)
        if type(op.gate) in ROTATIONS:
            ops.append(rotation_op(op, slots))
        elif op.gate == cirq.CNOT:
            ops.append(PennyLaneOp("CNOT", wires))
        elif op.gate == cirq.CSWAP:
            ops.append(PennyLaneOp("CSWAP", wires))
        else:
            raise ValueError(f"{op}: no PennyLane translation")
    return ops


def pennylane_jacobian(step: LoweredStep) -> Callable[[np.ndarray], np.ndarray]:
    """PennyLane's parameter-shift Jacobian ``[2m, S]`` of the step for one slot vector.

    The QNode runs on ``default.qubit`` and returns ``<Z>``, ``<X>`` of each measured qubit,
    in the order of ``StatevectorProgram``; ``qml.jacobian`` differentiates it with autograd.
    """
    ops = pennylane_ops(step)
    device = qml.device("default.qubit", wires=[str(qubit) for qubit in step.qubits])
    measured = [str(qubit) for qubit in step.measured_qubits]

    @qml.qnode(device, diff_method="parameter-shift")
    def circuit(slots: pnp.ndarray) -> list:
        for op in ops:
            gate = getattr(qml, op.name)
            if op.name in ROTATIONS.values():
                gate(op.angle(slots), wires=op.wires[0])
            else:
                gate(wires=op.wires)
        return [qml.expval(pauli(wire)) for wire in measured for pauli in (qml.PauliZ, qml.PauliX)]

    jacobian = qml.jacobian(lambda slots: qml.math.stack(circuit(slots)))
    return lambda row: np.asarray(jacobian(pnp.array(row, requires_grad=True)))


def time_pennylane(step: LoweredStep, program: StatevectorProgram, row: np.ndarray,
                   repeats: int) -> PennyLaneTiming:
    """Part (c): PennyLane's Jacobian of ``row``, timed and checked against ours.

    The untimed warm-up run gives the Jacobian that is checked, and its time caps the timed
    runs at :data:`PENNYLANE_BUDGET` / (warm-up seconds), at least one.
    """
    jacobian = pennylane_jacobian(step)
    start = time.perf_counter()
    theirs = jacobian(row)
    warm_up = time.perf_counter() - start
    runs = max(1, min(repeats, int(PENNYLANE_BUDGET // warm_up)))
    _, ours = program.shift_jacobian(row[None])
    return PennyLaneTiming(seconds=best_time(lambda: jacobian(row), runs), runs=runs,
                           max_difference=float(np.max(np.abs(theirs - ours[0]))))


def guarded_pennylane(run: Callable[[], PennyLaneTiming]) -> PennyLaneTiming:
    """``run()``, or a timing carrying the exception when PennyLane raises."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - PennyLane's failure must not stop the run
        return PennyLaneTiming(None, note=f"error: {type(error).__name__}: {error}")


def benchmark(preset: str, with_pennylane: bool, repeats: int) -> Row:
    """Parts (a), (b) and, when ``with_pennylane``, (c) for one preset."""
    model = qc.QRUModel.preset(preset)
    step = lower(model)
    program = step_program(step)
    slots = random_slots(step, JACOBIAN_ROWS[preset])
    step_timing = time_step(step, program, slots, repeats)
    epoch = time_epoch(model, TASKS[preset], repeats)
    pennylane = guarded_pennylane(lambda: time_pennylane(step, program, slots[0], repeats)) \
        if with_pennylane else PennyLaneTiming(None)
    return Row(preset, step_timing, epoch, pennylane)


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds: three significant digits, whole numbers from 100 on."""
    value = seconds * 1e3
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def long_seconds(seconds: float) -> str:
    """Seconds (whole from 100 on), with hours added past one hour."""
    text = f"{seconds:.1f}" if seconds < 100 else f"{seconds:.0f}"
    return f"{text} ({seconds / 3600:.1f} h)" if seconds >= 3600 else text


def pennylane_cells(row: Row, repeats: int) -> list[str]:
    """The PennyLane columns: Jacobian time, slow-down against ours, difference, epoch."""
    timing = row.pennylane
    if timing.seconds is None or timing.max_difference is None:
        return ["n/a"] * 4
    runs = "" if timing.runs == repeats else f" ({timing.runs} run{'s' * (timing.runs > 1)})"
    verdict = "ok" if timing.max_difference <= TOLERANCE else "MISMATCH"
    epoch = row.epoch
    estimate = timing.seconds * epoch.task.samples * epoch.steps
    return [
        milliseconds(timing.seconds) + runs,
        (f"{timing.seconds / row.step.jacobian:.0f}x (1 row: "
         f"{timing.seconds / row.step.single_row:.0f}x)"),
        f"{timing.max_difference:.1e} ({verdict})",
        f"{long_seconds(estimate)}, {estimate / epoch.seconds:.0f}x ours",
    ]


def table_cells(row: Row, repeats: int) -> list[str]:
    """The row's cells, in :data:`COLUMNS` order."""
    step = row.step
    return [
        row.preset,
        f"{step.qubits} / {step.slots}",
        milliseconds(step.evaluation),
        f"{milliseconds(step.jacobian)} (1 row: {milliseconds(step.single_row)})",
        f"{step.ratio:.1f}",
        str(step.ideal_ratio),
        row.epoch.describe(),
        long_seconds(row.epoch.seconds),
        long_seconds(row.epoch.adjoint_seconds),
        *pennylane_cells(row, repeats),
    ]


def notes(rows: Sequence[Row], repeats: int, skipped: str) -> list[str]:
    """PennyLane's problems and the legend, one line each.

    Args:
        rows: the measurements.
        repeats: timed runs per measurement.
        skipped: why PennyLane was not run at all, or empty.
    """
    lines = [f"PennyLane: {skipped}; its columns read n/a"] if skipped else []
    lines += [f"{row.preset} / PennyLane: {row.pennylane.note.splitlines()[0]}"
              for row in rows if row.pennylane.note]
    lines += [f"{row.preset} / PennyLane: Jacobians differ by {row.pennylane.max_difference:.1e}"
              f" > {TOLERANCE:g}" for row in rows
              if row.pennylane.max_difference is not None
              and row.pennylane.max_difference > TOLERANCE]
    rows_used = ", ".join(f"{row.step.rows} {row.preset}" for row in rows)
    lines += [
        (f"eval and Jacobian: StatevectorProgram.expectations and .shift_jacobian on seeded "
         f"random slot rows ({rows_used}), time per row; \"1 row\": shift_jacobian on the first "
         "row alone."),
        ("ratio: Jacobian / eval time per sample. 2S+1 is the ratio of a naive parameter shift "
         "that runs every shifted circuit on its own (S slots). Our engine shares work between "
         "the shifted circuits (one state forked per slot where the circuit reaches it, both "
         "shifts from it), so its ratio can be below 2S+1."),
        ("epoch: qc.loss_and_gradient over the mini-batches of a seeded random subset of the "
         "data set, at initial_parameters(seed=0), no optimiser step; extrapolated = the timed "
         "batches' time x samples / timed samples. adjoint epoch: the same with "
         "method=\"adjoint\" (the engine's backward sweep; the same gradient, not a hardware "
         "procedure)."),
        (f"Times: fastest of {repeats} run(s) after a warm-up, on a shared 2-core machine with "
         "other jobs running; compare ratios within one run."),
    ]
    if skipped:
        return lines
    return lines + [
        ("PennyLane: default.qubit QNode of the same step, diff_method=\"parameter-shift\", "
         "qml.jacobian (autograd) over the slot vector for one sample (the first random row); "
         "PennyLane / ours = its time over ours per sample batched (and over ours on that row "
         f"alone); the Jacobians must agree to {TOLERANCE:g}."),
        ("PennyLane epoch (est.) = its per-sample-step Jacobian time x samples x T, and that "
         "over our measured epoch; it leaves out the chain rule through time, which ours "
         "includes."),
    ]


def render_text(rows: Sequence[Row], repeats: int) -> str:
    """A fixed-width table for the terminal."""
    body = [list(COLUMNS)] + [table_cells(row, repeats) for row in rows]
    widths = [max(len(line[i]) for line in body) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in body]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[Row], command: str, repeats: int, skipped: str) -> str:
    """The "## Training benchmark" section: command, date, versions, table and notes."""
    versions = ", ".join(f"{name} {package_version(name)}"
                         for name in ("qru_compile", "numpy", "pennylane"))
    lines = [
        HEADING,
        "",
        f"Command: `{command}` (run {datetime.date.today().isoformat()}; {versions}).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(table_cells(row, repeats)) + " |" for row in rows),
        "",
        *(f"- {line}" for line in notes(rows, repeats, skipped)),
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="Markdown file to update (default: docs/benchmarks.md in the repo)")
    parser.add_argument("--skip-pennylane", action="store_true",
                        help="leave out the PennyLane comparison (its columns read n/a)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"timed runs of each measurement; the fastest counts "
                             f"(default: {DEFAULT_REPEATS})")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark, print the table and update the Markdown file."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.skip_pennylane:
        skipped = "skipped (--skip-pennylane)"
    elif qml is None:
        skipped = "pennylane not installed (pip install pennylane)"
        print(f"note: {skipped}; its columns read n/a", file=sys.stderr)
    else:
        skipped = ""
    rows = []
    for preset in PRESETS:
        print(f"... {preset}", file=sys.stderr, flush=True)
        rows.append(benchmark(preset, not skipped, args.repeats))
    print(render_text(rows, args.repeats))
    print()
    print("\n".join(notes(rows, args.repeats, skipped)))
    command = shlex.join(["python", "bench/train_bench.py", *argv])
    write_section(args.output, render_markdown(rows, command, args.repeats, skipped))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
