"""Analysis of a step circuit: which controlled-SWAPs swap into a fresh ``|0>`` ancilla."""

from __future__ import annotations

import itertools

import cirq


def fresh_ancillas(circuit: cirq.AbstractCircuit,
                   measured: frozenset[cirq.Qid]) -> dict[int, cirq.Qid]:
    """Controlled-SWAPs whose swap target is a fresh ancilla, by operation position.

    A target qualifies when it is provably ``|0>`` right before the CSWAP, nothing touches it
    afterwards, and it is not measured. "Provably ``|0>``": every qubit starts in ``|0>``, and
    through CNOTs and SWAPs each qubit's basis value is tracked as a parity of unknowns; a qubit
    whose parity is empty is ``|0>`` in every branch (so a state moved out of a ``|0>`` qubit
    by two CNOTs leaves ``|0>`` behind). Any other gate makes its qubits unknown. These are
    facts of the circuit, not of qubit names.

    Returns:
        ``{position in circuit.all_operations(): ancilla qubit}``.
    """
    operations = list(circuit.all_operations())
    last_use = {q: i for i, op in enumerate(operations) for q in op.qubits}
    parity: dict[cirq.Qid, int] = {}
    unknowns = itertools.count()
    found: dict[int, cirq.Qid] = {}
    for i, op in enumerate(operations):
        if op.gate == cirq.CSWAP:
            for candidate in op.qubits[1:]:
                if (candidate not in measured and parity.get(candidate, 0) == 0
                        and last_use[candidate] == i):
                    found[i] = candidate
                    break
        if op.gate == cirq.CNOT:
            control, target = op.qubits
            parity[target] = parity.get(target, 0) ^ parity.get(control, 0)
        elif op.gate == cirq.SWAP:
            a, b = op.qubits
            parity[a], parity[b] = parity.get(b, 0), parity.get(a, 0)
        else:
            for q in op.qubits:
                parity[q] = 1 << next(unknowns)
    return found
