"""Backends: what runs a step program, and what each can compute.

Three backends evaluate a :class:`~qru_compile.program.StepProgram` for many rows of angle-slot
values at once: ``numpy``, the batched double-precision engine
(:mod:`qru_compile.sim.statevector`, compiled with numba: fastest at these sizes); ``qsim``,
Google's single-precision simulator (about 1e-6 accurate); and ``cirq``, Cirq's
double-precision simulator, the reference.

Each backend declares its capabilities, in the spirit of PennyLane's device API
(``supports_derivatives`` / ``compute_derivatives`` / ``compute_vjp``), so that gradient code
asks for what it needs instead of checking which class it holds:

* ``expectations``: the observables' values per row;
* ``jacobian``: values and the parameter-shift Jacobian ``(f(t + pi/2) - f(t - pi/2)) / 2``
  per slot (every backend: by literal shifted evaluations, as on hardware, unless the
  backend has a faster exact way);
* ``vjp``: the Jacobian's product with a cotangent by the adjoint method (a simulator's
  shortcut: one backward sweep of the state, no shifted circuits).

Asking a backend for a capability it lacks raises :class:`BackendError` naming the backends
that have it.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar

import cirq
import numpy as np

from qru_compile.errors import BackendError
from qru_compile.program import StepProgram
from qru_compile.sim.qsim_kernel import QsimKernel
from qru_compile.sim.statevector import StatevectorProgram

#: Every capability a backend may declare.
CAPABILITIES = ("expectations", "jacobian", "vjp")


class Backend(abc.ABC):
    """A simulator that runs step programs; subclasses declare :attr:`capabilities`."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]

    def supports(self, capability: str) -> bool:
        """Whether this backend can compute ``capability`` (one of :data:`CAPABILITIES`)."""
        return capability in self.capabilities

    def require(self, capability: str, purpose: str) -> None:
        """Raise a one-line :class:`BackendError` if ``capability`` is missing.

        Args:
            capability: one of :data:`CAPABILITIES`.
            purpose: what needs it, for the message (e.g. "the adjoint gradient").
        """
        if not self.supports(capability):
            able = [name for name, cls in BACKENDS.items() if capability in cls.capabilities]
            raise BackendError(f"backend {self.name!r} cannot compute {purpose} "
                               f"({capability!r}); backends that can: {', '.join(able)}")

    @abc.abstractmethod
    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        """The observables' expectation values, ``[N, O]`` for slot values ``[N, S]``."""

    def jacobian(self, program: StepProgram,
                 slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values ``[N, O]`` and parameter-shift Jacobian ``[N, O, S]``.

        The default evaluates every slot shifted by ``+-pi/2``, ``2 S + 1`` rows per row, in
        one call of :meth:`expectations`, as hardware would.
        """
        self.require("jacobian", "parameter-shift Jacobians")
        batch, count = slot_values.shape
        shifts = np.zeros((2 * count + 1, count))
        shifts[1 : count + 1] = np.eye(count) * np.pi / 2
        shifts[count + 1 :] = -np.eye(count) * np.pi / 2
        rows = (slot_values[:, None, :] + shifts[None]).reshape(-1, count)
        values = self.expectations(program, rows).reshape(batch, 2 * count + 1, -1)
        jacobian = (values[:, 1 : count + 1] - values[:, count + 1 :]) / 2  # [N, S, O]
        return values[:, 0], np.transpose(jacobian, (0, 2, 1))

    def final_states(self, program: StepProgram,
                     slot_values: np.ndarray) -> tuple[np.ndarray, Any]:
        """Values ``[N, O]`` and what :meth:`vjp` needs to sweep back (final states)."""
        self.require("vjp", "the adjoint gradient")
        raise NotImplementedError  # pragma: no cover

    def vjp(self, program: StepProgram, slot_values: np.ndarray, cotangent: np.ndarray,
            states: Any = None) -> np.ndarray:
        """``sum_o cotangent[r, o] * jacobian[r, o, s]`` per row, ``[N, S]``, by the adjoint
        method (``states`` from :meth:`final_states` spare a forward run)."""
        self.require("vjp", "the adjoint gradient")
        raise NotImplementedError  # pragma: no cover


def resolvers(program: StepProgram, slot_values: np.ndarray) -> list[cirq.ParamResolver]:
    """One resolver per row of slot values (for Cirq-style sweeps)."""
    names = program.slot_names
    return [cirq.ParamResolver(dict(zip(names, row.tolist()))) for row in slot_values]


@dataclasses.dataclass(frozen=True)
class QsimBackend(Backend):
    """qsim's compiled state-vector simulator (single precision, about 1e-6 accurate).

    A program is translated once into qsim gates (:class:`~qru_compile.sim.qsim_kernel.
    QsimKernel`); each row then only rebinds its angle values, instead of qsimcirq's resolve
    and translation per point (19-95x less time per point at 8-12 qubits, bench/).

    Attributes:
        threads: qsim CPU threads. One is the default: on small circuits more threads only add
            synchronisation, and on a busy 2-core machine OpenMP spin-waiting made two threads
            ten times slower (set ``OMP_WAIT_POLICY=PASSIVE`` before start-up when raising it).
    """

    name: ClassVar[str] = "qsim"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations", "jacobian"})
    threads: int = 1

    def kernel(self, program: StepProgram) -> QsimKernel:
        """The program translated for qsim (once per program and thread count)."""
        return program.translation(f"qsim:{self.threads}", lambda: QsimKernel(
            program.circuit, program.qubits, program.slot_names, program.observables,
            threads=self.threads))

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        return self.kernel(program).expectations(slot_values)


@dataclasses.dataclass(frozen=True)
class CirqBackend(Backend):
    """Cirq's state-vector simulator in double precision: the reference backend."""

    name: ClassVar[str] = "cirq"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations", "jacobian"})

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        results = cirq.Simulator(dtype=np.complex128).simulate_expectation_values_sweep(
            program.circuit, list(program.observables), resolvers(program, slot_values),
            qubit_order=list(program.qubits))
        return np.real(np.asarray(results, dtype=complex))


@dataclasses.dataclass(frozen=True)
class StatevectorBackend(Backend):
    """The batched state-vector engine (double precision; fastest for these sizes).

    See :mod:`qru_compile.sim.statevector`: its parameter-shift Jacobian shares the gates
    before each slot between the shifted evaluations, and it has the adjoint method.
    """

    name: ClassVar[str] = "numpy"
    capabilities: ClassVar[frozenset[str]] = frozenset({"expectations", "jacobian", "vjp"})

    @staticmethod
    def engine(program: StepProgram) -> StatevectorProgram:
        """The program translated for the engine (once per program)."""
        return program.translation("numpy", lambda: StatevectorProgram.from_circuit(
            program.circuit, program.qubits, program.slot_names, program.observables))

    def expectations(self, program: StepProgram, slot_values: np.ndarray) -> np.ndarray:
        return self.engine(program).expectations(slot_values)

    def jacobian(self, program: StepProgram,
                 slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.engine(program).shift_jacobian(slot_values)

    def final_states(self, program: StepProgram,
                     slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.engine(program).final_states(slot_values)

    def vjp(self, program: StepProgram, slot_values: np.ndarray, cotangent: np.ndarray,
            states: Any = None) -> np.ndarray:
        return self.engine(program).vector_jacobian(slot_values, cotangent, states)[1]


BACKENDS: dict[str, type[Backend]] = {
    QsimBackend.name: QsimBackend,
    CirqBackend.name: CirqBackend,
    StatevectorBackend.name: StatevectorBackend,
}


#: ``"auto"`` picks qsim from this many qubits up. Measured (bench/qsim_kernel_bench.py, per
#: point, QRU user models): at 8 qubits the batched engine is as fast forward and 5x faster for
#: parameter-shift Jacobians (it shares the gates before each slot); at 12 qubits qsim is 2.4x
#: faster forward and 1.45x for Jacobians, at 16 8x and 4x; and the engine's permutation tables
#: grow as ``2**n * n`` (1.4 GB at 20 qubits). The adjoint method is the engine's alone.
QSIM_FROM_QUBITS = 12


def get_backend(backend: str | Backend, program: StepProgram | None = None,
                needs: str = "expectations") -> Backend:
    """A backend instance from its name (see :data:`BACKENDS`, or ``"auto"``) or the instance.

    Args:
        backend: a name, ``"auto"`` (the fastest backend with ``needs`` for ``program``'s
            size, see :data:`QSIM_FROM_QUBITS`) or an instance (returned as it is).
        program: what will run (needed by ``"auto"``).
        needs: the capability the caller will use.

    Raises:
        BackendError: for an unknown name; the message lists the known ones.
    """
    if isinstance(backend, Backend):
        return backend
    if backend == "auto" and program is not None:
        small = len(program.qubits) < QSIM_FROM_QUBITS
        return StatevectorBackend() if small or needs == "vjp" else QsimBackend()
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}; known backends: auto, "
                           f"{', '.join(BACKENDS)}")
    return BACKENDS[backend]()
