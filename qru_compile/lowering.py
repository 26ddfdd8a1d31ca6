"""Lowering: one QRU time step as a logical Cirq circuit with symbolic angle slots.

Every rotation angle of the step is one sympy symbol, an *angle slot*, carried by exactly one
rotation gate (``cirq.rx/ry/rz``, generator ``P/2``, so the parameter-shift rule is a shift by
``pi/2``). The :class:`AngleMap` turns ``(circuit parameters, x_t, h_{t-1})`` into slot values:

* input slot of feature ``i``: ``w_i * x_t[i] + b_i``;
* hidden slot of value ``i``: ``w_i * arcsin(h_{t-1}[i]) + b_i``;
* every other slot: the value of one parameter.

Composite gates become rotations in time order: ``u2(phi, lam)`` is ``rz(lam), ry(pi/2),
rz(phi)``; ``rot(phi, theta, omega)`` is ``rz(phi), ry(theta), rz(omega)``.

The arcsin feed-forward: a hidden value must lie in ``[-1, 1]`` (it is an expectation value).
Simulators in single precision can return values a few ulp outside that range, so values are
clipped into ``[-1, 1]`` before ``arcsin``. The derivative ``1 / sqrt(1 - h^2)`` is infinite at
``|h| = 1``; it is evaluated at ``|h|`` clipped to ``1 - ARCSIN_DERIVATIVE_MARGIN``, which bounds
it by about 707 and keeps gradients finite.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Sequence

import cirq
import numpy as np
import sympy

from qru_compile.errors import InputError, ModelError
from qru_compile.model import GATE_PARAMETERS, QRUModel
from qru_compile.validation import finite_array

#: Hidden values are clipped to ``|h| <= 1 - ARCSIN_DERIVATIVE_MARGIN`` for the arcsin derivative.
ARCSIN_DERIVATIVE_MARGIN = 1e-6


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
class AngleMap:
    """Affine-in-parameters map from weights and signals to angle-slot values.

    Slot ``k`` has value ``p[weight[k]] * z[source[k]] + (p[bias[k]] if bias[k] >= 0 else 0)``,
    where the signal vector is ``z = [x_t (I values), arcsin(h_{t-1}) (2*nh values), 1]``.

    Attributes:
        names: slot symbol names, in circuit order.
        weight: parameter index multiplying the slot's signal.
        bias: parameter index added to the slot, or -1.
        source: index into the signal vector ``z``.
        num_inputs: ``I``.
        hidden_size: ``2 * nh``.
        num_circuit_parameters: length of the circuit-parameter vector.
    """

    names: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray
    source: np.ndarray
    num_inputs: int
    hidden_size: int
    num_circuit_parameters: int

    @property
    def num_slots(self) -> int:
        """Number of angle slots ``S``."""
        return len(self.names)

    @property
    def constant_source(self) -> int:
        """Index of the constant 1 in the signal vector."""
        return self.num_inputs + self.hidden_size

    def values(self, params: np.ndarray, inputs: np.ndarray, hidden: np.ndarray) -> np.ndarray:
        """Slot values for a batch.

        Args:
            params: circuit parameters, shape ``[P]``.
            inputs: ``x_t``, shape ``[B, I]``.
            hidden: previous hidden vectors, shape ``[B, 2*nh]``.

        Returns:
            Slot values, shape ``[B, S]``.
        """
        params = self._check_params(params)
        z = self._signals(inputs, hidden)
        bias = np.where(self.bias >= 0, params[np.maximum(self.bias, 0)], 0.0)
        return params[self.weight] * z[:, self.source] + bias

    def jacobians(
        self, params: np.ndarray, inputs: np.ndarray, hidden: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Derivatives of the slot values.

        Args:
            params: circuit parameters, shape ``[P]``.
            inputs: ``x_t``, shape ``[B, I]``.
            hidden: previous hidden vectors, shape ``[B, 2*nh]``.

        Returns:
            ``(d slots/d params [B, S, P], d slots/d inputs [B, S, I],
            d slots/d hidden [B, S, 2*nh])``; the hidden derivative goes through the clipped
            arcsin (see the module docstring).
        """
        params = self._check_params(params)
        z = self._signals(inputs, hidden)
        batch, slots = z.shape[0], np.arange(self.num_slots)
        d_params = np.zeros((batch, self.num_slots, self.num_circuit_parameters))
        d_params[:, slots, self.weight] += z[:, self.source]
        has_bias = self.bias >= 0
        d_params[:, slots[has_bias], self.bias[has_bias]] += 1.0
        d_signals = np.zeros((batch, self.num_slots, self.constant_source + 1))
        d_signals[:, slots, self.source] = params[self.weight]
        d_inputs = d_signals[:, :, : self.num_inputs]
        d_hidden = d_signals[:, :, self.num_inputs : self.constant_source]
        d_hidden = d_hidden * arcsin_derivative(np.asarray(hidden, dtype=float))[:, None, :]
        return d_params, d_inputs, d_hidden

    def pullback(self, params: np.ndarray, inputs: np.ndarray, hidden: np.ndarray,
                 d_slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chain rule through the map: cotangents of the parameters and hidden inputs.

        Each slot depends on one weight, at most one bias and one signal, so this is a scatter
        of ``d_slots``, not a product with the dense :meth:`jacobians`.

        Args:
            params: circuit parameters, shape ``[P]``.
            inputs: ``x_t``, shape ``[B, I]``.
            hidden: previous hidden vectors, shape ``[B, 2*nh]``.
            d_slots: cotangents of the slot values, ``[B, S]``.

        Returns:
            ``(d params [P], d hidden [B, 2*nh])``, the hidden one through the clipped arcsin.
        """
        params = self._check_params(params)
        z = self._signals(inputs, hidden)
        size = self.num_circuit_parameters
        d_params = np.bincount(self.weight, np.sum(d_slots * z[:, self.source], axis=0),
                               minlength=size)
        has_bias = self.bias >= 0
        d_params += np.bincount(self.bias[has_bias], np.sum(d_slots[:, has_bias], axis=0),
                                minlength=size)
        d_signals = (d_slots * params[self.weight]) @ self._hidden_sources
        d_hidden = d_signals * arcsin_derivative(np.asarray(hidden, dtype=float))
        return d_params, d_hidden

    @functools.cached_property
    def _hidden_sources(self) -> np.ndarray:
        """``[S, 2*nh]``: 1 where slot ``s`` takes hidden value ``j`` as its signal."""
        onehot = np.zeros((self.num_slots, self.hidden_size))
        hidden = np.flatnonzero((self.source >= self.num_inputs)
                                & (self.source < self.constant_source))
        onehot[hidden, self.source[hidden] - self.num_inputs] = 1.0
        return onehot

    def _check_params(self, params: np.ndarray) -> np.ndarray:
        params = finite_array("circuit parameters", params)
        if params.shape != (self.num_circuit_parameters,):
            raise InputError(
                f"circuit parameters: expected shape ({self.num_circuit_parameters},), "
                f"got {params.shape}"
            )
        return params

    def _signals(self, inputs: np.ndarray, hidden: np.ndarray) -> np.ndarray:
        inputs = finite_array("inputs", inputs)
        hidden = finite_array("hidden", hidden)
        if inputs.ndim != 2 or inputs.shape[1] != self.num_inputs:
            raise InputError(f"inputs: expected shape [B, {self.num_inputs}], got {inputs.shape}")
        if hidden.shape != (inputs.shape[0], self.hidden_size):
            raise InputError(
                f"hidden: expected shape [{inputs.shape[0]}, {self.hidden_size}], "
                f"got {hidden.shape}"
            )
        ones = np.ones((inputs.shape[0], 1))
        return np.concatenate([inputs, clipped_arcsin(hidden), ones], axis=1)


def clipped_arcsin(hidden: np.ndarray) -> np.ndarray:
    """``arcsin`` of hidden values clipped into ``[-1, 1]`` (simulator round-off)."""
    return np.arcsin(np.clip(hidden, -1.0, 1.0))


def arcsin_derivative(hidden: np.ndarray) -> np.ndarray:
    """``1 / sqrt(1 - h^2)`` with ``|h|`` clipped to ``1 - ARCSIN_DERIVATIVE_MARGIN``."""
    bound = 1.0 - ARCSIN_DERIVATIVE_MARGIN
    clipped = np.clip(hidden, -bound, bound)
    return 1.0 / np.sqrt(1.0 - clipped**2)


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
