"""Build qru_compile/passes/data/cswap_decompositions.json from checked sources.

Sources:
* exact full controlled-SWAPs found by numerical search (7 CZ on a triangle, 8 CZ on a line
  with the control at an end), given as CZ edge sequences between U3 layers; converted here to
  PhasedXZ gates;
* fresh-ancilla controlled-SWAPs: the 4-CNOT construction (a relative-phase Toffoli from
  control and target onto the ancilla, then a CNOT from the ancilla back to the target) written
  out below, and numerical-search results given as JSON records of CZ and PhasedXZ operations.

Every entry is checked before it is written (the tests check the written file again).

Usage: python tools/build_cswap_table.py REFERENCE_DIR [FRESH_RESULTS.json ...]
e.g.   python tools/build_cswap_table.py ../shared/reference/cswap tools/cswap_search/results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cirq
import numpy as np

from qru_compile.passes.cswap_table import CSwapDecomposition, pattern_of
from qru_compile.testing import cswap_infidelity

ROLE = {0: "c", 1: "t", 2: "a"}
OUT = Path(__file__).resolve().parents[1] / "qru_compile/passes/data/cswap_decompositions.json"


def _u3(theta: float, phi: float, lam: float) -> np.ndarray:
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -np.exp(1j * lam) * s],
                     [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c]])


def _phxz(matrix: np.ndarray, role: str) -> dict:
    gate = cirq.PhasedXZGate.from_matrix(matrix)
    return {"gate": "phxz", "qubits": [role], "x_exponent": float(gate.x_exponent),
            "z_exponent": float(gate.z_exponent),
            "axis_phase_exponent": float(gate.axis_phase_exponent)}


_REFERENCE_GATES = {"cz": "cz", "sqiswap": "sqrt_iswap", "syc": "syc"}


def from_reference(path: Path, pattern: str) -> dict:
    data = json.loads(path.read_text())
    gate = _REFERENCE_GATES[data["two_qubit_gate"]]
    layers, edges = data["u3_params_per_layer"], data["edge_sequence"]
    ops: list[dict] = []
    for k, layer in enumerate(layers):
        for q, params in enumerate(layer):
            ops.append(_phxz(_u3(*params), ROLE[q]))
        if k < len(edges):
            ops.append({"gate": gate, "qubits": [ROLE[i] for i in edges[k]]})
    return {"name": f"exact_{pattern}_{len(edges)}{gate}", "kind": "exact", "pattern": pattern,
            "two_qubit_gate": gate, "source": f"numerical search ({path.name})", "ops": ops}


def margolus_fresh() -> dict:
    """Relative-phase Toffoli (c, t -> a) then CNOT(a -> t): 4 CNOTs on the line c-a-t."""
    ops = [("h", "a"), ("t", "a"), ("cnot", "t", "a"), ("tdg", "a"), ("cnot", "c", "a"),
           ("t", "a"), ("cnot", "t", "a"), ("tdg", "a"), ("h", "a"), ("cnot", "a", "t")]
    return {"name": "fresh_c-a-t_margolus_4cz", "kind": "fresh_ancilla", "pattern": "c-a-t",
            "two_qubit_gate": "cz",
            "source": "relative-phase (Margolus) Toffoli onto the ancilla, then CNOT(a -> t)",
            "ops": [{"gate": g, "qubits": list(q)} for g, *q in ops]}


def from_search(record: dict) -> dict:
    ops = []
    for op in record["ops"]:
        if op["gate"] == "phxz":
            ops.append({"gate": "phxz", "qubits": [ROLE[op["qubit"]]],
                        **{k: op[k] for k in ("x_exponent", "z_exponent", "axis_phase_exponent")}})
        else:
            ops.append({"gate": op["gate"], "qubits": [ROLE[i] for i in op["qubits"]]})
    gate = record["two_qubit_gate"]
    pattern = pattern_of(frozenset(frozenset(op["qubits"]) for op in ops if len(op["qubits"]) == 2))
    return {"name": f"fresh_{pattern}_{record['count']}{gate}", "kind": "fresh_ancilla",
            "pattern": pattern, "two_qubit_gate": gate,
            "source": f"numerical search over {gate} edge sequences", "ops": ops}


def main(reference: str, *fresh_files: str) -> None:
    ref = Path(reference)
    entries = [from_reference(ref / "fredkin_7cz_triangle.json", "triangle"),
               from_reference(ref / "fredkin_8cz_line.json", "c-t-a"),
               from_reference(ref / "fredkin_10sqiswap_line.json", "c-t-a"),
               from_reference(ref / "fredkin_10syc_line.json", "c-t-a"),
               margolus_fresh()]
    for name in fresh_files:
        for record in json.loads(Path(name).read_text()):
            if record["infidelity"] > 1e-10:
                continue
            entry = from_search(record)
            count = sum(1 for op in entry["ops"] if len(op["qubits"]) == 2)
            if not any(e["kind"] == entry["kind"] and e["pattern"] == entry["pattern"]
                       and e["two_qubit_gate"] == entry["two_qubit_gate"]
                       and sum(1 for op in e["ops"] if len(op["qubits"]) == 2) <= count
                       for e in entries):
                entries.append(entry)
    for entry in entries:
        d = CSwapDecomposition(entry["name"], entry["kind"], entry["pattern"], 0,
                               tuple(entry["ops"]), two_qubit_gate=entry["two_qubit_gate"])
        error = cswap_infidelity(d.operations(dict(zip("cta", cirq.LineQubit.range(3)))),
                                 fresh_ancilla=d.kind == "fresh_ancilla")
        if error > 1e-10:
            raise SystemExit(f"{entry['name']}: infidelity {error:.3g}, not written")
        print(f"{entry['name']:40s} {entry['kind']:14s} infidelity {error:.1e}")
    OUT.write_text(json.dumps(entries, indent=1) + "\n")
    print(f"wrote {len(entries)} decompositions to {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:])
