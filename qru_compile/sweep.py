"""Compile many models for many devices, one independent job per pair, into one table.

A pair that cannot be compiled (the model does not fit the device, an unsupported gateset) is a
row with its error, not the end of the sweep.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from typing import Any

from qru_compile.errors import QRUError
from qru_compile.executor import Executor, LocalExecutor
from qru_compile.model import QRUModel
from qru_compile.tables import markdown_table, text_table


@dataclasses.dataclass(frozen=True)
class SweepJob:
    """One (model, device) compilation."""

    model: QRUModel
    device: str
    gateset: str | None = None
    seed: int = 0
    verify_equivalence: bool = False


@dataclasses.dataclass(frozen=True)
class SweepRow:
    """Per-step metrics of one compiled pair, or the reason it failed (``error``)."""

    model: str
    device: str
    gateset: str | None
    parameters: int
    qubits: int | None = None
    two_qubit: int | None = None
    two_qubit_depth: int | None = None
    depth: int | None = None
    duration_ns: float | None = None
    fidelity: float | None = None
    seconds: float | None = None
    error: str | None = None


def compile_job(job: SweepJob) -> SweepRow:
    """Compile one pair (a module-level function, so Dask workers can run it)."""
    from qru_compile.compiler import compile as compile_model

    start = time.perf_counter()
    try:
        result = compile_model(job.model, job.device, job.gateset, seed=job.seed,
                               verify_equivalence=job.verify_equivalence)
    except QRUError as error:
        return SweepRow(job.model.name, job.device, job.gateset, job.model.num_parameters,
                        error=str(error))
    final = result.report.final
    return SweepRow(job.model.name, job.device, result.report.gateset,
                    job.model.num_parameters, final.qubits, final.two_qubit,
                    final.two_qubit_depth, final.depth, final.duration_ns, final.fidelity,
                    time.perf_counter() - start)


def sweep(models: Sequence[QRUModel], devices: Sequence[str], *, gateset: str | None = None,
          seed: int = 0, verify_equivalence: bool = False,
          executor: Executor | None = None) -> list[SweepRow]:
    """Compile every model for every device; rows in (model, device) order."""
    jobs = [SweepJob(model, device, gateset, seed, verify_equivalence)
            for model in models for device in devices]
    names = [f"{i}-{job.model.name}-{job.device}" for i, job in enumerate(jobs)]
    return (executor or LocalExecutor()).map(compile_job, jobs, names=names)


_HEADERS = ("model", "device", "gateset", "params", "qubits", "2q gates", "2q depth", "depth",
            "duration ns", "est. fidelity", "compile s", "status")


def _cells(row: SweepRow) -> list[Any]:
    def show(value: Any, digits: int | None = None) -> Any:
        if value is None:
            return "-"
        return round(value, digits) if digits is not None else value

    return [row.model, row.device, row.gateset or "-", row.parameters, show(row.qubits),
            show(row.two_qubit), show(row.two_qubit_depth), show(row.depth),
            show(row.duration_ns, 0), show(row.fidelity, 4), show(row.seconds, 2),
            "ok" if row.error is None else f"failed: {row.error}"]


def sweep_report(rows: Sequence[SweepRow], fmt: str = "table") -> str:
    """The rows as ``"table"`` (plain text), ``"markdown"`` or ``"json"``."""
    if fmt == "json":
        return json.dumps([dataclasses.asdict(r) for r in rows], indent=1)
    render = markdown_table if fmt == "markdown" else text_table
    return render(_HEADERS, [_cells(r) for r in rows])
