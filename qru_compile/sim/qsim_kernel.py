"""qsim with the circuit translated once: per point only the angle-carrying matrices change.

qsimcirq's ``simulate_expectation_values_sweep`` resolves the sympy symbols of the whole Cirq
circuit and re-translates it into qsim's C++ circuit for every parameter point; on our 7-12
qubit step circuits that Python work (milliseconds per point) dwarfs the simulation itself.

What qsimcirq 0.22's pybind module (``qsimcirq.qsim``) allows: a ``qsim.Circuit`` is filled by
``add_gate`` / ``add_matrix_gate`` and handed to ``qsim_simulate_expectation_values(options,
opsums, initial_state)`` through ``options["c"]``; the C++ side copies it. Its gate list cannot
be read, copied, pickled or edited from Python (``Circuit.gates`` has no Python conversion; it
can only be reset to ``[]``), so a built circuit cannot be rebound in place and a fresh circuit
has to be filled per point. The cheapest route is therefore to make that fill as short as
possible and keep Python bytecode out of it:

* at construction the circuit is decoded once into a short list of qsim gates: every
  single-qubit gate (fixed or carrying a slot) is folded into a neighbouring multi-qubit gate
  on its qubit, giving one 4x4 matrix gate per two-qubit gate (3-4x fewer gates than the Cirq
  circuit, so qsim's own fuser has less to do too); CSWAP/CCX/CCZ stay qsim's native gates;
* each matrix is a product of fixed matrices and slot rotations ``cos(w t / 2) A + sin(w t / 2)
  B``; for a batch of rows all of them are computed by one compiled loop;
* the per-point circuits are filled gate by gate across the whole batch with ``map`` over the
  pybind functions (no Python loop body per gate and point), and each is simulated by one
  ``qsim_simulate_expectation_values`` call with opstrings built once.

With a noise model the same holds for qsim's trajectory simulator: the model is applied to
the symbolic circuit once, its channels become constant ``add_channel`` data, single-qubit
gates are not folded across them, and each point is one
``qtrajectory_simulate_expectation_values`` call averaging ``repetitions`` trajectories.

Symbols must enter single-qubit ``XPowGate``/``YPowGate``/``ZPowGate`` (so ``cirq.rx`` etc.)
or ``PhasedXZGate`` exponents linearly; global phases are dropped (they cancel in expectation
values). Qubit ``qubits[0]`` is the most significant, as in Cirq; qsim computes in float32.
The translation into qsim gates is :mod:`qru_compile.sim.qsim_gates`; this module computes the
slot matrices per point and fills and runs the qsim circuits.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import cirq
import numba
import numpy as np
import qsimcirq
from qsimcirq import qsim

from qru_compile.errors import BackendError, InputError
from qru_compile.sim.qsim_gates import (
    MatrixProgram,
    NativeGate,
    NoiseChannel,
    opstrings,
    qsim_floats,
    translate_circuit,
)

_CHUNK = 256  # points whose qsim circuits exist at once


@dataclasses.dataclass(frozen=True)
class _Tables:
    """The slot-carrying programs flattened for :func:`_fill_matrices` (gate ``j`` has
    dimension ``dims[j]``, factors ``factor_start[j]:factor_start[j+1]`` and its float32
    matrix in ``out[:, out_start[j]:out_start[j+1]]``, interleaved real/imaginary)."""

    dims: np.ndarray
    fixed_start: np.ndarray
    fixed: np.ndarray
    factor_start: np.ndarray
    slots: np.ndarray
    weights: np.ndarray
    part_start: np.ndarray
    parts: np.ndarray
    out_start: np.ndarray

    @classmethod
    def of(cls, programs: Sequence[MatrixProgram]) -> _Tables:
        """Flatten ``programs`` (each with at least one factor)."""
        dims = np.array([len(p.fixed) for p in programs], dtype=np.int64)
        factors = [f for p in programs for f in p.factors]
        parts = [m for f in factors for m in (f.cos_part, f.sin_part)]
        return cls(
            dims=dims,
            fixed_start=np.cumsum([0] + [d * d for d in dims]).astype(np.int64),
            fixed=np.concatenate([p.fixed.ravel() for p in programs]).astype(complex),
            factor_start=np.cumsum([0] + [len(p.factors) for p in programs]).astype(np.int64),
            slots=np.array([f.slot for f in factors], dtype=np.int64),
            weights=np.array([f.weight for f in factors], dtype=float),
            part_start=np.cumsum([0] + [m.size for m in parts]).astype(np.int64),
            parts=np.concatenate([m.ravel() for m in parts]).astype(complex),
            out_start=np.cumsum([0] + [2 * d * d for d in dims]).astype(np.int64),
        )

    def matrices(self, values: np.ndarray) -> np.ndarray:
        """``[N, out_start[-1]]`` float32: every program's matrix for every row of values."""
        out = np.empty((len(values), int(self.out_start[-1])), dtype=np.float32)
        _fill_matrices(np.ascontiguousarray(values), self.dims, self.fixed_start, self.fixed,
                       self.factor_start, self.slots, self.weights, self.part_start,
                       self.parts, self.out_start, out)
        return out


@numba.njit(cache=True)
def _fill_matrices(values: np.ndarray, dims: np.ndarray, fixed_start: np.ndarray,
                   fixed: np.ndarray, factor_start: np.ndarray, slots: np.ndarray,
                   weights: np.ndarray, part_start: np.ndarray, parts: np.ndarray,
                   out_start: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    # One compiled loop: numpy's batched [N, 4, 4] products cost ~1 us per factor and row in
    # temporaries (58 us per point on oscillation), this ~0.1 us.
    size = 1
    for d in dims:
        size = max(size, d * d)
    m = np.empty(size, dtype=np.complex128)
    tmp = np.empty(size, dtype=np.complex128)
    rot = np.empty(size, dtype=np.complex128)
    for r in range(values.shape[0]):
        for j in range(len(dims)):
            d = dims[j]
            m[: d * d] = fixed[fixed_start[j] : fixed_start[j] + d * d]
            for f in range(factor_start[j], factor_start[j + 1]):
                half = 0.5 * weights[f] * values[r, slots[f]]
                c, s = np.cos(half), np.sin(half)
                a = parts[part_start[2 * f] : part_start[2 * f + 1]]
                b = parts[part_start[2 * f + 1] : part_start[2 * f + 2]]
                for i in range(d * d):
                    rot[i] = c * a[i] + s * b[i]
                for i in range(d):
                    for k in range(d):
                        acc = 0j
                        for l in range(d):
                            acc += rot[i * d + l] * m[l * d + k]
                        tmp[i * d + k] = acc
                m[: d * d] = tmp[: d * d]
            o = out_start[j]
            for i in range(d * d):
                out[r, o + 2 * i] = m[i].real
                out[r, o + 2 * i + 1] = m[i].imag


class QsimKernel:
    """One step circuit translated once for qsim; evaluates many slot settings.

    Attributes:
        num_qubits: qubits of the state.
        num_slots: columns of the slot-value arrays.
        num_gates: qsim gates (and noise channels) added per point, after folding
            single-qubit gates.
        noisy: whether points run on qsim's trajectory simulator (the circuit, with the noise
            model applied, has channels).
    """

    def __init__(self, circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid],
                 slot_names: Sequence[str], observables: Sequence[cirq.PauliString[cirq.Qid]], *,
                 threads: int = 1, max_fused_gate_size: int = 2,
                 noise: cirq.NOISE_MODEL_LIKE = None, repetitions: int = 1000,
                 seed: int = 0) -> None:
        """Translate ``circuit`` and ``observables``.

        Args:
            circuit: the step circuit; its symbols must be among ``slot_names``.
            qubits: the qubit order of the state (every qubit the circuit touches).
            slot_names: symbol names, in the column order of the slot-value arrays.
            observables: Pauli strings with real coefficients on ``qubits``.
            threads: qsim CPU threads.
            max_fused_gate_size: qsim's gate fusion limit (``QSimOptions.max_fused_gate_size``).
            noise: a noise model, applied once as ``noise.noisy_moments(circuit, qubits)``; its
                channels must not depend on the angles. Channels already in ``circuit`` are
                simulated too.
            repetitions: trajectories per point if the circuit has channels
                (``QSimOptions.ev_noisy_repetitions``).
            seed: trajectory seed; point ``i`` of an :meth:`expectations` call uses
                ``seed + i``, so results are reproducible.

        Raises:
            BackendError: for gates, symbols or observables this kernel cannot handle.
        """
        qubits = list(qubits)
        if len(set(qubits)) != len(qubits):
            raise BackendError("qsim kernel: repeated qubits in the qubit order")
        if not observables:
            raise BackendError("qsim kernel: no observables given")
        if noise is not None:
            model = cirq.NoiseModel.from_noise_model_like(noise)
            circuit = cirq.Circuit(model.noisy_moments(circuit, qubits))
        # qsim numbers qubits in reverse order from Cirq (as qsimcirq's translator does)
        index = {q: len(qubits) - 1 - i for i, q in enumerate(qubits)}
        self.num_qubits = len(qubits)
        self.num_slots = len(slot_names)
        gates = translate_circuit(circuit, index, {name: k for k, name in enumerate(slot_names)})
        self.num_gates = len(gates)
        self.noisy = any(isinstance(g, NoiseChannel) for g in gates)
        programs = [g for g in gates if isinstance(g, MatrixProgram) and g.factors]
        self._tables = _Tables.of(programs) if programs else None
        # per gate: (what, qsim qubits, native kind | matrix data | table index | operators)
        self._plan: list[tuple[str, list[int], Any]] = []
        for gate in gates:
            if isinstance(gate, NativeGate):
                self._plan.append(("native", list(gate.qubits), gate.kind))
            elif isinstance(gate, NoiseChannel):
                self._plan.append(("channel", list(gate.qubits), gate.operators))
            elif gate.factors:
                self._plan.append(("slot", list(gate.qubits), programs.index(gate)))
            else:
                self._plan.append(("fixed", list(gate.qubits), qsim_floats(gate.fixed)))
        self._opsums = [opstrings(o, index) for o in observables]
        self._options = qsimcirq.QSimOptions(
            cpu_threads=threads, max_fused_gate_size=max_fused_gate_size,
            ev_noisy_repetitions=repetitions).as_dict()
        self._seed = seed
        factors = [f for g in programs for f in g.factors]
        uses = collections.Counter(f.slot for f in factors)
        self._used_slots = sorted(uses)
        self._shiftable = all(n == 1 for n in uses.values()) and all(
            np.isclose(abs(f.weight), 1.0) for f in factors)

    def expectations(self, slot_values: np.ndarray) -> np.ndarray:
        """``[N, S]`` slot values (columns in ``slot_names`` order) -> ``[N, len(observables)]``
        float64 expectation values (qsim computes in float32, about 1e-6 accurate; with noise,
        trajectory averages)."""
        values = np.asarray(slot_values, dtype=float)
        if values.ndim != 2 or values.shape[1] != self.num_slots:
            raise InputError(f"slot values must have shape [N, {self.num_slots}], got "
                             f"{values.shape}")
        if not np.all(np.isfinite(values)):
            raise InputError("slot values contain NaN or inf")
        out = np.empty((len(values), len(self._opsums)))
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            out[start : start + len(chunk)] = self._run(chunk, self._seed + start)
        return out

    def shift_jacobian(self, slot_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values and parameter-shift Jacobian ``(f(t + pi/2) - f(t - pi/2)) / 2`` per row.

        Every row is evaluated literally at ``2 S' + 1`` points (``S'`` the slots the circuit
        uses); columns of unused slots are zero.

        Returns:
            ``(values [N, O], jacobian [N, O, S])``.

        Raises:
            BackendError: if a slot drives more than one gate or not with slope +-1/pi (the
                two-point rule would not be the derivative).
        """
        if not self._shiftable:
            raise BackendError("qsim kernel: parameter shift needs every slot on exactly one "
                               "gate with slope +-1/pi")
        values = np.asarray(slot_values, dtype=float)
        used = self._used_slots
        shifts = np.zeros((1 + 2 * len(used), self.num_slots))
        shifts[1 + np.arange(len(used)), used] = np.pi / 2
        shifts[1 + len(used) + np.arange(len(used)), used] = -np.pi / 2
        points = (values[:, None, :] + shifts[None]).reshape(-1, self.num_slots)
        evs = self.expectations(points).reshape(len(values), len(shifts), -1)
        jacobian = np.zeros((len(values), evs.shape[2], self.num_slots))
        jacobian[:, :, used] = (evs[:, 1 : 1 + len(used)] - evs[:, 1 + len(used) :]
                                ).transpose(0, 2, 1) / 2
        return evs[:, 0], jacobian

    def _run(self, values: np.ndarray, seed: int) -> np.ndarray:
        """Expectation values for one chunk of rows: one qsim circuit and call per row."""
        if self.noisy:
            new, add_gate, add_matrix = qsim.NoisyCircuit, qsim.add_gate_channel, \
                qsim.add_matrix_gate_channel
            simulate = qsim.qtrajectory_simulate_expectation_values
        else:
            new, add_gate, add_matrix = qsim.Circuit, qsim.add_gate, qsim.add_matrix_gate
            simulate = qsim.qsim_simulate_expectation_values
        rows = len(values)
        matrices = self._tables.matrices(values) if self._tables is not None else None
        circuits = [new() for _ in range(rows)]
        for c in circuits:
            c.num_qubits = self.num_qubits
        repeat = itertools.repeat
        for time, (what, qubits, entry) in enumerate(self._plan):
            if what == "native":
                calls = map(add_gate, repeat(entry), repeat(time), repeat(qubits), repeat({}),
                            circuits)
            elif what == "channel":
                calls = map(qsim.add_channel, repeat(time), repeat(qubits), repeat(entry),
                            circuits)
            else:
                if what == "slot":
                    assert self._tables is not None and matrices is not None  # slot gates
                    start, stop = self._tables.out_start[entry : entry + 2]
                    data = matrices[:, start:stop].tolist()
                else:
                    data = repeat(entry)
                calls = map(add_matrix, repeat(time), repeat(qubits), data, circuits)
            # the pybind calls for all rows without a Python loop body per gate and row
            collections.deque(calls, maxlen=0)
        options, results = dict(self._options), []
        for row, c in enumerate(circuits):
            options["c"], options["s"] = c, seed + row
            evs = simulate(options, self._opsums, 0)
            if len(evs) != len(self._opsums):
                raise BackendError("qsim kernel: qsim returned no result (see its message "
                                   "on stderr)")
            results.append(evs)
        return np.real(np.asarray(results, dtype=complex))
