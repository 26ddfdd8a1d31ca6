"""Depth of the coherent-recurrence variant against the feed-forward QRU, by sequence length.

Run from the repository root with the project's venv::

    python bench/coherent_depth.py [--device willow_pink] [--lengths 1,8,30,100]

For each preset, the feed-forward program (``CompileResult.sequence_program``) and the coherent
variant (``qru_compile.coherent_program``: hidden qubits carried, data and ancilla qubits reset
mid-circuit, one circuit per sequence, compiled by Cirq's CZ target and RouteCQC) go through
``verify_constant_depth``; the table gives the deepest execution and the executions per
sequence at each length, the verdict, and the compile seconds of the coherent circuit.
"""

from __future__ import annotations

import argparse
import time

import qru_compile as qc
from qru_compile.tables import markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="willow_pink")
    parser.add_argument("--lengths", default="1,8,30,100")
    parser.add_argument("--presets", default="oscillation,wdbc,mnist")
    args = parser.parse_args()
    lengths = tuple(int(t) for t in args.lengths.split(","))
    rows = []
    for preset in args.presets.split(","):
        model = qc.QRUModel.preset(preset)
        result = qc.compile(model, args.device)
        seconds: dict[int, float] = {}

        def coherent(length: int, model: qc.QRUModel = model,
                     seconds: dict[int, float] = seconds) -> qc.SequenceProgram:
            start = time.perf_counter()
            program = qc.coherent_program(model, args.device, length)
            seconds[length] = time.perf_counter() - start
            return program

        for name, build in (("feed-forward (QRU)", result.sequence_program),
                            ("coherent recurrence", coherent)):
            certificate = qc.verify_constant_depth(build, lengths)
            for cost in certificate.per_length:
                rows.append([preset, name, cost.length, cost.executions, cost.max_depth,
                             cost.max_two_qubit_depth,
                             "-" if cost.max_duration_ns is None else f"{cost.max_duration_ns:g}",
                             "constant" if certificate.constant else "NOT constant",
                             f"{seconds[cost.length]:.1f}" if name != "feed-forward (QRU)"
                             else "-"])
    print(f"device {args.device}\n")
    print(markdown_table(["preset", "program", "T", "executions", "deepest execution (moments)",
                          "its two-qubit depth", "its duration ns", "verdict",
                          "coherent compile s"], rows))


if __name__ == "__main__":
    main()
