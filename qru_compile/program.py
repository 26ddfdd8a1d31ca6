"""The step program: what one QRU time step executes, logical or compiled.

A :class:`StepProgram` holds the circuit with its angle-slot symbols, the angle map that turns
``(parameters, x_t, h_{t-1})`` into slot values, the qubit order of the state, and the
observables whose expectation values are the step's outputs: ``<Z>`` and ``<X>`` of every
logical data qubit, then of every hidden qubit, as :class:`cirq.PauliString` on the circuit's
own qubits (so a compiled step may measure parities instead of single qubits). Simulation,
gradients, training and the noisy evaluation all take one (see
:func:`qru_compile.targets.step_program`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import cirq
import numpy as np

from qru_compile.angle_map import AngleMap
from qru_compile.lowering import LoweredStep
from qru_compile.model import QRUModel

#: The measurement bases of every step (its Z-basis and X-basis executables), in run order.
BASES: tuple[str, ...] = ("Z", "X")


def z_and_x(qubits: Sequence[cirq.Qid]) -> tuple[cirq.PauliString[cirq.Qid], ...]:
    """``Z_q, X_q`` of each qubit in order: the step's output order."""
    return tuple(pauli(q) for q in qubits for pauli in (cirq.Z, cirq.X))


@dataclasses.dataclass(frozen=True, eq=False)
class StepProgram:
    """One time step as it executes.

    Attributes:
        model: the QRU model.
        circuit: the step circuit; its symbols are exactly the angle slots.
        angle_map: slot values from parameters, inputs and the previous hidden values.
        qubits: the state's qubit order (every qubit the circuit or an observable touches).
        observables: ``<Z_d0>, <X_d0>, ..., <Z_h0>, <X_h0>, ...`` as Pauli strings on
            ``qubits``; the first ``model.output_size`` are the outputs, the rest the hidden
            values fed to the next step.
        device: the device it was compiled for (None: the logical step).
        gateset: the native gateset it was compiled to (None: the logical step).
    """

    model: QRUModel
    circuit: cirq.FrozenCircuit
    angle_map: AngleMap
    qubits: tuple[cirq.Qid, ...]
    observables: tuple[cirq.PauliString[cirq.Qid], ...]
    device: str | None = None
    gateset: str | None = None
    _translations: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def logical(cls, step: LoweredStep) -> StepProgram:
        """The lowered step as it stands: named qubits, single-qubit observables."""
        return cls(step.model, step.circuit, step.angle_map, step.qubits,
                   z_and_x(step.measured_qubits))

    def __getstate__(self) -> dict[str, Any]:
        # translations stay behind: they are rebuilt on demand, and some (qsim's) cannot be
        # pickled, so a program travels to Dask workers as its plain fields
        return {**self.__dict__, "_translations": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def target(self) -> str:
        """``"logical"`` or ``"DEVICE/GATESET"``."""
        return "logical" if self.device is None else f"{self.device}/{self.gateset}"

    @property
    def slot_names(self) -> tuple[str, ...]:
        """The slot symbols, in the column order of slot-value arrays."""
        return self.angle_map.names

    @property
    def output_size(self) -> int:
        """How many of the observables are outputs (``2 * nd``); the rest are hidden values."""
        return self.model.output_size

    def slot_values(self, params: np.ndarray, inputs: np.ndarray,
                    hidden: np.ndarray) -> np.ndarray:
        """Slot values ``[B, S]`` of one step for a batch (see :meth:`AngleMap.values`)."""
        return self.angle_map.values(params, inputs, hidden)

    def translation(self, key: str, build: Callable[[], Any]) -> Any:
        """A backend's translation of this program, built once by ``build()`` and kept."""
        if key not in self._translations:
            self._translations[key] = build()
        return self._translations[key]
