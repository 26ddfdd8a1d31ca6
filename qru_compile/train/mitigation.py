"""Error mitigation at evaluation: readout-error inversion and zero-noise extrapolation.

**Readout.** A qubit read with flip probabilities ``e01 = p(1 | 0)`` and ``e10 = p(0 | 1)``
reports ``<P>' = (1 - e01 - e10) <P> + (e10 - e01)`` (:class:`qru_compile.devices.calibration.
ReadoutMap`); inverting the affine map per observable is the inverse of the qubit's 2x2
confusion matrix applied to its outcome frequencies (single-qubit observables only). It costs no extra shots and removes the
bias exactly in expectation; it enlarges the shot noise by ``1 / (1 - e01 - e10)`` (1.4% on
willow_pink).

**Zero-noise extrapolation.** The step is run at noise scale factors ``lambda = 1, 3, 5, ...``
by global unitary folding, ``U -> U (U^dag U)^k`` with ``lambda = 2k + 1`` (the circuit and its
inverse again and again, so the ideal result is unchanged and every gate's noise is met
``lambda`` times), and each observable's values are extrapolated to ``lambda = 0`` by
Richardson's polynomial through the points. This is mitiq's ``fold_global`` and
``RichardsonFactory``; mitiq 1.1 pins ``cirq-core < 1.7`` and ``numpy < 2.3``, below our stack,
so the two small functions are ours, and ``bench/mitigation_bench.py`` checks them against
mitiq's (installed beside, without its pins). Each scale factor costs a full set of shots, and
the extrapolation enlarges their noise (``sum c_k^2``: 2.5x the variance for ``1, 3``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import cirq
import numpy as np
import sympy

from qru_compile.errors import InputError


def invert_readout(values: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Readout-mitigated expectation values: ``(values - beta) / alpha``, clipped to [-1, 1].

    Args:
        values: reported values ``[..., O]``.
        alpha, beta: the readout's affine map per observable ``[O]``.
    """
    return np.clip((values - beta) / alpha, -1.0, 1.0)


def check_scales(scales: Sequence[int]) -> tuple[int, ...]:
    """Noise scale factors for folding: distinct odd integers, the first 1.

    Raises:
        InputError: naming the offending value.
    """
    scales = tuple(scales)
    if len(scales) < 2 or scales[0] != 1:
        raise InputError(f"zero-noise extrapolation needs scale factors 1 and at least one more, "
                         f"got {list(scales)}")
    for scale in scales:
        if not isinstance(scale, (int, np.integer)) or scale < 1 or scale % 2 == 0:
            raise InputError(f"scale factor {scale!r}: global folding scales by odd integers "
                             "(1, 3, 5, ...)")
    if len(set(scales)) != len(scales):
        raise InputError(f"scale factors repeat: {list(scales)}")
    return scales


def fold_global(circuit: cirq.AbstractCircuit, scale: int,
                slot_names: Sequence[str]) -> tuple[cirq.FrozenCircuit, tuple[str, ...]]:
    """``U (U^dag U)^k`` with ``scale = 2k + 1`` (the step circuit has no measurements).

    Symbolic gates stay symbolic (the inverse of ``Rx(a)`` is ``Rx(-a)``), each copy of the
    circuit on its own symbols (``a``, ``a@1``, ``a@2``, ...): the simulators take one gate
    per slot. Feed the folded circuit :func:`fold_slot_values` of the original slot values.

    Returns:
        The folded circuit and its slot names, copy by copy.
    """
    if scale == 1:
        return cirq.FrozenCircuit(circuit.moments), tuple(slot_names)
    check_scales((1, scale))
    unitary = cirq.Circuit(circuit.moments)
    folded = cirq.Circuit()
    names: list[str] = []
    for copy in range(scale):
        renamed = {name: sympy.Symbol(f"{name}@{copy}" if copy else name)
                   for name in slot_names}
        part = cirq.resolve_parameters(unitary, cirq.ParamResolver(renamed))
        folded += _inverse(part) if copy % 2 else part
        names += [str(symbol) for symbol in renamed.values()]
    return folded.freeze(), tuple(names)


def _inverse(circuit: cirq.Circuit) -> cirq.Circuit:
    """``circuit``'s inverse, moment by moment, each gate in a form the simulators decode.

    ``cirq.inverse`` of a ``PhasedXZGate(x, z(t), a)`` moves the symbolic ``z`` into the axis
    phase (``a + z``), which no angle-slot decoder takes; ``Z^-z`` followed by
    ``PhasedXZGate(-x, 0, a)`` is the same inverse with the slot on a virtual Z (noiseless and
    of zero duration on Google's devices, as in cirq_google's noise model), put in a moment of
    its own just before.
    """
    moments = []
    for moment in reversed(circuit.moments):
        virtual, physical = [], []
        for op in moment.operations:
            gate = op.gate
            if (isinstance(gate, cirq.PhasedXZGate) and cirq.is_parameterized(gate.z_exponent)
                    and not cirq.is_parameterized(gate.x_exponent)
                    and not cirq.is_parameterized(gate.axis_phase_exponent)):
                virtual.append(cirq.ZPowGate(exponent=-gate.z_exponent).on(*op.qubits))
                physical.append(cirq.PhasedXZGate(
                    x_exponent=-gate.x_exponent, z_exponent=0,
                    axis_phase_exponent=gate.axis_phase_exponent).on(*op.qubits))
            else:
                physical.append(cirq.inverse(op))
        if virtual:
            moments.append(cirq.Moment(virtual))
        moments.append(cirq.Moment(physical))
    return cirq.Circuit(moments)


def fold_slot_values(slot_values: np.ndarray, scale: int) -> np.ndarray:
    """Slot values ``[N, S]`` of the step -> ``[N, scale * S]`` of its folded circuit."""
    return np.tile(slot_values, (1, scale))


def richardson_weights(scales: Sequence[int]) -> np.ndarray:
    """Weights ``c_k`` with ``f(0) ~ sum_k c_k f(lambda_k)``: Lagrange's polynomial through
    the points, evaluated at zero."""
    lam = np.asarray(check_scales(scales), dtype=float)
    weights = np.ones_like(lam)
    for k in range(len(lam)):
        for j in range(len(lam)):
            if j != k:
                weights[k] *= lam[j] / (lam[j] - lam[k])
    return weights


def richardson(scales: Sequence[int], values: np.ndarray) -> np.ndarray:
    """Values extrapolated to zero noise, ``values [K, ...]`` measured at the ``K`` scales."""
    weights = richardson_weights(scales)
    if len(values) != len(weights):
        raise InputError(f"{len(values)} sets of values for {len(weights)} scale factors")
    return np.tensordot(weights, values, axes=1)


@dataclasses.dataclass(frozen=True)
class Mitigation:
    """What the noisy evaluation corrects.

    Attributes:
        readout: invert each qubit's calibrated readout confusion.
        zne_scales: noise scale factors for zero-noise extrapolation (None: no ZNE).
    """

    KINDS: ClassVar[tuple[str, ...]] = ("none", "readout", "zne", "readout+zne")
    readout: bool = False
    zne_scales: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.zne_scales is not None:
            object.__setattr__(self, "zne_scales", check_scales(self.zne_scales))

    @classmethod
    def parse(cls, text: str, scales: Sequence[int] | None = None) -> Mitigation:
        """``"none"``, ``"readout"``, ``"zne"`` or ``"readout+zne"``; ZNE at ``scales``
        (default 1, 3).

        Raises:
            InputError: for another name.
        """
        if text not in cls.KINDS:
            raise InputError(f"mitigation {text!r}: expected one of {', '.join(cls.KINDS)}")
        scales = tuple(scales or (1, 3))
        return cls(readout="readout" in text, zne_scales=scales if "zne" in text else None)

    @property
    def name(self) -> str:
        """The name :meth:`parse` reads."""
        parts = ["readout"] * self.readout + ["zne"] * (self.zne_scales is not None)
        return "+".join(parts) or "none"

    @property
    def circuits_per_step(self) -> int:
        """Circuits (each with the full shot budget per basis) run per step and sample."""
        return 1 if self.zne_scales is None else len(self.zne_scales)


#: No correction: the estimates as measured.
NO_MITIGATION = Mitigation()
