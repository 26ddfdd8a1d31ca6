"""The final CNOT ring absorbed into the readout: fewer gates, parities instead of single bits.

Each QRU step ends with a CNOT ring over the data and hidden qubits, right before they are
measured in Z (one executable) or X (the other). A CNOT circuit permutes basis states linearly
over GF(2), so measuring ``Z_q`` after it is measuring a Z parity before it, and ``X_q`` after
it an X parity before it (``CNOT (Z_c, Z_t) CNOT = (Z_c, Z_c Z_t)`` and ``CNOT (X_c, X_t)
CNOT = (X_c X_t, X_t)``). Dropping the last ``k`` CNOTs of the step and conjugating each
observable through them computes the same outputs with ``k`` fewer CNOTs and the routing they
force; each output is then the parity of a few measured bits, so on hardware it suffers the
readout error of all of them (attenuation ``prod (1 - e01 - e10)``), which
:func:`readout_attenuation` estimates from the calibration.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import cirq

from qru_compile.devices import Device
from qru_compile.errors import InputError
from qru_compile.lowering import LoweredStep


def trailing_cnots(step: LoweredStep) -> int:
    """How many CNOTs end the step (the final ring's, for a QRU)."""
    count = 0
    for op in reversed(list(step.circuit.all_operations())):
        if op.gate != cirq.CNOT:
            break
        count += 1
    return count


def without_final_cnots(step: LoweredStep, count: int | str
                        ) -> tuple[LoweredStep, tuple[cirq.Operation, ...]]:
    """The step without its last ``count`` CNOTs (``"all"``: every trailing CNOT), and those
    CNOTs in time order.

    Raises:
        InputError: for a count that is not between 0 and the trailing CNOTs.
    """
    available = trailing_cnots(step)
    if count == "all":
        count = available
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= available:
        raise InputError(f"absorb_ring: expected 'all' or a whole number from 0 to {available} "
                         f"(the CNOTs that end the step), got {count!r}")
    if count == 0:
        return step, ()
    operations = list(step.circuit.all_operations())
    kept, absorbed = operations[:-count], tuple(operations[-count:])
    truncated = dataclasses.replace(step, circuit=cirq.FrozenCircuit(kept),
                                    gates=step.gates[:-count])
    return truncated, absorbed


def parity_observables(measured: Sequence[cirq.Qid], absorbed: Sequence[cirq.Operation]
                       ) -> tuple[cirq.PauliString[cirq.Qid], ...]:
    """``Z_q, X_q`` of each measured qubit after ``absorbed``, as Pauli strings before it."""
    observables = []
    for qubit in measured:
        for pauli in (cirq.Z, cirq.X):
            observable: cirq.PauliString[cirq.Qid] = cirq.PauliString(pauli(qubit))
            for op in reversed(absorbed):  # U^dag P U with U = C_k ... C_1
                observable = observable.conjugated_by(op)
            observables.append(observable)
    return tuple(observables)


def on_physical_qubits(observables: Sequence[cirq.PauliString[cirq.Qid]],
                       where: Mapping[cirq.Qid, cirq.Qid]
                       ) -> tuple[cirq.PauliString[cirq.Qid], ...]:
    """The observables with each logical qubit replaced by the physical one it ends on."""
    return tuple(cirq.PauliString({where[q]: p for q, p in o.items()}, coefficient=o.coefficient)
                 for o in observables)


def readout_attenuation(observables: Sequence[cirq.PauliString[cirq.Qid]], device: Device
                        ) -> float | None:
    """Mean over the observables of ``prod (1 - 2 e_q)`` over their qubits, ``e_q`` the
    calibrated mean readout error (None without calibration)."""
    if not device.readout_errors:
        return None
    factors = []
    for observable in observables:
        factor = 1.0
        for qubit in observable.qubits:
            factor *= 1.0 - 2.0 * device.readout_errors.get(qubit, 0.0)
        factors.append(factor)
    return sum(factors) / len(factors)
