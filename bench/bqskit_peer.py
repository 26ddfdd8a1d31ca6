"""BQSKit as a fourth peer of the compile benchmark, where it finishes.

Run from the repository root (``pip install bqskit``; not in the bench extra: it compiles for
minutes, see below)::

    python bench/bqskit_peer.py
    python bench/bqskit_peer.py --levels 1 2 3 --devices rainbow --models oscillation

Each preset step (the same resolved QASM 2.0 as bench/compile_bench.py) is compiled by
``bqskit.compile`` onto the device's coupling graph with gate set {CZ, U3}, at each
``--levels`` optimisation level, one worker, seed 0; the CZ count and seconds are printed and
written into docs/benchmarks.md beside ours (the default compile).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from compile_bench import DEVICES, indexed_edges, make_case
from report_file import publish_table

import qru_compile as qc

GOOGLE = tuple(d for d in DEVICES if d in ("rainbow", "weber", "willow_pink"))
MODELS = ("oscillation", "wdbc", "mnist")
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def run_bqskit(device: str, model: str, level: int) -> tuple[int, float]:
    """BQSKit's CZ count and seconds for one step."""
    from bqskit import MachineModel
    from bqskit import compile as bqskit_compile
    from bqskit.compiler import Compiler
    from bqskit.ir.gates import CZGate, U3Gate
    from bqskit.ir.lang.qasm2 import OPENQASM2Language

    case = make_case(device, model, 1, 1)
    circuit = OPENQASM2Language().decode(case.qasm)
    machine = MachineModel(len(case.device.graph.nodes), indexed_edges(case.device.graph),
                           gate_set={CZGate(), U3Gate()})
    start = time.perf_counter()
    with Compiler(num_workers=1) as compiler:
        out = bqskit_compile(circuit, machine, optimization_level=level, compiler=compiler,
                             seed=0)
    return out.gate_counts.get(CZGate(), 0), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Print the table and write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--devices", nargs="+", default=list(GOOGLE))
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    rows = []
    for device in args.devices:
        for model in args.models:
            ours = qc.compile(qc.QRUModel.preset(model), device, cache=False)
            cells: list[object] = [device, model, ours.report.final.two_qubit]
            for level in args.levels:
                print(f"... {device} / {model} / level {level}", file=sys.stderr, flush=True)
                count, seconds = run_bqskit(device, model, level)
                cells.append(f"{count} / {seconds:.0f}")
            rows.append(cells)
    header = ["device", "model", "ours 2q", *(f"BQSKit level {lv} 2q / s" for lv in args.levels)]
    publish_table(args.output, "BQSKit (`bench/bqskit_peer.py`)",
                  "bench/bqskit_peer.py", argv, __doc__, header, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
