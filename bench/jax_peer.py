"""The authors' training pipeline, rebuilt from QRU_SPEC.md: PennyLane + JAX back-propagation.

Used by ``bench/train_bench.py`` only (the ``bench`` extra: ``pip install jax pennylane``).

One QRU step is a PennyLane ``default.qubit`` QNode with ``interface="jax"`` and
``diff_method="backprop"``, built from the spec alone (registers, encodings, CNOT rings,
gating block, variational layers, <Z> and <X> of every data and hidden qubit); none of this
package's lowering or simulators is used. The training step is what the authors' code does:
``jax.jit(jax.value_and_grad(loss))``, the QNode ``jax.vmap``-ed over the batch inside a
``jax.lax.scan`` over the time steps (the hidden vector is the scan's carry, fed forward through
``arcsin``), in float64 (``jax_enable_x64``). The loss is the readout's: MSE of ``<Z_d0>`` at
every step (oscillation), sigmoid cross-entropy of ``s * <Z_d0>`` at the last step (WDBC),
softmax cross-entropy of ``s * [<Z_d0>, <Z_d1>]`` at the last step (digits).

:func:`statevector_step` is the same step as a small pure-JAX state-vector function (what
``default.qubit`` does under ``jit``), the fallback when a QNode cannot be traced by ``vmap``
and ``scan``; ``make_loss(model, engine="statevector")`` uses it.

Import this module before any other module imports JAX: it sets ``jax_enable_x64``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

try:
    import pennylane as qml
except ImportError:  # the pure-JAX step still works
    qml = None  # type: ignore[assignment]

#: Parameters per gate type (QRU_SPEC.md): rx/ry/rz 1, u2 (phi, lam) 2, rot (phi, theta, omega) 3.
GATE_SIZES = {"rx": 1, "ry": 1, "rz": 1, "u2": 2, "rot": 3}
ENGINES = ("pennylane", "statevector")

Step = Callable[[jnp.ndarray, jnp.ndarray, jnp.ndarray], jnp.ndarray]


class Layout:
    """Registers and parameter offsets of a model, from the spec's formulas.

    ``model`` needs only ``I``, ``H``, ``L``, ``gate``, ``layer_gates`` and ``readout``.
    Wires: ``d0..d[nd-1]``, ``h0..h[nh-1]``, ``a0``, ``a1`` are ``0..n-1`` in that order.
    """

    def __init__(self, model) -> None:
        self.inputs = model.I
        self.nd = math.ceil(model.I / 2)
        self.nh = math.ceil(model.H / 2)
        self.layers = model.L
        self.gate = model.gate
        self.layer_gates = tuple(model.layer_gates)
        self.readout = model.readout
        self.data = list(range(self.nd))
        self.hidden = list(range(self.nd, self.nd + self.nh))
        self.ancillas = [self.nd + self.nh, self.nd + self.nh + 1]
        self.qubits = self.nd + self.nh + 2
        self.hidden_offset = 2 * self.inputs
        self.gate_offset = self.hidden_offset + 4 * self.nh
        self.layer_offsets = []
        offset = self.gate_offset + GATE_SIZES[self.gate]
        for layer in range(self.layers):
            self.layer_offsets.append(offset)
            offset += GATE_SIZES[self.layer_gate(layer)] * (self.nd + self.nh)
        self.circuit_parameters = offset

    def layer_gate(self, layer: int) -> str:
        return self.layer_gates[layer % len(self.layer_gates)]


def ring(wires: list[int]) -> list[tuple[int, int]]:
    """The spec's CNOT ring: w0->w1, ..., w[n-2]->w[n-1], then w[n-1]->w0; none for one wire."""
    if len(wires) < 2:
        return []
    return [(wires[k], wires[k + 1]) for k in range(len(wires) - 1)] + [(wires[-1], wires[0])]


def step_operations(layout: Layout, params: jnp.ndarray, x: jnp.ndarray,
                    h: jnp.ndarray) -> list[tuple]:
    """The step's gates in order: ``(name, wires, angles)``; names rx, ry, rz, u2, rot, cnot,
    cswap (wires control first). ``x``: ``[I]`` features; ``h``: ``[2*nh]`` previous hidden."""
    ops: list[tuple] = []
    for i in range(layout.inputs):
        angle = params[2 * i] * x[i] + params[2 * i + 1]
        ops.append(("rx" if i % 2 == 0 else "ry", (layout.data[i // 2],), (angle,)))
    ops += [("cnot", pair, ()) for pair in ring(layout.data)]
    signal = jnp.arcsin(jnp.clip(h, -1.0, 1.0))
    for i in range(2 * layout.nh):
        k = layout.hidden_offset + 2 * i
        ops.append(("rx" if i % 2 == 0 else "ry", (layout.hidden[i // 2],),
                    (params[k] * signal[i] + params[k + 1],)))
    ops += [("cnot", pair, ()) for pair in ring(layout.hidden)]
    h0, h1, hlast = layout.hidden[0], layout.hidden[1], layout.hidden[-1]
    a0, a1 = layout.ancillas
    size = GATE_SIZES[layout.gate]
    ops += [("cnot", (layout.data[0], h0), ()), ("cswap", (h0, h1, a0), ()),
            (layout.gate, (h0,), tuple(params[layout.gate_offset + j] for j in range(size))),
            ("cswap", (h0, hlast, a1), ())]
    register = layout.data + layout.hidden
    for layer in range(layout.layers):
        gate = layout.layer_gate(layer)
        size = GATE_SIZES[gate]
        for q, wire in enumerate(register):
            first = layout.layer_offsets[layer] + size * q
            ops.append((gate, (wire,), tuple(params[first + j] for j in range(size))))
        ops += [("cnot", pair, ()) for pair in ring(register)]
    return ops


# ------------------------------------------------------------------ PennyLane default.qubit
def pennylane_step(layout: Layout) -> Step:
    """``(params, x [I], h [2*nh]) -> [<Z_q>, <X_q> for q in d0.., h0..]``: a default.qubit
    QNode, ``interface="jax"``, ``diff_method="backprop"``."""
    if qml is None:
        raise ImportError("pennylane is not installed (pip install pennylane)")
    device = qml.device("default.qubit", wires=layout.qubits)
    gates = {"rx": qml.RX, "ry": qml.RY, "rz": qml.RZ, "u2": qml.U2, "rot": qml.Rot}
    measured = layout.data + layout.hidden

    @qml.qnode(device, interface="jax", diff_method="backprop")
    def circuit(params, x, h):
        for name, wires, angles in step_operations(layout, params, x, h):
            if name == "cnot":
                qml.CNOT(wires=list(wires))
            elif name == "cswap":
                qml.CSWAP(wires=list(wires))
            else:
                gates[name](*angles, wires=wires[0])
        return [qml.expval(pauli(wire)) for wire in measured
                for pauli in (qml.PauliZ, qml.PauliX)]

    return lambda params, x, h: jnp.stack(circuit(params, x, h))


# ------------------------------------------------------------------ pure-JAX state vector
def _rotation(name: str, angles: tuple) -> jnp.ndarray:
    """The 2x2 matrix of a single-qubit gate (QRU_SPEC.md conventions, global phase dropped)."""
    def rz(t):
        return jnp.array([[jnp.exp(-0.5j * t), 0], [0, jnp.exp(0.5j * t)]])

    def ry(t):
        c, s = jnp.cos(t / 2), jnp.sin(t / 2)
        return jnp.array([[c, -s], [s, c]]).astype(jnp.complex128)

    def rx(t):
        c, s = jnp.cos(t / 2), jnp.sin(t / 2)
        return jnp.array([[c, -1j * s], [-1j * s, c]])

    if name == "rx":
        return rx(angles[0])
    if name == "ry":
        return ry(angles[0])
    if name == "rz":
        return rz(angles[0])
    if name == "u2":  # RZ(phi) RY(pi/2) RZ(lam): RZ(lam) acts first
        return rz(angles[0]) @ ry(jnp.pi / 2) @ rz(angles[1])
    if name == "rot":  # RZ(omega) RY(theta) RZ(phi): RZ(phi) acts first
        return rz(angles[2]) @ ry(angles[1]) @ rz(angles[0])
    raise ValueError(f"unknown gate {name!r}")


def statevector_step(layout: Layout) -> Step:
    """The same step as :func:`pennylane_step`, as a pure-JAX state-vector function.

    The state is a tensor ``[2] * n`` (wire 0 first); a single-qubit gate is a ``tensordot`` on
    its axis, CNOT and CSWAP are index permutations of the flat vector.
    """
    n = layout.qubits
    index = np.arange(2**n)
    bits = [(index >> (n - 1 - wire)) & 1 for wire in range(n)]

    def permutation(name: str, wires: tuple[int, ...]) -> np.ndarray:
        if name == "cnot":
            control, target = wires
            return index ^ (bits[control] << (n - 1 - target))
        control, first, second = wires
        differ = bits[control] & (bits[first] ^ bits[second])
        return index ^ (differ << (n - 1 - first)) ^ (differ << (n - 1 - second))

    def apply(state: jnp.ndarray, matrix: jnp.ndarray, wire: int) -> jnp.ndarray:
        moved = jnp.tensordot(matrix, state, axes=[[1], [wire]])
        return jnp.moveaxis(moved, 0, wire)

    measured = layout.data + layout.hidden
    flips = [index ^ (1 << (n - 1 - wire)) for wire in measured]
    signs = [1.0 - 2.0 * bit for bit in (bits[wire] for wire in measured)]

    def step(params, x, h):
        state = jnp.zeros(2**n, dtype=jnp.complex128).at[0].set(1.0).reshape([2] * n)
        for name, wires, angles in step_operations(layout, params, x, h):
            if name in ("cnot", "cswap"):
                state = state.reshape(-1)[permutation(name, wires)].reshape([2] * n)
            else:
                state = apply(state, _rotation(name, angles), wires[0])
        flat = state.reshape(-1)
        probabilities = jnp.abs(flat) ** 2
        values = []
        for flip, sign in zip(flips, signs, strict=True):
            values += [jnp.sum(sign * probabilities), jnp.real(jnp.vdot(flat, flat[flip]))]
        return jnp.stack(values)

    return step


# ------------------------------------------------------------------ the training loss
def make_loss(model, engine: str = "pennylane") -> Callable:
    """``loss(params, inputs [B, T, I], targets)`` of the model's readout, traceable by JAX.

    The step (``engine``: ``"pennylane"`` or ``"statevector"``) is ``jax.vmap``-ed over the batch
    inside a ``jax.lax.scan`` over time; the carry is the hidden vector ``[B, 2*nh]``.
    """
    layout = Layout(model)
    step = pennylane_step(layout) if engine == "pennylane" else statevector_step(layout)
    batched = jax.vmap(step, in_axes=(None, 0, 0))
    outs_size = 2 * layout.nd
    circuit_size = layout.circuit_parameters
    readout = layout.readout

    def loss(params, inputs, targets):
        circuit = params[:circuit_size]

        def body(hidden, x_t):
            values = batched(circuit, x_t, hidden)
            return values[:, outs_size:], values[:, :outs_size]

        hidden0 = jnp.zeros((inputs.shape[0], 2 * layout.nh))
        _, outs = jax.lax.scan(body, hidden0, jnp.swapaxes(inputs, 0, 1))  # [T, B, 2*nd]
        scale = params[-1] if readout.scale else 1.0
        if readout.kind == "sequence":
            return jnp.mean((scale * outs[:, :, 0].T - targets) ** 2)
        if readout.kind == "binary":
            logit = scale * outs[-1, :, 0]
            return jnp.mean(jnp.logaddexp(0.0, logit) - targets * logit)
        logits = scale * outs[-1, :, 0 : 2 * readout.classes : 2]
        log_probs = jax.nn.log_softmax(logits, axis=1)
        labels = targets.astype(jnp.int32)
        return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))

    return loss


def value_and_grad(model, engine: str = "pennylane") -> Callable:
    """``jax.jit(jax.value_and_grad(loss))`` of :func:`make_loss`: ``(params, inputs,
    targets) -> (loss, gradient)``, JAX arrays (compiled once per batch shape)."""
    return jax.jit(jax.value_and_grad(make_loss(model, engine)))
