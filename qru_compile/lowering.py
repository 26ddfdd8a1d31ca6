"""Lowering: one QRU time step as a logical Cirq circuit with symbolic angle slots.

Every rotation angle of the step is one sympy symbol, an *angle slot*, carried by exactly one
rotation gate (``cirq.rx/ry/rz``, generator ``P/2``, so the parameter-shift rule is a shift by
``pi/2``). The :class:`AngleMap` turns ``(circuit parameters, x_t, h_{t-1})`` into slot values:

* input slot of feature ``i``: ``w_i * x_t[i] + b_i``;
* hidden slot of value ``i``: ``w_i * arcsin(h_{t-1}[i]) + b_i``;
* every other slot: the value of one parameter.

Composite gates become rotations in time order: ``u2(phi, lam)`` is ``rz(lam), ry(pi/2),
rz(phi)``; ``rot(phi, theta, omega)`` is ``rz(phi), ry(theta), rz(omega)``.
(The arcsin feed-forward and its clipping: :mod:`qru_compile.angle_map`.)
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Sequence

import cirq
import numpy as np
import sympy

from qru_compile.angle_map import AngleMap
from qru_compile.errors import InputError, ModelError
from qru_compile.model import GATE_PARAMETERS, QRUModel
from qru_compile.validation import finite_array


@dataclasses.dataclass(frozen=True)
class LogicalGate:
    """One gate of the step as the paper counts it (a ``u2``, a CNOT, a CSWAP, ...).

    Attributes:
        name: gate name: a rotation type from ``GATE_PARAMETERS``, ``"cnot"`` or ``"cswap"``.
        qubits: names of the qubits it acts on, control(s) first.
    """

    name: str
    qubits: tuple[str, ...]


@dataclasses.dataclass(frozen=True, eq=False)
class LoweredStep:
    """One QRU time step, ready to compile or simulate.

    Attributes:
        model: the model it was lowered from.
        circuit: the logical step circuit; its symbols are exactly the angle slots.
        qubits: all qubits in register order (data, hidden, ancillas).
        measured_qubits: data then hidden qubits, the order of the expectation vector.
        angle_map: slot values from parameters and signals.
        gates: the step's gates as the paper counts them, in application order.
    """

    model: QRUModel
    circuit: cirq.FrozenCircuit
    qubits: tuple[cirq.NamedQubit, ...]
    measured_qubits: tuple[cirq.NamedQubit, ...]
    angle_map: AngleMap
    gates: tuple[LogicalGate, ...]

    def resolver(self, slot_values: Sequence[float] | np.ndarray) -> cirq.ParamResolver:
        """A resolver binding every slot of the circuit to the given values (shape ``[S]``).

        Raises:
            InputError: unless there is one finite value per slot.
        """
        values = finite_array("slot_values", slot_values, limit=np.inf)
        if values.shape != (self.angle_map.num_slots,):
            raise InputError(f"slot_values: expected shape ({self.angle_map.num_slots},), got "
                             f"{values.shape}")
        return cirq.ParamResolver(dict(zip(self.angle_map.names, map(float, values))))


def lower(model: QRUModel) -> LoweredStep:
    """Lower one time step of ``model`` (cached: models are frozen and hashable).

    Returns:
        The step circuit with its angle map and the paper-level gate list.

    Raises:
        ModelError: if ``model`` is not a :class:`QRUModel` (a preset name, say).
    """
    if not isinstance(model, QRUModel):
        raise ModelError(f"expected a QRUModel (for a preset: QRUModel.preset(name)), got "
                         f"{type(model).__name__} {model!r:.60}")
    return _lower(model)


@functools.lru_cache(maxsize=64)
def _lower(model: QRUModel) -> LoweredStep:
    builder = _StepBuilder(model)
    builder.build()
    qubits = tuple(cirq.NamedQubit(name) for name in model.qubit_names)
    by_name = {q.name: q for q in qubits}
    measured = tuple(by_name[name] for name in model.data_names + model.hidden_names)
    angle_map = AngleMap(
        names=tuple(builder.slot_names),
        weight=np.array(builder.slot_weight, dtype=np.intp),
        bias=np.array(builder.slot_bias, dtype=np.intp),
        source=np.array(builder.slot_source, dtype=np.intp),
        num_inputs=model.I,
        hidden_size=model.hidden_size,
        num_circuit_parameters=model.num_circuit_parameters,
    )
    return LoweredStep(
        model=model,
        circuit=cirq.FrozenCircuit(builder.operations),
        qubits=qubits,
        measured_qubits=measured,
        angle_map=angle_map,
        gates=tuple(builder.gates),
    )


_ROTATIONS = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}


class _StepBuilder:
    """Accumulates the operations, slots and paper-level gates of one step, in spec order."""

    def __init__(self, model: QRUModel) -> None:
        self.model = model
        self.qubit = {name: cirq.NamedQubit(name) for name in model.qubit_names}
        self.params = {name: i for i, name in enumerate(model.parameter_names)}
        self.operations: list[cirq.Operation] = []
        self.gates: list[LogicalGate] = []
        self.slot_names: list[str] = []
        self.slot_weight: list[int] = []
        self.slot_bias: list[int] = []
        self.slot_source: list[int] = []

    def build(self) -> None:
        model = self.model
        constant = model.I + model.hidden_size
        for i in range(model.I):
            self._encoding(f"d{i // 2}", f"enc_x{i}", f"input_w{i}", f"input_b{i}", i, i)
        self._ring(model.data_names)
        for i in range(model.hidden_size):
            self._encoding(
                f"h{i // 2}", f"enc_h{i}", f"hidden_w{i}", f"hidden_b{i}", model.I + i, i
            )
        self._ring(model.hidden_names)
        h0, h1, h_last = "h0", "h1", model.hidden_names[-1]
        self._cnot("d0", h0)
        self._cswap(h0, h1, "a0")
        self._trainable(model.gate, h0, "gate", constant)
        self._cswap(h0, h_last, "a1")
        register = model.data_names + model.hidden_names
        for layer in range(model.L):
            for name in register:
                self._trainable(model.layer_gate(layer), name, f"layer{layer}_{name}", constant)
            self._ring(register)

    def _slot(self, name: str, weight: str, bias: str | None, source: int) -> sympy.Symbol:
        self.slot_names.append(name)
        self.slot_weight.append(self.params[weight])
        self.slot_bias.append(self.params[bias] if bias is not None else -1)
        self.slot_source.append(source)
        return sympy.Symbol(name)

    def _encoding(
        self, qubit: str, slot: str, weight: str, bias: str, source: int, index: int
    ) -> None:
        gate = "rx" if index % 2 == 0 else "ry"
        symbol = self._slot(slot, weight, bias, source)
        self.operations.append(_ROTATIONS[gate](symbol).on(self.qubit[qubit]))
        self.gates.append(LogicalGate(gate, (qubit,)))

    def _trainable(self, gate: str, qubit: str, prefix: str, constant: int) -> None:
        symbols = {
            p: self._slot(f"{prefix}_{p}", f"{prefix}_{p}", None, constant)
            for p in GATE_PARAMETERS[gate]
        }
        q = self.qubit[qubit]
        if gate in _ROTATIONS:
            ops = [_ROTATIONS[gate](symbols["theta"]).on(q)]
        elif gate == "u2":
            ops = [cirq.rz(symbols["lam"]).on(q), cirq.ry(np.pi / 2).on(q),
                   cirq.rz(symbols["phi"]).on(q)]
        else:  # rot
            ops = [cirq.rz(symbols["phi"]).on(q), cirq.ry(symbols["theta"]).on(q),
                   cirq.rz(symbols["omega"]).on(q)]
        self.operations += ops
        self.gates.append(LogicalGate(gate, (qubit,)))

    def _cnot(self, control: str, target: str) -> None:
        self.operations.append(cirq.CNOT(self.qubit[control], self.qubit[target]))
        self.gates.append(LogicalGate("cnot", (control, target)))

    def _cswap(self, control: str, target: str, ancilla: str) -> None:
        self.operations.append(
            cirq.CSWAP(self.qubit[control], self.qubit[target], self.qubit[ancilla])
        )
        self.gates.append(LogicalGate("cswap", (control, target, ancilla)))

    def _ring(self, names: Sequence[str]) -> None:
        """CNOT chain over ``names`` closed by last -> first; nothing for a single qubit."""
        for control, target in itertools.pairwise(names):
            self._cnot(control, target)
        if len(names) > 1:
            self._cnot(names[-1], names[0])


@dataclasses.dataclass(frozen=True)
class LogicalMetrics:
    """Per-step size of the logical circuit, counted as the paper counts it.

    Attributes:
        gates: all gates, a composite rotation (``u2``, ``rot``) and a CSWAP each as one.
        cnots: CNOT gates.
        cswaps: controlled-SWAP gates.
        depth: ASAP depth with every gate one time unit.
        slots: angle slots (rotation angles that vary with weights or inputs).
    """

    gates: int
    cnots: int
    cswaps: int
    depth: int
    slots: int


def logical_metrics(step: LoweredStep) -> LogicalMetrics:
    """Gate counts and depth of one lowered step, as in the paper's table."""
    names = [gate.name for gate in step.gates]
    return LogicalMetrics(
        gates=len(names),
        cnots=names.count("cnot"),
        cswaps=names.count("cswap"),
        depth=logical_depth(step.gates),
        slots=step.angle_map.num_slots,
    )


def logical_depth(gates: Sequence[LogicalGate]) -> int:
    """Depth of a gate list with every gate one time unit (ASAP layering), as the paper counts."""
    level: dict[str, int] = {}
    depth = 0
    for gate in gates:
        start = max((level.get(q, 0) for q in gate.qubits), default=0)
        for q in gate.qubits:
            level[q] = start + 1
        depth = max(depth, start + 1)
    return depth
