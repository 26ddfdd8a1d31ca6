"""Expectation-value backends: qsim (default, single precision), Cirq (double precision,
the reference) and the batched numpy engine (double precision, for training).

A backend evaluates one step circuit for many sets of angle-slot values in one simulator call
(a parameter sweep) and returns ``<Z>`` and ``<X>`` of every measured qubit.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import ClassVar, Protocol

import cirq
import numpy as np
import qsimcirq

from qru_compile.errors import BackendError
from qru_compile.sim.statevector import StatevectorProgram


class ExpectationBackend(Protocol):
    """Evaluates ``[<Z_q>, <X_q>]`` for every measured qubit and every row of slot values."""

    name: ClassVar[str]

    def expectations(
        self,
        circuit: cirq.AbstractCircuit,
        slot_names: Sequence[str],
        slot_values: np.ndarray,
        qubits: Sequence[cirq.Qid],
        measured: Sequence[cirq.Qid],
    ) -> np.ndarray:
        """Expectation values.

        Args:
            circuit: a circuit whose symbols are ``slot_names``.
            slot_names: the symbol names, in the column order of ``slot_values``.
            slot_values: shape ``[N, S]``, one row per parameter set.
            qubits: the full qubit order of the state.
            measured: qubits whose ``<Z>`` and ``<X>`` are returned.

        Returns:
            Shape ``[N, 2 * len(measured)]``: ``<Z_m0>, <X_m0>, <Z_m1>, ...`` per row.
        """
        ...


def _observables(measured: Sequence[cirq.Qid]) -> list[cirq.PauliString]:
    return [pauli(q) for q in measured for pauli in (cirq.Z, cirq.X)]


def _resolvers(slot_names: Sequence[str], slot_values: np.ndarray) -> list[cirq.ParamResolver]:
    return [cirq.ParamResolver(dict(zip(slot_names, row.tolist()))) for row in slot_values]


def _sweep(simulator: cirq.SimulatesExpectationValues, circuit: cirq.AbstractCircuit,
           slot_names: Sequence[str], slot_values: np.ndarray, qubits: Sequence[cirq.Qid],
           measured: Sequence[cirq.Qid]) -> np.ndarray:
    """One parameter sweep: every row of slot values in a single simulator call."""
    results = simulator.simulate_expectation_values_sweep(
        circuit, _observables(measured), _resolvers(slot_names, slot_values),
        qubit_order=list(qubits))
    return np.real(np.asarray(results, dtype=complex))


@dataclasses.dataclass(frozen=True)
class QsimBackend:
    """qsim's compiled state-vector simulator (single precision, about 1e-6 accurate).

    Attributes:
        threads: qsim CPU threads. One is the default: on small circuits more threads only add
            synchronisation, and on a busy 2-core machine OpenMP spin-waiting made two threads
            ten times slower (set ``OMP_WAIT_POLICY=PASSIVE`` before start-up when raising it).
    """

    name: ClassVar[str] = "qsim"
    threads: int = 1

    def expectations(
        self,
        circuit: cirq.AbstractCircuit,
        slot_names: Sequence[str],
        slot_values: np.ndarray,
        qubits: Sequence[cirq.Qid],
        measured: Sequence[cirq.Qid],
    ) -> np.ndarray:
        return _sweep(_qsim_simulator(self.threads), circuit, slot_names, slot_values, qubits,
                      measured)


@functools.lru_cache(maxsize=8)
def _qsim_simulator(threads: int) -> qsimcirq.QSimSimulator:
    return qsimcirq.QSimSimulator(qsim_options=qsimcirq.QSimOptions(cpu_threads=threads))


@dataclasses.dataclass(frozen=True)
class CirqBackend:
    """Cirq's state-vector simulator in double precision: the reference backend."""

    name: ClassVar[str] = "cirq"

    def expectations(
        self,
        circuit: cirq.AbstractCircuit,
        slot_names: Sequence[str],
        slot_values: np.ndarray,
        qubits: Sequence[cirq.Qid],
        measured: Sequence[cirq.Qid],
    ) -> np.ndarray:
        return _sweep(cirq.Simulator(dtype=np.complex128), circuit, slot_names, slot_values,
                      qubits, measured)


@functools.lru_cache(maxsize=32)
def statevector_program(circuit: cirq.AbstractCircuit, qubits: tuple[cirq.Qid, ...],
                        slot_names: tuple[str, ...],
                        measured: tuple[cirq.Qid, ...]) -> StatevectorProgram:
    """The batched engine's translation of a circuit (cached: translation takes milliseconds)."""
    return StatevectorProgram.from_circuit(circuit, qubits, slot_names, measured)


@dataclasses.dataclass(frozen=True)
class NumpyBackend:
    """The batched numpy state-vector engine (double precision; fastest for these sizes).

    See :mod:`qru_compile.sim.statevector`. It also computes parameter-shift Jacobians with
    shared prefixes (:meth:`shift_jacobian`).
    """

    name: ClassVar[str] = "numpy"

    def program(self, circuit: cirq.AbstractCircuit, slot_names: Sequence[str],
                qubits: Sequence[cirq.Qid], measured: Sequence[cirq.Qid]) -> StatevectorProgram:
        """The translated circuit."""
        return statevector_program(cirq.FrozenCircuit(circuit), tuple(qubits),
                                   tuple(slot_names), tuple(measured))

    def expectations(
        self,
        circuit: cirq.AbstractCircuit,
        slot_names: Sequence[str],
        slot_values: np.ndarray,
        qubits: Sequence[cirq.Qid],
        measured: Sequence[cirq.Qid],
    ) -> np.ndarray:
        return self.program(circuit, slot_names, qubits, measured).expectations(slot_values)


BACKENDS: dict[str, type[QsimBackend] | type[CirqBackend] | type[NumpyBackend]] = {
    QsimBackend.name: QsimBackend,
    CirqBackend.name: CirqBackend,
    NumpyBackend.name: NumpyBackend,
}


def get_backend(backend: str | ExpectationBackend) -> ExpectationBackend:
    """A backend instance from its name (``"qsim"`` or ``"cirq"``) or the instance itself.

    Raises:
        BackendError: for an unknown name; the message lists the known ones.
    """
    if not isinstance(backend, str):
        return backend
    try:
        return BACKENDS[backend]()
    except KeyError:
        raise BackendError(
            f"unknown backend {backend!r}; known backends: {', '.join(BACKENDS)}"
        ) from None
