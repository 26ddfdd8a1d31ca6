"""Scale-out benchmark: cross-validation on 1 and 2 Dask workers, gradient chunks, and the
estimated wall time of the paper's full protocols on N workers.

Run from the repository root with the project's venv::

    python bench/scale_bench.py                 # about 5 minutes on 2 cores
    python bench/scale_bench.py --epochs 1 --output /tmp/s.md

(a) Cross-validation speed-up. ``qru train wdbc``'s folds (the WDBC preset on all 569 samples,
    ``--folds`` folds of ``--epochs`` epochs each, the task's options otherwise) run three ways:
    in this process, on a ``LocalCluster`` of 1 worker and of 2 workers (cluster start-up and a
    warm-up job per worker, which imports the package and loads the compiled kernels, timed
    apart). The fold results must be identical (same seeds): the table says so.
(b) Gradient chunks. One ``qc.loss_and_gradient`` of a mini-batch: in this process, as one
    job on a 1-worker cluster, and split into 2 chunks on a 2-worker cluster, per preset and
    batch size: chunking pays where the speed-up clearly exceeds 1 (the transfer and task
    overhead is fixed per chunk). Workers are single-threaded; this process may use several
    BLAS threads, which is why its column can beat one worker.
(c) Protocol estimates. Per-sample-step Jacobian times measured here (wdbc and mnist presets,
    the oscillation epoch) give the time of one task (a fold or a restart) of each of the
    paper's protocols; the wall time on N workers is ceil(tasks / N) x task time, since every
    task is independent and equally long. Epoch counts (in the table) follow the authors' code.

Tables are printed and written to ``--output`` (default ``docs/scaling.md``) under the heading
"## Measured"; the rest of that file (the reading of the numbers) is kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from report_file import package_version, write_section

import qru_compile as qc
from qru_compile.executor import LocalExecutor, open_executor
from qru_compile.tables import markdown_table
from qru_compile.train import cross_validation, tasks
from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.data import digits_3_vs_5, oscillation, wdbc

#: The paper's protocols: tasks, training samples per task, steps, epochs. The authors' code
#: ran its MNIST folds 41-97 epochs (mean 70) and its oscillation restarts about 6,300 full-batch
#: steps each; WDBC's leave-one-out epochs are not recorded (40 assumed).
PROTOCOLS = (
    ("WDBC leave-one-out", "wdbc", 569, 568, 30, 40),
    ("MNIST 3 vs 5, 7-fold", "mnist", 7, 11_532, 8, 70),  # 13,454 images of 3 and 5
    ("oscillation, 50 restarts", "oscillation", 50, 2, 100, 6300),
)
WORKERS = (1, 2, 8, 32, 128, 600)


def _cv_time(executor, config: qc.TrainConfig, folds: int) -> tuple[float, list[np.ndarray]]:
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        cross_validation.cross_validate(qc.QRUModel.preset("wdbc"), wdbc(), config, folds=folds,
                             output=Path(directory), executor=executor)
        seconds = time.perf_counter() - start
        params = [Checkpoint.load(Path(directory) / f"fold{k}.json").params
                  for k in range(folds)]
    return seconds, params


def _warm_up() -> None:
    """Import the package and run one small gradient (what a worker's first job pays)."""
    model = qc.QRUModel.preset("wdbc")
    data = wdbc()
    qc.loss_and_gradient(model, model.initial_parameters(np.random.default_rng(0)),
                         data.inputs[:2], data.targets[:2])


def cross_validation_speedup(folds: int, epochs: int) -> tuple[list[list], bool]:
    config = dataclasses.replace(tasks.TASKS["wdbc"].config, epochs=epochs, patience=epochs)
    rows, results = [], []
    _warm_up()
    seconds, params = _cv_time(LocalExecutor(), config, folds)
    rows.append(["in process", "-", round(seconds, 1), "-"])
    results.append(params)
    one_worker = None
    for workers in (1, 2):
        start = time.perf_counter()
        with open_executor(f"local:{workers}") as executor:
            executor.client.run(_warm_up)
            startup = time.perf_counter() - start
            seconds, params = _cv_time(executor, config, folds)
        one_worker = one_worker or seconds
        rows.append([f"Dask LocalCluster, {workers} worker(s)", round(startup, 1),
                     round(seconds, 1), round(one_worker / seconds, 2)])
        results.append(params)
    identical = all(np.array_equal(a, b) for other in results[1:]
                    for a, b in zip(results[0], other))
    return rows, identical


def _gradient_time(model, data, batch: int, executor=None, chunk=None, repeats=2) -> float:
    params = model.initial_parameters(np.random.default_rng(0))
    inputs, targets = data.inputs[:batch], data.targets[:batch]
    qc.loss_and_gradient(model, params, inputs, targets, executor=executor, chunk_size=chunk)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        qc.loss_and_gradient(model, params, inputs, targets, executor=executor,
                             chunk_size=chunk)
        best = min(best, time.perf_counter() - start)
    return best


def gradient_chunks() -> list[list]:
    cases = (("wdbc", wdbc(), (4, 20, 80)), ("mnist", digits_3_vs_5(), (2, 10, 50)))
    rows = []
    with open_executor("local:1") as one, open_executor("local:2") as two:
        for name, data, batches in cases:
            model = qc.QRUModel.preset(name)
            for batch in batches:
                here = _gradient_time(model, data, batch)
                whole = _gradient_time(model, data, batch, one, batch)
                split = _gradient_time(model, data, batch, two, math.ceil(batch / 2))
                rows.append([name, batch, round(here, 3), round(whole, 3), round(split, 3),
                             round(whole / split, 2)])
    return rows


def task_times() -> dict[str, float]:
    """Seconds per training sample and epoch of each preset (a full epoch for oscillation)."""
    times = {}
    for name, data in (("wdbc", wdbc()), ("mnist", digits_3_vs_5())):
        model = qc.QRUModel.preset(name)
        times[name] = _gradient_time(model, data, 20, repeats=1) / 20
    model = qc.QRUModel.preset("oscillation")
    series = oscillation()
    times["oscillation"] = _gradient_time(model, series, 2, repeats=1) / 2
    return times


def protocol_estimates(per_sample: dict[str, float]) -> list[list]:
    rows = []
    for label, preset, count, samples, steps, epochs in PROTOCOLS:
        task_seconds = per_sample[preset] * samples * epochs
        walls = [math.ceil(count / n) * task_seconds / 3600 for n in WORKERS]
        rows.append([label, count, f"{samples} x {steps} steps, {epochs} epochs",
                     round(task_seconds / 60, 1)] + [f"{w:.2f}" for w in walls])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--output", default="docs/scaling.md")
    args = parser.parse_args()

    cv_rows, identical = cross_validation_speedup(args.folds, args.epochs)
    cv = markdown_table(["execution", "cluster start + warm-up s", "CV wall s",
                         "speed-up over 1 worker"], cv_rows)
    chunk = markdown_table(["preset", "batch", "in process s", "1 worker, whole batch s",
                            "2 workers, 2 chunks s", "speed-up (1 -> 2 workers)"],
                           gradient_chunks())
    per_sample = task_times()
    estimates = markdown_table(
        ["protocol", "tasks", "one task", "task minutes"] + [f"{n} workers h" for n in WORKERS],
        protocol_estimates(per_sample))
    command = "python bench/scale_bench.py " + shlex.join(sys.argv[1:])
    section = "\n".join([
        "## Measured",
        "",
        f"`{command.strip()}` on {datetime.date.today()}, {os.cpu_count()} cores, "
        f"distributed {package_version('distributed')}, numpy {package_version('numpy')}.",
        "",
        f"### (a) WDBC cross-validation, {args.folds} folds x {args.epochs} epochs",
        "",
        cv,
        "",
        f"Fold results identical in all three runs: {'yes' if identical else 'NO'}.",
        "",
        "### (b) One mini-batch gradient: whole, or in 2 chunks on 2 workers",
        "",
        chunk,
        "",
        "### (c) The paper's protocols on N workers (estimate)",
        "",
        "Per-sample Jacobian cost per epoch measured here: "
        + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in per_sample.items()) + ".",
        "",
        estimates,
        "",
    ])
    print(section)
    write_section(Path(args.output), section)
    if not identical:
        sys.exit("fold results differ between executors")


if __name__ == "__main__":
    main()
