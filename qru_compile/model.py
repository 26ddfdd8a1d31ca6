"""The QRU model: its shape, registers, readout and named parameter layout.

A :class:`QRUModel` is pure data (a frozen dataclass). It knows nothing about circuits; the
lowering module turns it into one time step of a Cirq circuit. The parameter layout follows
QRU_SPEC.md exactly, because trained weights and reference data use that order:

``[input (w, b) per feature] [hidden (w, b) per hidden value] [gate G on h0]
[layer 0: d0 .. h_last] [layer 1 ...] ... [+ output scale s]``
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qru_compile.errors import ModelError
from qru_compile.files import read_json
from qru_compile.limits import MAX_LAYERS, max_qubits, qubit_limit_message

#: Trainable single-qubit gate types and the names of their parameters, in layout order.
#: ``u2(phi, lam) = RZ(phi) RY(pi/2) RZ(lam)``; ``rot(phi, theta, omega) = RZ(omega) RY(theta)
#: RZ(phi)`` (the rightmost factor acts first), as in QRU_SPEC.md and PennyLane.
GATE_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "rx": ("theta",),
    "ry": ("theta",),
    "rz": ("theta",),
    "u2": ("phi", "lam"),
    "rot": ("phi", "theta", "omega"),
}

ReadoutKind = Literal["sequence", "binary", "multiclass"]
READOUT_KINDS: tuple[str, ...] = ("sequence", "binary", "multiclass")

#: Initial value of the trainable output scale of classification readouts (QRU_SPEC.md).
INITIAL_OUTPUT_SCALE = 100.0


def _require_int(field: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ModelError(f"{field}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ModelError(f"{field}: must be an integer >= {minimum}, got {value}")


def _require_gate(field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ModelError(f"{field}: expected a gate name (a string), got {value!r}; allowed "
                         f"gates: {', '.join(GATE_PARAMETERS)}")
    if value not in GATE_PARAMETERS:
        raise ModelError(
            f"{field}: unknown gate {value!r}; allowed gates: {', '.join(GATE_PARAMETERS)}"
        )



@dataclasses.dataclass(frozen=True)
class Readout:
    """How model outputs become predictions.

    Attributes:
        kind: ``"sequence"``: regression, ``y_t = <Z_d0>`` at every step (MSE loss);
            ``"binary"``: ``logit = s * <Z_d0>`` at the last step (sigmoid cross-entropy);
            ``"multiclass"``: ``logits = s * [<Z_d0>, ..., <Z_d(k-1)>]`` at the last step
            (softmax cross-entropy).
        classes: number of data qubits read: 1 for ``sequence`` and ``binary``, ``k >= 2``
            (the class count) for ``multiclass``.
        scale: whether the readout multiplies by a trainable output scale ``s``.
    """

    kind: ReadoutKind = "sequence"
    classes: int = 1
    scale: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in READOUT_KINDS:
            raise ModelError(
                f"readout.kind: unknown readout {self.kind!r}; allowed: {', '.join(READOUT_KINDS)}"
            )
        _require_int("readout.classes", self.classes, minimum=1)
        if not isinstance(self.scale, bool):
            raise ModelError(f"readout.scale: expected true or false, got {self.scale!r}")
        if self.kind == "multiclass" and self.classes < 2:
            raise ModelError(
                "readout.classes: a multiclass readout needs at least 2 classes, "
                f"got {self.classes}"
            )
        if self.kind != "multiclass" and self.classes != 1:
            raise ModelError(
                f"readout.classes: a {self.kind} readout reads one qubit, so classes must be 1, "
                f"got {self.classes}"
            )


@dataclasses.dataclass(frozen=True)
class QRUModel:
    """A Quantum Recurrent Unit: shape, gate types and readout.

    Attributes:
        I: input features per time step (two per data qubit).
        H: hidden values (two per hidden qubit: its <Z> and <X>); at least 3, since the two
            controlled-SWAPs need a control and a distinct target among the hidden qubits.
        L: variational layers (0 to :data:`~qru_compile.limits.MAX_LAYERS`).
        gate: type of the trainable gate on h0 between the two controlled-SWAPs.
        layer_gates: gate type per layer; a list cycles by layer index.
        readout: how outputs become predictions.
        name: a label for reports.
        go_backwards: feed each sequence last step first (Keras' ``go_backwards``), so a
            classification readout decides after the sequence's first step. Under a device's
            noise the hidden values lose a share of their signal every step and a QRU
            remembers its last few steps best: this puts the steps that carry the class there
            (8x8 digits: rows 1-3, docs/results.md). Classification readouts only.

    A model may have at most :func:`~qru_compile.limits.max_qubits` qubits (a state vector
    this machine's memory holds); larger ones raise :class:`ModelError` at construction.
    """

    I: int  # the paper's notation
    H: int
    L: int
    gate: str = "rx"
    layer_gates: tuple[str, ...] = ("rx",)
    readout: Readout = Readout()
    name: str = "custom"
    go_backwards: bool = False

    def __post_init__(self) -> None:
        _require_int("I", self.I, minimum=1)
        _require_int("H", self.H, minimum=3)
        _require_int("L", self.L, minimum=0)
        _check_size(self)
        _require_gate("gate", self.gate)
        if isinstance(self.layer_gates, str):
            object.__setattr__(self, "layer_gates", (self.layer_gates,))
        if not isinstance(self.layer_gates, (tuple, list)) or not self.layer_gates:
            raise ModelError(
                f"layer_gates: expected a gate name or a non-empty list of gate names, "
                f"got {self.layer_gates!r}"
            )
        object.__setattr__(self, "layer_gates", tuple(self.layer_gates))
        for index, gate in enumerate(self.layer_gates):
            _require_gate(f"layer_gates[{index}]", gate)
        if not isinstance(self.readout, Readout):
            raise ModelError(f"readout: expected a Readout, got {type(self.readout).__name__}")
        if not isinstance(self.name, str) or not self.name:
            raise ModelError(f"name: expected a non-empty string, got {self.name!r}")
        if not isinstance(self.go_backwards, bool):
            raise ModelError(f"go_backwards: expected true or false, got {self.go_backwards!r}")
        if self.go_backwards and self.readout.kind == "sequence":
            raise ModelError("go_backwards: a sequence readout predicts every step in order; "
                             "only binary and multiclass readouts may read backwards")
        if self.readout.classes > self.num_data_qubits:
            raise ModelError(
                f"readout.classes: reads {self.readout.classes} data qubits but the model has "
                f"only {self.num_data_qubits} (I={self.I})"
            )

    # ----------------------------------------------------------------------------- registers
    @property
    def num_data_qubits(self) -> int:
        """``nd = ceil(I / 2)``."""
        return math.ceil(self.I / 2)

    @property
    def num_hidden_qubits(self) -> int:
        """``nh = ceil(H / 2)``."""
        return math.ceil(self.H / 2)

    @property
    def num_qubits(self) -> int:
        """Data, hidden and the two ancilla qubits."""
        return self.num_data_qubits + self.num_hidden_qubits + 2

    @property
    def hidden_size(self) -> int:
        """Length of the hidden vector fed forward: ``2 * nh``."""
        return 2 * self.num_hidden_qubits

    @property
    def output_size(self) -> int:
        """Length of the per-step output vector: ``2 * nd``."""
        return 2 * self.num_data_qubits

    @property
    def data_names(self) -> tuple[str, ...]:
        """``("d0", ..., "d{nd-1}")``."""
        return tuple(f"d{i}" for i in range(self.num_data_qubits))

    @property
    def hidden_names(self) -> tuple[str, ...]:
        """``("h0", ..., "h{nh-1}")``."""
        return tuple(f"h{i}" for i in range(self.num_hidden_qubits))

    @property
    def ancilla_names(self) -> tuple[str, ...]:
        """The two swap-target ancillas, fresh ``|0>`` every step and never measured."""
        return ("a0", "a1")

    @property
    def qubit_names(self) -> tuple[str, ...]:
        """All qubits in register order: data, hidden, ancillas."""
        return self.data_names + self.hidden_names + self.ancilla_names

    def layer_gate(self, layer: int) -> str:
        """Gate type of variational layer ``layer`` (the list cycles)."""
        return self.layer_gates[layer % len(self.layer_gates)]

    # ----------------------------------------------------------------------------- parameters
    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of all parameters in layout order (the output scale last, if any)."""
        names = _circuit_parameter_names(self)
        return names + (("scale",) if self.readout.scale else ())

    @property
    def num_circuit_parameters(self) -> int:
        """Parameters that enter the circuit (all but the output scale)."""
        return len(_circuit_parameter_names(self))

    @property
    def num_parameters(self) -> int:
        """All trainable parameters, the output scale included."""
        return self.num_circuit_parameters + int(self.readout.scale)

    def parameter_index(self, name: str) -> int:
        """Position of parameter ``name`` in the layout.

        Raises:
            ModelError: if the model has no parameter of that name.
        """
        try:
            return self.parameter_names.index(name)
        except ValueError:
            raise ModelError(f"model {self.name!r} has no parameter named {name!r}") from None

    def initial_parameters(self, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Initial parameters as the paper draws them.

        Circuit weights are uniform in ``[0, 2*pi)``; the output scale, if any, starts at 100.

        Args:
            seed: an integer seed or a numpy Generator, for reproducibility.

        Returns:
            A float64 array of shape ``[num_parameters]``.
        """
        rng = np.random.default_rng(seed)
        circuit = rng.uniform(0.0, 2.0 * np.pi, size=self.num_circuit_parameters)
        if self.readout.scale:
            return np.concatenate([circuit, [INITIAL_OUTPUT_SCALE]])
        return circuit

    # ----------------------------------------------------------------------------- files
    @classmethod
    def preset(cls, name: str) -> QRUModel:
        """One of the paper's configurations: ``"oscillation"``, ``"wdbc"`` or ``"mnist"``.

        Raises:
            ModelError: for an unknown preset name (the message lists the known ones).
        """
        try:
            return PRESETS[name]
        except (KeyError, TypeError):
            raise ModelError(
                f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form read back by :meth:`from_dict` (``go_backwards`` only when set,
        so files and run manifests written before it existed still match)."""
        data = {
            "name": self.name,
            "I": self.I,
            "H": self.H,
            "L": self.L,
            "gate": self.gate,
            "layer_gates": list(self.layer_gates),
            "readout": dataclasses.asdict(self.readout),
        }
        return {**data, "go_backwards": True} if self.go_backwards else data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QRUModel:
        """Build a model from its dictionary form, checking every field.

        Raises:
            ModelError: naming the field that is missing, unknown, mistyped or inconsistent.
        """
        if not isinstance(data, Mapping):
            raise ModelError(f"a model must be a JSON object, got {type(data).__name__}")
        required = ("I", "H", "L")
        optional = ("name", "gate", "layer_gates", "readout", "go_backwards")
        unknown = sorted(set(data) - set(required) - set(optional))
        if unknown:
            raise ModelError(
                f"unknown field(s) {', '.join(map(repr, unknown))}; "
                f"allowed fields: {', '.join(required + optional)}"
            )
        missing = [key for key in required if key not in data]
        if missing:
            raise ModelError(f"missing required field(s): {', '.join(missing)}")
        kwargs: dict[str, Any] = {key: data[key] for key in required + optional if key in data}
        if "readout" in kwargs:
            kwargs["readout"] = _readout_from_dict(kwargs["readout"])
        if "layer_gates" in kwargs and not isinstance(kwargs["layer_gates"], (str, list, tuple)):
            raise ModelError(
                f"layer_gates: expected a gate name or a list of gate names, "
                f"got {kwargs['layer_gates']!r}"
            )
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | Path) -> QRUModel:
        """Read a model JSON file.

        Raises:
            ModelError: if the file cannot be read, is not UTF-8 JSON, or describes no valid
                model.
        """
        data = read_json(path, "model file", ModelError)
        try:
            return cls.from_dict(data)
        except ModelError as exc:
            raise ModelError(f"{path}: {exc}") from None

    def save(self, path: str | Path) -> None:
        """Write the model as a JSON file that :meth:`load` reads back."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")


def _check_size(model: QRUModel) -> None:
    """Refuse a model beyond :mod:`qru_compile.limits` before anything is built for it."""
    if model.L > MAX_LAYERS:
        raise ModelError(f"L: {model.L:,} layers exceed the limit of {MAX_LAYERS} "
                         "(qru_compile.limits.MAX_LAYERS)")
    if model.num_qubits > max_qubits():
        raise ModelError(f"I={model.I:,}, H={model.H:,}: the model's "
                         f"{qubit_limit_message(model.num_qubits)}")


def _circuit_parameter_names(model: QRUModel) -> tuple[str, ...]:
    names: list[str] = []
    for i in range(model.I):
        names += [f"input_w{i}", f"input_b{i}"]
    for i in range(model.hidden_size):
        names += [f"hidden_w{i}", f"hidden_b{i}"]
    names += [f"gate_{p}" for p in GATE_PARAMETERS[model.gate]]
    register = model.data_names + model.hidden_names
    for layer in range(model.L):
        gate_params = GATE_PARAMETERS[model.layer_gate(layer)]
        names += [f"layer{layer}_{q}_{p}" for q in register for p in gate_params]
    return tuple(names)


def _readout_from_dict(data: Any) -> Readout:
    if not isinstance(data, Mapping):
        raise ModelError(
            f"readout: expected an object with fields kind, classes, scale, got {data!r}"
        )
    allowed = {field.name for field in dataclasses.fields(Readout)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ModelError(
            f"readout: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"allowed fields: {', '.join(sorted(allowed))}"
        )
    return Readout(**data)


PRESETS: Mapping[str, QRUModel] = {
    "oscillation": QRUModel(
        I=1, H=10, L=4, gate="u2", layer_gates=("u2",),
        readout=Readout("sequence"), name="oscillation",
    ),
    "wdbc": QRUModel(
        I=1, H=8, L=3, gate="rx", layer_gates=("rx", "ry"),
        readout=Readout("binary", scale=True), name="wdbc",
    ),
    "mnist": QRUModel(
        I=8, H=8, L=4, gate="rot", layer_gates=("rot",),
        readout=Readout("multiclass", classes=2, scale=True), name="mnist",
    ),
}
