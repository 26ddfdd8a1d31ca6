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
from qru_compile.gatesets import get_gateset
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
        raise InputError(f"absorb_ring: expected 'auto', 'search', 'all' or a whole number from "
                         f"0 to {available} (the CNOTs that end the step), got {count!r}")
    if count == 0:
        return step, ()
    operations = list(step.circuit.all_operations())
    kept, absorbed = operations[:-count], tuple(operations[-count:])
    truncated = dataclasses.replace(step, circuit=cirq.FrozenCircuit(kept),
                                    gates=step.gates[:-count])
    return truncated, absorbed


def parity_observables(measured: Sequence[cirq.Qid], absorbed: Sequence[cirq.Operation]
                       ) -> tuple[cirq.PauliString[cirq.Qid], ...]:
    """``Z_q, X_q`` of each measured qubit after ``absorbed``, as Pauli strings before it.

    Through CNOTs the supports are tracked as sets (``Z_t -> Z_c Z_t``, ``X_c -> X_c X_t``,
    no signs): Cirq's ``PauliString.conjugated_by`` builds a Clifford tableau per gate, the
    bulk of an ``absorb_ring="auto"`` compile's extra time; other gates go through it.
    """
    if any(op.gate != cirq.CNOT for op in absorbed):
        return _conjugated(measured, absorbed)
    observables: list[cirq.PauliString[cirq.Qid]] = []
    for qubit in measured:
        z, x = {qubit}, {qubit}
        for op in reversed(absorbed):  # U^dag P U with U = C_k ... C_1
            control, target = op.qubits
            if target in z:
                z ^= {control}
            if control in x:
                x ^= {target}
        observables.append(cirq.PauliString({q: cirq.Z for q in z}))
        observables.append(cirq.PauliString({q: cirq.X for q in x}))
    return tuple(observables)


def _conjugated(measured: Sequence[cirq.Qid], absorbed: Sequence[cirq.Operation]
                ) -> tuple[cirq.PauliString[cirq.Qid], ...]:
    observables = []
    for qubit in measured:
        for pauli in (cirq.Z, cirq.X):
            observable: cirq.PauliString[cirq.Qid] = cirq.PauliString(pauli(qubit))
            for op in reversed(absorbed):
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


def absorption_estimates(step: LoweredStep, where: Mapping[cirq.Qid, cirq.Qid], device: Device,
                         gateset: str) -> list[float] | None:
    """Estimated fidelity of what is measured with the last ``k`` ring CNOTs absorbed, for
    ``k = 0, 1, ...``, relative to the ring kept (1 at ``k = 0``), for ``step`` placed and
    routed with the ring.

    Absorbing a CNOT saves the native two-qubit gates it costs on the pair where its qubits
    end (``where``: logical -> physical; the ring is the step's last gates, so where they end
    is where it ran unless routing moved them within it) and weighs each output by the readout
    attenuation of its parity. The list stops before the first CNOT whose qubits do not end
    on coupled qubits.

    Args:
        step: the logical step with its ring.
        where: where each measured logical qubit ends.
        device: the device (readout and two-qubit errors from its calibration).
        gateset: the native gateset compiled to.

    Returns:
        The estimates (index ``k``), or None without calibration.
    """
    _, ring = without_final_cnots(step, "all")
    measured = step.measured_qubits
    cost = get_gateset(gateset).stored_gate_cost("cz")
    estimates, saved = [], 1.0
    for k in range(len(ring) + 1):
        if k:
            control, target = (where[q] for q in ring[-k].qubits)
            error = device.two_qubit_error(gateset, control, target)
            if error is None:
                break
            saved *= (1.0 - error) ** cost
        observables = on_physical_qubits(parity_observables(measured, ring[len(ring) - k:]),
                                         where)
        attenuation = readout_attenuation(observables, device)
        if attenuation is None:
            return None
        estimates.append(attenuation / saved)
    return [estimate / estimates[0] for estimate in estimates]
