"""Training benchmark: Jacobians and epoch times of our engine, qsim, PennyLane and JAX.

Run from the repository root with the project's venv (``.venv/bin/python``)::

    python bench/train_bench.py
    python bench/train_bench.py --repeats 1 --skip-pennylane --output /tmp/b.md

The peers are optional (the ``bench`` extra: ``pip install jax pennylane``); when one is missing,
or skipped (``--skip-pennylane``, ``--skip-jax``), its columns read "n/a" and a note says why.
Every measurement runs on one core: BLAS, numba and qsim are set to one thread, XLA to
``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``, and the process is
pinned to one CPU (the idlest at the start; ``--no-pin`` to leave it free), since XLA sizes its
thread pool from the affinity mask and otherwise spreads some programs over every core.

For each preset model (oscillation, wdbc, mnist) the script measures:

(a) Step cost of the batched engine. The logical step of ``qru_compile.lower(model)`` as a
    ``StatevectorProgram``, on seeded random slot rows (64 for oscillation and wdbc, 16 for
    mnist): seconds per row of ``expectations`` (one unshifted evaluation) and of
    ``shift_jacobian`` (values and parameter-shift Jacobian), their ratio, and the ideal ratio
    2S+1 of a naive parameter shift that evaluates every shifted circuit on its own (S slots).
    The Jacobian of the first row alone (no batching) is timed too.
(b) Epoch time of ``qc.loss_and_gradient`` over mini-batches, at fixed parameters
    (``initial_parameters(seed=0)``; the optimiser step is negligible and left out), on a seeded
    random subset of each data set: wdbc 455 samples (a 5-fold training part), T=30, batch 20,
    a full epoch; digits (mnist preset) 292 samples, T=8, batch 50, 2 batches timed and scaled
    to 292 samples ("extrapolated"); oscillation one full-batch gradient of 2 sequences x 100
    steps, which is its epoch. Configurations: parameter shift and the adjoint method on the
    batched engine (``backend="numpy"``), and parameter shift on qsim (``backend="qsim"``, literal
    shifted circuits; estimated from the first 2 wdbc batches and the first digits batch).
(b') The authors' training pipeline rebuilt from QRU_SPEC.md (``bench/jax_peer.py``): the step as
    a PennyLane ``default.qubit`` QNode (``interface="jax"``, ``diff_method="backprop"``),
    ``jax.vmap`` over the batch inside ``jax.lax.scan`` over time, ``jax.jit(jax.value_and_grad(
    loss))``, float64; and the same step as a pure-JAX state vector ("pure-JAX"), the same
    pipeline without PennyLane. Both are timed on the same batches as (b) after compiling
    once per batch shape (compilation is reported, not timed in the epoch); their loss and
    gradient on the first batch are checked against ours (``method="adjoint"``): they must agree
    to 1e-8.
(c) PennyLane ``default.qubit`` parameter shift: the step circuit rebuilt as a QNode (rx/ry/rz
    at the slot value or fixed angle, CNOT, CSWAP) returning <Z> and <X> of each measured qubit,
    with ``diff_method="parameter-shift"``; ``qml.jacobian`` (autograd) with respect to the slot
    vector for one sample, the first row of (a), checked against ``shift_jacobian`` (1e-6). Its
    epoch is estimated as its per-sample-step Jacobian time x samples x steps of the task.
(d) Peak memory of a digits epoch, one fresh subprocess per configuration (ours parameter
    shift, ours adjoint, the PennyLane-JAX pipeline): after imports and a warm-up (ours) or
    loading the compiled program from this run's compilation cache (JAX), the peak RSS
    (``VmHWM`` of ``/proc/self/status``) is reset through ``/proc/self/clear_refs`` and read
    again after the timed batches; for ours also the ``tracemalloc`` peak of one batch (numpy's
    arrays), for JAX the compiled program's ``memory_analysis`` temporaries. (``ru_maxrss`` is
    not used: a child inherits its parent's high-water mark across vfork and exec.) Batches
    are independent, so an epoch's peak is that of one batch of the largest size.

Every time is the fastest of ``--repeats`` runs (default 3) after one untimed warm-up run
(PennyLane's timed runs per preset are capped to fit in about two minutes), as wall-clock
seconds and, in parentheses where shown, the process's CPU seconds (``time.process_time``),
which a loaded machine inflates less. The machine may be shared, so compare ratios within one
run; the load average is recorded. The tables are printed and written as Markdown to
``--output`` (default ``docs/benchmarks.md``) under the heading "## Training benchmark"; other
sections of that file are kept.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("XLA_FLAGS",
                      "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse
import dataclasses
import datetime
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import cirq
import numpy as np
import sympy
from report_file import package_version, write_section

import qru_compile as qc
from qru_compile.lowering import LoweredStep, lower
from qru_compile.program import z_and_x
from qru_compile.sim.statevector import StatevectorProgram
from qru_compile.train.data import Dataset, digits_3_vs_5, oscillation, wdbc

#: PennyLane (part c) and the JAX peer (part b'), imported on demand: the memory probes of
#: our engine must not carry them.
qml: Any = None
pnp: Any = None

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
#: Largest allowed difference between the JAX pipeline's loss or gradient and ours.
JAX_TOLERANCE = 1e-8
#: Seconds the timed PennyLane Jacobians of one preset may take together.
PENNYLANE_BUDGET = 120.0
#: cirq rotation gate types and their PennyLane names.
ROTATIONS = {cirq.Rx: "RX", cirq.Ry: "RY", cirq.Rz: "RZ"}
#: The JAX pipelines: PennyLane's QNode (the authors' pipeline) and the pure-JAX state vector.
JAX_ENGINES = ("pennylane", "statevector")
#: Our epoch configurations: label -> (method, backend).
OURS = {"parameter-shift": ("parameter-shift", "numpy"), "adjoint": ("adjoint", "numpy"),
        "qsim": ("parameter-shift", "qsim")}
#: The digits epoch whose memory (d) measures, and its configurations.
MEMORY_PRESET = "mnist"
MEMORY_CONFIGS = ("parameter-shift", "adjoint", "jax:pennylane")
#: Environment variable naming the run's JAX compilation cache for the memory probe.
CACHE_VARIABLE = "QRU_TRAIN_BENCH_JAX_CACHE"
STEP_COLUMNS = ("preset", "qubits / S", "eval ms/sample", "Jacobian ms/sample", "ratio", "2S+1",
                "PennyLane PS Jacobian ms/sample", "PennyLane / ours", "max abs(J_PL - J_ours)",
                "PennyLane PS epoch s (est.)")
EPOCH_COLUMNS = ("epoch task", "PS epoch s", "adjoint epoch s", "qsim PS epoch s",
                 "JAX backprop epoch s", "pure-JAX epoch s", "adjoint / JAX", "PS / JAX",
                 "qsim / PS", "JAX compile s", "JAX - ours: abs dL, max abs dg")
MEMORY_COLUMNS = ("digits epoch", "peak RSS MB", "RSS before MB", "epoch increase MB",
                  "array peak MB", "array peak measured by")


@dataclasses.dataclass(frozen=True)
class EpochTask:
    """The training data and batching of one preset's epoch.

    Attributes:
        name: the task's name.
        load: the data set.
        samples: training samples per epoch (a seeded random subset of the data set).
        batch_size: samples per mini-batch.
        timed_batches: batches timed and scaled to the epoch, or None to time the whole epoch.
        qsim_batches: the same for the qsim parameter-shift epoch.
    """

    name: str
    load: Callable[[], Dataset]
    samples: int
    batch_size: int
    timed_batches: int | None = None
    qsim_batches: int | None = None

    def batches(self) -> list[Dataset]:
        """All mini-batches of the epoch's seeded random subset, in order.

        Raises:
            ValueError: when the data set has fewer samples than the task asks for.
        """
        data = self.load()
        if len(data) < self.samples:
            raise ValueError(f"{self.name}: {len(data)} samples, fewer than {self.samples}")
        train = data.subset(np.random.default_rng(SEED).permutation(len(data))[: self.samples])
        return [train.subset(np.arange(first, min(first + self.batch_size, self.samples)))
                for first in range(0, self.samples, self.batch_size)]


TASKS = {
    "oscillation": EpochTask("oscillation", oscillation, samples=2, batch_size=2),
    "wdbc": EpochTask("wdbc", wdbc, samples=455, batch_size=20, qsim_batches=2),
    "mnist": EpochTask("digits", digits_3_vs_5, samples=292, batch_size=50, timed_batches=2,
                       qsim_batches=1),
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
class Timed:
    """One configuration's epoch.

    Attributes:
        wall: wall-clock seconds of the epoch (scaled from the timed batches when fewer).
        cpu: the process's CPU seconds of the same run, scaled alike.
        batches: batches timed.
    """

    wall: float
    cpu: float
    batches: int


@dataclasses.dataclass(frozen=True)
class Check:
    """A loss and gradient on the first batch against ours with ``method="adjoint"``.

    Attributes:
        loss: ``|L - L_adjoint|``.
        gradient: ``max |g - g_adjoint|``.
        scale: ``max |g_adjoint|``.
    """

    loss: float
    gradient: float
    scale: float

    def ok(self, tolerance: float) -> bool:
        return self.loss <= tolerance and self.gradient <= tolerance

    def describe(self, tolerance: float | None = None) -> str:
        text = f"{self.loss:.1e}, {self.gradient:.1e}"
        if tolerance is None:
            return text
        return f"{text} ({'ok' if self.ok(tolerance) else 'MISMATCH'})"


@dataclasses.dataclass(frozen=True)
class JaxRun:
    """One JAX pipeline on the epoch of (b).

    Attributes:
        timed: its epoch, or None when it did not run.
        compile_seconds: seconds to trace and compile it for every batch shape of the epoch.
        check: its first-batch loss and gradient against ours.
        note: why it did not run, or empty.
    """

    timed: Timed | None
    compile_seconds: float = 0.0
    check: Check | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class EpochTiming:
    """The epochs of one preset (parts b and b').

    Attributes:
        task: the task timed.
        steps: time steps per sequence.
        ours: our configurations by label (:data:`OURS`).
        checks: our parameter-shift and qsim gradients against the adjoint one, by label.
        jax: the JAX pipelines by engine.
    """

    task: EpochTask
    steps: int
    ours: dict[str, Timed]
    checks: dict[str, Check]
    jax: dict[str, JaxRun]

    def describe(self) -> str:
        """The task, its size and batching, e.g. ``wdbc: 455 x T=30, batch 20``."""
        task = self.task
        batch = "full batch" if task.batch_size >= task.samples else f"batch {task.batch_size}"
        text = f"{task.name}: {task.samples} x T={self.steps}, {batch}"
        return f"{text}, extrapolated from {task.timed_batches} batches" \
            if task.timed_batches is not None else text


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
    load: float


@dataclasses.dataclass(frozen=True)
class Memory:
    """Peak memory of one configuration's digits epoch (part d), in bytes.

    Attributes:
        label: the configuration.
        before: RSS after imports and warm-up (ours) or compilation (JAX), when the peak is
            reset, before the timed batches.
        peak: peak RSS (``VmHWM``) while they ran.
        arrays: tracemalloc peak of one batch (ours) or the compiled program's temporaries
            (JAX), or None.
        method: how ``arrays`` was measured.
        note: the error when the probe failed.
    """

    label: str
    before: int = 0
    peak: int = 0
    arrays: int | None = None
    method: str = ""
    note: str = ""
    compile_seconds: float | None = None


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


def import_pennylane() -> str:
    """Import PennyLane for part (c); the reason it is missing, or empty."""
    global qml, pnp
    try:
        import pennylane
        from pennylane import numpy
    except ImportError:
        return "pennylane not installed (pip install pennylane)"
    qml, pnp = pennylane, numpy
    return ""


def import_jax_peer() -> ModuleType | str:
    """``bench/jax_peer.py`` (JAX with float64), or the reason it cannot be imported."""
    try:
        import jax_peer
    except ImportError as error:
        return f"{error} (pip install jax pennylane)"
    return jax_peer


def timed_batches(run: Callable[[Dataset], tuple[float, np.ndarray]], batches: list[Dataset],
                  samples: int, repeats: int) -> tuple[Timed, tuple[float, np.ndarray]]:
    """The fastest of ``repeats`` passes of ``run`` over ``batches``, scaled to ``samples``,
    and ``run``'s result on the first batch."""
    best: Timed | None = None
    first: tuple[float, np.ndarray] | None = None
    scale = samples / sum(len(batch) for batch in batches)
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        results = [run(batch) for batch in batches]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        first = results[0]
        if best is None or wall * scale < best.wall:
            best = Timed(wall * scale, cpu * scale, len(batches))
    assert best is not None and first is not None
    return best, first


def compare(result: tuple[float, np.ndarray], reference: tuple[float, np.ndarray]) -> Check:
    """``result`` against the reference (ours, adjoint) on the same batch."""
    loss, grad = result
    ref_loss, ref_grad = reference
    return Check(abs(float(loss) - float(ref_loss)),
                 float(np.max(np.abs(np.asarray(grad) - ref_grad))),
                 float(np.max(np.abs(ref_grad))))


def ours_run(model: qc.QRUModel, params: np.ndarray, label: str
             ) -> Callable[[Dataset], tuple[float, np.ndarray]]:
    """One batch's ``loss_and_gradient`` in our configuration ``label``."""
    method, backend = OURS[label]
    return lambda batch: qc.loss_and_gradient(model, params, batch.inputs, batch.targets,
                                              method=method, backend=backend)


def jax_compiled(jax_peer: ModuleType, model: qc.QRUModel, engine: str, params: np.ndarray,
                 batches: Sequence[Dataset]) -> dict[int, Any]:
    """The jitted loss-and-gradient compiled ahead of time for each batch size of ``batches``."""
    function = jax_peer.value_and_grad(model, engine)
    compiled = {}
    for batch in batches:
        if len(batch) not in compiled:
            compiled[len(batch)] = function.lower(params, batch.inputs, batch.targets).compile()
    return compiled


def jax_batch_run(compiled: dict[int, Any], params: np.ndarray
                  ) -> Callable[[Dataset], tuple[float, np.ndarray]]:
    """One batch through the compiled JAX pipeline; waits for the result (``np.asarray``)."""
    def run(batch: Dataset) -> tuple[float, np.ndarray]:
        loss, grad = compiled[len(batch)](params, batch.inputs, batch.targets)
        return float(loss), np.asarray(grad)

    return run


def time_jax(jax_peer: ModuleType, model: qc.QRUModel, engine: str, params: np.ndarray,
             batches: list[Dataset], samples: int, repeats: int,
             reference: tuple[float, np.ndarray]) -> JaxRun:
    """Part (b'): one JAX pipeline, compiled, warmed up on every batch size, timed, checked."""
    start = time.perf_counter()
    compiled = jax_compiled(jax_peer, model, engine, params, batches)
    compile_seconds = time.perf_counter() - start
    run = jax_batch_run(compiled, params)
    for size in compiled:  # warm-up: the first execution of each program
        run(next(batch for batch in batches if len(batch) == size))
    timed, first = timed_batches(run, batches, samples, repeats)
    return JaxRun(timed, compile_seconds, compare(first, reference))


def time_epoch(model: qc.QRUModel, task: EpochTask, repeats: int, with_qsim: bool,
               jax_peer: ModuleType | None, engines: Sequence[str]) -> EpochTiming:
    """Parts (b) and (b'): the task's epoch in every configuration, on the same batches."""
    all_batches = task.batches()
    batches = all_batches[: task.timed_batches]
    params = model.initial_parameters(seed=SEED)
    warm = all_batches[0].subset(np.arange(1))
    ours: dict[str, Timed] = {}
    firsts: dict[str, tuple[float, np.ndarray]] = {}
    labels = [label for label in OURS if with_qsim or label != "qsim"]
    for label in labels:
        print(f"    {task.name} / {label}", file=sys.stderr, flush=True)
        run = ours_run(model, params, label)
        run(warm)  # warm-up (numba compilation, qsim translation)
        timed = all_batches[: task.qsim_batches] if label == "qsim" else batches
        ours[label], firsts[label] = timed_batches(run, timed, task.samples, repeats)
    reference = firsts["adjoint"]
    checks = {label: compare(firsts[label], reference) for label in labels if label != "adjoint"}
    jax_runs: dict[str, JaxRun] = {}
    for engine in engines:
        print(f"    {task.name} / JAX {engine}", file=sys.stderr, flush=True)
        if jax_peer is None:
            jax_runs[engine] = JaxRun(None)
            continue
        try:
            jax_runs[engine] = time_jax(jax_peer, model, engine, params, batches, task.samples,
                                        repeats, reference)
        except Exception as error:  # noqa: BLE001 - a peer's failure must not stop the run
            jax_runs[engine] = JaxRun(None, note=f"{type(error).__name__}: {error}")
    return EpochTiming(task, all_batches[0].inputs.shape[1], ours, checks, jax_runs)


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


def status_bytes(field: str) -> int:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise OSError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> int:
    """Reset this process's peak RSS (``VmHWM``) to its current RSS; return that RSS, bytes.

    Writing ``5`` to ``/proc/self/clear_refs`` resets the high-water mark (Linux >= 4.0), so the
    peak read afterwards is that of what runs next, not of imports or compilation before.
    """
    Path("/proc/self/clear_refs").write_text("5")
    return status_bytes("VmRSS")


def run_memory_probe(label: str) -> dict[str, Any]:
    """Part (d) in this (fresh) process: the digits epoch's batches in configuration ``label``.

    Imports, a warm-up on one sample (ours) or compilation (JAX, from the run's cache, see
    :data:`CACHE_VARIABLE`) come first; then the peak RSS is reset and the batches run.
    """
    model = qc.QRUModel.preset(MEMORY_PRESET)
    task = TASKS[MEMORY_PRESET]
    all_batches = task.batches()
    batches = all_batches[: task.timed_batches]
    params = model.initial_parameters(seed=SEED)
    if label.startswith("jax:"):
        jax_peer = import_jax_peer()
        if isinstance(jax_peer, str):
            raise ImportError(jax_peer)
        cache = os.environ.get(CACHE_VARIABLE)
        if cache:
            jax_peer.jax.config.update("jax_compilation_cache_dir", cache)
        start = time.perf_counter()
        compiled = jax_compiled(jax_peer, model, label.split(":", 1)[1], params, batches)
        compile_seconds = time.perf_counter() - start
        run = jax_batch_run(compiled, params)
        before = reset_peak_rss()
        for batch in batches:
            run(batch)
        analysis = compiled[len(batches[0])].memory_analysis()
        return {"before": before, "peak": status_bytes("VmHWM"),
                "arrays": int(analysis.temp_size_in_bytes),
                "method": "XLA memory_analysis: temporaries of one batch's compiled program",
                "compile_seconds": compile_seconds}
    run = ours_run(model, params, label)
    run(batches[0].subset(np.arange(1)))  # warm-up (numba's compiled kernels from its cache)
    before = reset_peak_rss()
    for batch in batches:
        run(batch)
    peak = status_bytes("VmHWM")
    tracemalloc.start()
    run(batches[0])
    arrays = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"before": before, "peak": peak, "arrays": arrays,
            "method": "tracemalloc peak of one batch (numpy arrays, Python objects)"}


def measure_memory(label: str) -> Memory:
    """Part (d): :func:`run_memory_probe` in a fresh subprocess."""
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-probe", label]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            cwd=REPO_ROOT)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        error = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return Memory(label, note=f"probe failed ({result.returncode}): {error}")
    data = json.loads(lines[-1])
    return Memory(label, data["before"], data["peak"], data["arrays"], data["method"],
                  compile_seconds=data.get("compile_seconds"))


def benchmark(preset: str, with_pennylane: bool, with_qsim: bool,
              jax_peer: ModuleType | None, engines: Sequence[str], repeats: int) -> Row:
    """Parts (a), (b), (b') and, when ``with_pennylane``, (c) for one preset."""
    load = os.getloadavg()[0]
    model = qc.QRUModel.preset(preset)
    step = lower(model)
    program = step_program(step)
    slots = random_slots(step, JACOBIAN_ROWS[preset])
    step_timing = time_step(step, program, slots, repeats)
    epoch = time_epoch(model, TASKS[preset], repeats, with_qsim, jax_peer, engines)
    pennylane = guarded_pennylane(lambda: time_pennylane(step, program, slots[0], repeats)) \
        if with_pennylane else PennyLaneTiming(None)
    return Row(preset, step_timing, epoch, pennylane, load)


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds: three significant digits, whole numbers from 100 on."""
    value = seconds * 1e3
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def long_seconds(seconds: float) -> str:
    """Seconds (whole from 100 on), with hours added past one hour."""
    text = f"{seconds:.1f}" if seconds < 100 else f"{seconds:.0f}"
    return f"{text} ({seconds / 3600:.1f} h)" if seconds >= 3600 else text


def megabytes(count: int) -> str:
    return f"{count / 2**20:.0f}"


def ratio(numerator: Timed | None, denominator: Timed | None) -> str:
    """Wall-clock ratio, and the CPU-time ratio in parentheses."""
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator.wall / denominator.wall:.2f} (CPU {numerator.cpu / denominator.cpu:.2f})"


def timed_cell(timed: Timed | None, batches: int | None = None) -> str:
    """Epoch seconds (CPU seconds); how many batches when fewer than the epoch's were timed."""
    if timed is None:
        return "n/a"
    text = f"{long_seconds(timed.wall)} (CPU {long_seconds(timed.cpu)})"
    return f"{text}, from {batches} batch{'es' * (batches > 1)}" if batches else text


def pennylane_cells(row: Row, repeats: int) -> list[str]:
    """The PennyLane parameter-shift columns: Jacobian time, slow-down, difference, epoch."""
    timing = row.pennylane
    if timing.seconds is None or timing.max_difference is None:
        return ["n/a"] * 4
    runs = "" if timing.runs == repeats else f" ({timing.runs} run{'s' * (timing.runs > 1)})"
    verdict = "ok" if timing.max_difference <= TOLERANCE else "MISMATCH"
    epoch = row.epoch
    estimate = timing.seconds * epoch.task.samples * epoch.steps
    ours = epoch.ours["parameter-shift"].wall
    return [
        milliseconds(timing.seconds) + runs,
        (f"{timing.seconds / row.step.jacobian:.0f}x (1 row: "
         f"{timing.seconds / row.step.single_row:.0f}x)"),
        f"{timing.max_difference:.1e} ({verdict})",
        f"{long_seconds(estimate)}, {estimate / ours:.0f}x our PS epoch",
    ]


def step_cells(row: Row, repeats: int) -> list[str]:
    """The step table's cells, in :data:`STEP_COLUMNS` order."""
    step = row.step
    return [
        row.preset,
        f"{step.qubits} / {step.slots}",
        milliseconds(step.evaluation),
        f"{milliseconds(step.jacobian)} (1 row: {milliseconds(step.single_row)})",
        f"{step.ratio:.1f}",
        str(step.ideal_ratio),
        *pennylane_cells(row, repeats),
    ]


def epoch_cells(row: Row) -> list[str]:
    """The epoch table's cells, in :data:`EPOCH_COLUMNS` order."""
    epoch = row.epoch
    ours = epoch.ours
    runs = {engine: epoch.jax.get(engine, JaxRun(None)) for engine in JAX_ENGINES}
    jax = runs["pennylane"].timed
    compile_times = " / ".join(f"{run.compile_seconds:.0f}" if run.timed else "n/a"
                               for run in runs.values())
    checks = " / ".join(run.check.describe(JAX_TOLERANCE) if run.check else "n/a"
                        for run in runs.values())
    return [
        epoch.describe(),
        timed_cell(ours.get("parameter-shift")),
        timed_cell(ours.get("adjoint")),
        timed_cell(ours.get("qsim"), epoch.task.qsim_batches),
        timed_cell(jax),
        timed_cell(runs["statevector"].timed),
        ratio(ours.get("adjoint"), jax),
        ratio(ours.get("parameter-shift"), jax),
        ratio(ours.get("qsim"), ours.get("parameter-shift")),
        compile_times,
        checks,
    ]


def memory_cells(memory: Memory) -> list[str]:
    """The memory table's cells, in :data:`MEMORY_COLUMNS` order."""
    names = {"parameter-shift": "ours, parameter shift", "adjoint": "ours, adjoint",
             "jax:pennylane": "JAX backprop (PennyLane default.qubit)"}
    name = names.get(memory.label, memory.label)
    if memory.note:
        return [name, "n/a", "n/a", "n/a", "n/a", memory.note]
    method = memory.method if memory.compile_seconds is None else \
        f"{memory.method} (loaded from the run's cache in {memory.compile_seconds:.0f} s)"
    return [name, megabytes(memory.peak), megabytes(memory.before),
            megabytes(max(0, memory.peak - memory.before)),
            "n/a" if memory.arrays is None else megabytes(memory.arrays), method]


def bar_lines(rows: Sequence[Row]) -> list[str]:
    """The issue's bars, met or not, with the numbers (wall-clock ratios; CPU in parentheses)."""
    lines = []

    def verdict(value: float, bar: float) -> str:
        return "met" if value <= bar else "NOT met"

    for row in rows:
        ours, jax = row.epoch.ours, row.epoch.jax.get("pennylane", JaxRun(None)).timed
        name = row.epoch.task.name
        if jax is not None:
            for label, bar in (("adjoint", 1.0), ("parameter-shift", 10.0)):
                if label in ours:
                    value = ours[label].wall / jax.wall
                    lines.append(f"bar {name}: {label} / JAX backprop = {value:.2f} "
                                 f"(CPU {ours[label].cpu / jax.cpu:.2f}) <= {bar:g}: "
                                 f"{verdict(value, bar)}")
        if name == "wdbc" and "qsim" in ours:
            value = ours["qsim"].wall / ours["parameter-shift"].wall
            lines.append(f"bar wdbc: qsim PS / our PS = {value:.1f} "
                         f"(CPU {ours['qsim'].cpu / ours['parameter-shift'].cpu:.1f}) <= 30: "
                         f"{verdict(value, 30.0)}")
    return lines


def check_lines(rows: Sequence[Row]) -> list[str]:
    """The first-batch checks against ours (adjoint), one line per configuration."""
    lines = []
    for row in rows:
        name = row.epoch.task.name
        for engine, run in row.epoch.jax.items():
            if run.check is not None:
                lines.append(f"check {name} / JAX {engine}: abs dL {run.check.loss:.1e}, max abs "
                             f"dg {run.check.gradient:.1e} (max abs g {run.check.scale:.2g}; "
                             f"tolerance {JAX_TOLERANCE:g}): "
                             f"{'ok' if run.check.ok(JAX_TOLERANCE) else 'MISMATCH'}")
        for label, check in row.epoch.checks.items():
            lines.append(f"check {name} / ours {label}: abs dL {check.loss:.1e}, max abs dg "
                         f"{check.gradient:.1e}")
    return lines


def notes(rows: Sequence[Row], repeats: int, skipped: dict[str, str],
          memory: Sequence[Memory], loads: tuple[str, str, str]) -> list[str]:
    """Problems, the bars, the checks and the legend, one line each.

    Args:
        rows: the measurements.
        repeats: timed runs per measurement.
        skipped: why a peer ("pennylane", "jax", "qsim", "memory") was not run, by peer.
        memory: part (d).
        loads: ``uptime`` at the start and the end of the run, and how the process was pinned.
    """
    lines = [f"{peer}: {reason}; its columns read n/a" for peer, reason in skipped.items()
             if reason]
    lines += [f"{row.preset} / PennyLane: {row.pennylane.note.splitlines()[0]}"
              for row in rows if row.pennylane.note]
    lines += [f"{row.preset} / JAX {engine}: {run.note.splitlines()[0]}"
              for row in rows for engine, run in row.epoch.jax.items() if run.note]
    lines += [f"{row.preset} / PennyLane: Jacobians differ by {row.pennylane.max_difference:.1e}"
              f" > {TOLERANCE:g}" for row in rows
              if row.pennylane.max_difference is not None
              and row.pennylane.max_difference > TOLERANCE]
    lines += bar_lines(rows) + check_lines(rows)
    lines += [
        (f"Load: uptime at the start: {loads[0]}; at the end: {loads[1]}; 1-minute load "
         "average at the start of each preset: "
         + ", ".join(f"{row.preset} {row.load:.1f}" for row in rows)
         + f". Every measurement is single-threaded: BLAS, numba, qsim and XLA set to one "
         f"thread, and the process {loads[2]}; on a 2-core machine shared with other jobs, "
         "compare ratios within one run; "
         "CPU seconds (time.process_time of this process) are inflated less by the load than "
         "wall-clock seconds."),
        (f"Times: fastest of {repeats} run(s) after a warm-up. eval and Jacobian: "
         "StatevectorProgram.expectations and .shift_jacobian on seeded random slot rows ("
         + ", ".join(f"{row.step.rows} {row.preset}" for row in rows)
         + "), time per row; \"1 row\": shift_jacobian on the first row alone. ratio: "
         "Jacobian / eval time per sample; 2S+1: that of a naive parameter shift (S slots)."),
        ("epoch: qc.loss_and_gradient over the mini-batches of a seeded random subset of the "
         "data set, at initial_parameters(seed=0), no optimiser step; extrapolated = the timed "
         "batches' time x samples / timed samples. PS: method=\"parameter-shift\", "
         "backend=\"numpy\" (the batched engine); adjoint: method=\"adjoint\" (the engine's "
         "backward sweep; the same gradient, not a hardware procedure); qsim PS: "
         "method=\"parameter-shift\", backend=\"qsim\" (2S+1 literal circuits per sample-step, "
         "single precision), from the first batches as the cell says, scaled the same way."),
        ("JAX backprop: the authors' pipeline rebuilt from QRU_SPEC.md in bench/jax_peer.py: "
         "a PennyLane default.qubit QNode (interface=\"jax\", diff_method=\"backprop\"), "
         "jax.vmap over the batch inside jax.lax.scan over time, "
         "jax.jit(jax.value_and_grad(loss)), float64, compiled ahead of time once per batch "
         "size and run on the same batches as ours. pure-JAX: the same pipeline with the step "
         "as a hand-written JAX state vector instead of the QNode. JAX compile s: tracing and "
         "compiling both (QNode / pure-JAX) for every batch size of the epoch, paid once per "
         "process, not in the epoch. The check: loss and gradient of the first batch against "
         f"ours (adjoint), which must agree to {JAX_TOLERANCE:g}."),
        ("Ratios: wall-clock, CPU-time ratio in parentheses; adjoint / JAX and PS / JAX are "
         "against the PennyLane JAX backprop epoch; qsim / PS against our PS epoch."),
        ("PennyLane PS: a default.qubit QNode of the same step, diff_method=\"parameter-shift\","
         " qml.jacobian (autograd) over the slot vector for one sample (the first random row), "
         "against ours per sample batched (and on that row alone); the Jacobians must agree to "
         f"{TOLERANCE:g}. Its epoch (est.) = its per-sample-step Jacobian time x samples x T; it "
         "leaves out the chain rule through time, which ours includes."),
    ]
    if memory:
        lines.append(
            f"Memory: one fresh subprocess per configuration runs the digits epoch's "
            f"{TASKS[MEMORY_PRESET].timed_batches} timed batches of "
            f"{TASKS[MEMORY_PRESET].batch_size}; RSS before = VmRSS after imports and a warm-up "
            "on one sample (ours) or loading the compiled programs from this run's compilation "
            "cache (JAX), where the peak is reset (/proc/self/clear_refs); peak RSS = VmHWM "
            "after the batches (/proc/self/status); epoch increase = their difference. Batches "
            "are independent, so an epoch's peak is that of one full batch. ru_maxrss is not "
            "used: a child process inherits its parent's high-water mark.")
    return lines


def render_table(columns: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table."""
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns),
            *("| " + " | ".join(cells) + " |" for cells in body)]


def render_text(columns: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A fixed-width table for the terminal."""
    table = [list(columns)] + [list(cells) for cells in body]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def tables(rows: Sequence[Row], repeats: int, memory: Sequence[Memory]
           ) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    """(title, columns, body) of the step, epoch and memory tables."""
    result = [("Step (one time step, batched engine against PennyLane parameter shift)",
               STEP_COLUMNS, [step_cells(row, repeats) for row in rows]),
              ("Epoch (seconds, CPU seconds in parentheses)", EPOCH_COLUMNS,
               [epoch_cells(row) for row in rows])]
    if memory:
        result.append(("Peak memory of a digits epoch", MEMORY_COLUMNS,
                       [memory_cells(item) for item in memory]))
    return result


def render_markdown(rows: Sequence[Row], command: str, repeats: int, skipped: dict[str, str],
                    memory: Sequence[Memory], loads: tuple[str, str, str]) -> str:
    """The "## Training benchmark" section: command, date, versions, tables and notes."""
    versions = ", ".join(f"{name} {package_version(name)}"
                         for name in ("qru_compile", "numpy", "qsimcirq", "pennylane", "jax"))
    lines = [
        HEADING,
        "",
        f"Command: `{command}` (run {datetime.date.today().isoformat()}; {versions}; "
        f"load: {loads[0]}).",
    ]
    for title, columns, body in tables(rows, repeats, memory):
        lines += ["", f"{title}:", "", *render_table(columns, body)]
    lines += ["", *(f"- {line}" for line in notes(rows, repeats, skipped, memory, loads))]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="Markdown file to update (default: docs/benchmarks.md in the repo)")
    parser.add_argument("--skip-pennylane", action="store_true",
                        help="leave out the PennyLane parameter-shift comparison (part c)")
    parser.add_argument("--skip-jax", action="store_true",
                        help="leave out the JAX backprop pipelines (part b')")
    parser.add_argument("--jax-engines", default=",".join(JAX_ENGINES),
                        help="JAX pipelines to time, comma-separated (default: "
                             f"{','.join(JAX_ENGINES)})")
    parser.add_argument("--skip-qsim", action="store_true",
                        help="leave out the qsim parameter-shift epochs")
    parser.add_argument("--skip-memory", action="store_true",
                        help="leave out the peak memory of a digits epoch (part d)")
    parser.add_argument("--presets", default=",".join(PRESETS),
                        help=f"presets to run, comma-separated (default: {','.join(PRESETS)})")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"timed runs of each measurement; the fastest counts "
                             f"(default: {DEFAULT_REPEATS})")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the process to one CPU (XLA may then use more cores)")
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.jax_engines = [name for name in args.jax_engines.split(",") if name]
    args.presets = [name for name in args.presets.split(",") if name]
    for name in args.jax_engines:
        if name not in JAX_ENGINES:
            parser.error(f"--jax-engines: unknown {name!r}; known: {', '.join(JAX_ENGINES)}")
    for name in args.presets:
        if name not in PRESETS:
            parser.error(f"--presets: unknown {name!r}; known: {', '.join(PRESETS)}")
    return args


def uptime() -> str:
    """``uptime``'s line (the load averages), or the load averages alone."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def idlest_cpu(seconds: float = 1.0) -> int:
    """The allowed CPU with the most idle time over ``seconds`` (``/proc/stat``)."""
    allowed = sorted(os.sched_getaffinity(0))

    def idle() -> dict[int, int]:
        times = {}
        for line in Path("/proc/stat").read_text().splitlines():
            name, *fields = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                times[int(name[3:])] = int(fields[3]) + int(fields[4])  # idle + iowait
        return times

    before = idle()
    time.sleep(seconds)
    after = idle()
    return max(allowed, key=lambda cpu: after.get(cpu, 0) - before.get(cpu, 0))


def pin_to_one_cpu() -> str:
    """Pin this process (and its memory-probe children) to one CPU; what was done.

    XLA sizes its CPU thread pool from the affinity mask, and ``XLA_FLAGS`` alone left the
    pure-JAX program on 1.6 cores (CPU time 1.6x its wall time); pinned, every configuration
    runs on one core.
    """
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no os.sched_setaffinity)"
    cpu = idlest_cpu()
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu} (os.sched_setaffinity; the idlest one over 1 s at the start)"


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark, print the tables and update the Markdown file."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.memory_probe:
        print(json.dumps(run_memory_probe(args.memory_probe)))
        return 0
    pinning = "not pinned (--no-pin)" if args.no_pin else pin_to_one_cpu()
    start_load = uptime()
    print(f"load: {start_load}; {pinning}", file=sys.stderr)
    skipped = {"PennyLane PS": "skipped (--skip-pennylane)" if args.skip_pennylane
               else import_pennylane()}
    jax_peer: ModuleType | None = None
    if args.skip_jax:
        skipped["JAX"] = "skipped (--skip-jax)"
    else:
        loaded = import_jax_peer()
        skipped["JAX"] = loaded if isinstance(loaded, str) else ""
        jax_peer = None if isinstance(loaded, str) else loaded
    skipped["qsim"] = "skipped (--skip-qsim)" if args.skip_qsim else ""
    cache = tempfile.mkdtemp(prefix="train_bench_jax_cache_")
    try:
        if jax_peer is not None:  # this run's compiled programs, for the memory probe to reuse
            jax_peer.jax.config.update("jax_compilation_cache_dir", cache)
            jax_peer.jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            os.environ[CACHE_VARIABLE] = cache
        rows = []
        for preset in args.presets:
            print(f"... {preset}", file=sys.stderr, flush=True)
            rows.append(benchmark(preset, not skipped["PennyLane PS"], not args.skip_qsim,
                                  jax_peer, [] if jax_peer is None and args.skip_jax
                                  else args.jax_engines, args.repeats))
        memory = []
        if not args.skip_memory:
            for label in MEMORY_CONFIGS:
                if label.startswith("jax:") and jax_peer is None:
                    continue
                print(f"... memory of a digits epoch: {label}", file=sys.stderr, flush=True)
                memory.append(measure_memory(label))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    loads = (start_load, uptime(), pinning)
    for title, columns, body in tables(rows, args.repeats, memory):
        print(f"\n{title}:\n{render_text(columns, body)}")
    print()
    print("\n".join(notes(rows, args.repeats, skipped, memory, loads)))
    command = shlex.join(["python", "bench/train_bench.py", *argv])
    write_section(args.output, render_markdown(rows, command, args.repeats, skipped, memory,
                                               loads))
    print(f"\nwrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
