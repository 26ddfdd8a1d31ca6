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
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Sequence

import cirq
import numba
import numpy as np
import qsimcirq
import sympy
from qsimcirq import qsim

from qru_compile.errors import BackendError, InputError
from qru_compile.sim.gate_decoding import PAULI, POWER_GATES

_CHUNK = 256  # points whose qsim circuits exist at once

# Gates of three or more qubits that qsim applies natively (cheaper to add than an 8x8 matrix).
_NATIVE = {cirq.CSWAP: qsim.kCSwapGate, cirq.CCX: qsim.kCCX, cirq.CCZ: qsim.kCCZ}


@dataclasses.dataclass(eq=False)
class _Factor:
    """A slot rotation with the fixed matrices up to the next factor folded in: ``c A + s B``
    with ``c, s = cos(weight * t / 2), sin(weight * t / 2)`` for slot value ``t``."""

    slot: int
    weight: float
    cos_part: np.ndarray
    sin_part: np.ndarray


@dataclasses.dataclass(eq=False)
class _Program:
    """A matrix ``F_k ... F_1 F0`` (``F0`` fixed, then the factors in application order) on
    ``qubits`` (qsim indices, the first the most significant bit of the matrix)."""

    qubits: tuple[int, ...]
    fixed: np.ndarray
    factors: list[_Factor] = dataclasses.field(default_factory=list)

    def then(self, other: _Program) -> None:
        """Append ``other`` (same qubits and order), applied after this program."""
        if self.factors:
            last = self.factors[-1]
            last.cos_part = other.fixed @ last.cos_part
            last.sin_part = other.fixed @ last.sin_part
        else:
            self.fixed = other.fixed @ self.fixed
        self.factors += [dataclasses.replace(f) for f in other.factors]

    def on(self, qubits: tuple[int, ...]) -> _Program:
        """This program embedded in a gate on ``qubits`` (a superset, any order)."""
        if qubits == self.qubits:
            return self
        width = len(qubits)
        perm = [qubits.index(q) for q in self.qubits]
        rest = [i for i in range(width) if i not in perm]

        def embed(m: np.ndarray) -> np.ndarray:
            full = np.kron(m, np.eye(1 << len(rest)))
            # axes of ``full``: (self.qubits..., rest...) -> reorder to ``qubits``
            tensor = full.reshape((2,) * (2 * width))
            order = perm + rest
            inverse = np.argsort(order)
            tensor = tensor.transpose(list(inverse) + [width + i for i in inverse])
            return tensor.reshape(1 << width, 1 << width)

        return _Program(qubits, embed(self.fixed),
                        [_Factor(f.slot, f.weight, embed(f.cos_part), embed(f.sin_part))
                         for f in self.factors])


@dataclasses.dataclass(frozen=True)
class _Native:
    """A qsim gate kind with fixed parameters (no matrix to compute)."""

    kind: qsim.GateKind
    qubits: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class _Channel:
    """A noise channel: qsim's ``(lower-bound probability, matrix, is unitary)`` per operator."""

    qubits: tuple[int, ...]
    operators: list[tuple[float, list[float], bool]]

    @classmethod
    def of(cls, op: cirq.Operation, qubits: tuple[int, ...]) -> _Channel:
        """The channel of ``op`` (a mixture or Kraus operators).

        Follows qsimcirq's ``translate_cirq_to_qtrajectory``, which does this only inside its
        whole-circuit translation, so it cannot be called for one operation.
        """
        operators = []
        if cirq.has_mixture(op):
            for probability, matrix in cirq.mixture(op):
                operators.append((float(probability), _floats(matrix), cirq.is_unitary(matrix)))
        else:
            for matrix in cirq.kraus(op):
                lower_bound = float(min(np.linalg.svd(matrix)[1]) ** 2)
                operators.append((lower_bound, _floats(matrix), cirq.is_unitary(matrix)))
        return cls(qubits, operators)


def _floats(matrix: np.ndarray) -> list[float]:
    """A complex matrix as qsim takes it: row-major, float32, real and imaginary interleaved."""
    return np.asarray(matrix).astype(np.complex64).view(np.float32).ravel().tolist()


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
    def of(cls, programs: Sequence[_Program]) -> _Tables:
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
def _fill_matrices(values, dims, fixed_start, fixed, factor_start, slots, weights, part_start,
                   parts, out_start, out):  # pragma: no cover - compiled
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


# Not gate_decoding.parametrised_ops: qsim takes any slope (the rotation's weight), checks that
# exactly one PhasedXZ exponent is symbolic, folds the fixed gates into the rotation's matrices
# and names itself in its errors.
def _linear(expr: sympy.Expr, name: str, op: cirq.Operation) -> tuple[float, float]:
    """``(slope, offset)`` of an exponent linear in the slot symbol ``name``."""
    symbol = sympy.Symbol(name)
    slope = sympy.diff(expr, symbol)
    if slope.free_symbols or expr.free_symbols - {symbol}:
        raise BackendError(f"qsim kernel: {op}: exponent {expr} is not linear in {name}")
    return float(slope), float(expr.subs(symbol, 0))


def _slot_program(op: cirq.Operation, qubit: int, slot: int, name: str) -> _Program:
    """A symbolic single-qubit gate as ``after . R_P(w t) . before`` (global phase dropped)."""
    gate = op.gate

    def rotation(before: np.ndarray, axis: str, slope: float, after: np.ndarray) -> _Program:
        # P^(slope t) = phase * R_P(pi slope t), R_P(a) = cos(a/2) - i sin(a/2) P
        return _Program((qubit,), before,
                        [_Factor(slot, np.pi * slope, after, -1j * after @ PAULI[axis])])

    eye = np.eye(2, dtype=complex)
    for gate_type, axis in POWER_GATES:
        if isinstance(gate, gate_type):
            slope, offset = _linear(gate.exponent, name, op)
            return rotation(cirq.unitary(gate_type(exponent=offset)), axis, slope, eye)
    if isinstance(gate, cirq.PhasedXZGate):
        a = gate.axis_phase_exponent
        x_symbolic = cirq.is_parameterized(gate.x_exponent)
        if cirq.is_parameterized(a) or x_symbolic == cirq.is_parameterized(gate.z_exponent):
            raise BackendError(f"qsim kernel: {op}: the slot must drive exactly one of "
                               "x_exponent and z_exponent")
        if x_symbolic:
            slope, offset = _linear(gate.x_exponent, name, op)
            # Z^z Z^a X^x Z^-a = [Z^z Z^a X^offset Z^-a . Z^a] R_x Z^-a
            after = cirq.unitary(cirq.PhasedXZGate(x_exponent=offset, z_exponent=gate.z_exponent,
                                                   axis_phase_exponent=a)) @ cirq.unitary(cirq.Z**a)
            return rotation(cirq.unitary(cirq.Z**-a), "x", slope, after)
        slope, offset = _linear(gate.z_exponent, name, op)
        rest = cirq.PhasedXZGate(x_exponent=gate.x_exponent, z_exponent=offset,
                                 axis_phase_exponent=a)
        return rotation(cirq.unitary(rest), "z", slope, eye)
    raise BackendError(f"qsim kernel: {op}: symbolic {type(gate).__name__} is not supported "
                       "(only X/Y/ZPowGate, rx/ry/rz and PhasedXZGate exponents)")


def _translate(circuit: cirq.AbstractCircuit, index: dict[cirq.Qid, int],
               slots: dict[str, int]) -> list[_Program | _Native | _Channel]:
    """The circuit as qsim gates in order, single-qubit gates folded into their neighbours
    (never across a noise channel)."""
    gates: list[_Program | _Native | _Channel] = []
    pending: dict[int, _Program] = {}  # single-qubit gates not yet placed, per qubit
    last: dict[int, int] = {}  # position in ``gates`` of the last gate on each qubit

    def place(q: int) -> None:
        """Put qubit q's pending gates after its last gate (or alone if it cannot take them)."""
        program = pending.pop(q, None)
        if program is None:
            return
        if q in last and isinstance(gates[last[q]], _Program):
            target = gates[last[q]]
            target.then(program.on(target.qubits))
        else:
            last[q] = len(gates)
            gates.append(program)

    if not circuit.are_all_measurements_terminal():
        raise BackendError("qsim kernel: mid-circuit measurements are not supported")
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            continue  # terminal: no effect on expectation values
        unknown = [q for q in op.qubits if q not in index]
        if unknown:
            raise BackendError(f"qsim kernel: {op} acts on {unknown}, not in the qubit order")
        qubits = tuple(index[q] for q in op.qubits)
        if cirq.is_parameterized(op):
            names = cirq.parameter_names(op)
            if len(names) != 1 or len(qubits) != 1:
                raise BackendError(f"qsim kernel: {op}: a symbolic gate must act on one qubit "
                                   "with one symbol")
            (name,) = names
            if name not in slots:
                raise BackendError(f"qsim kernel: {op}: symbol {name!r} is not a slot name")
            program = _slot_program(op, qubits[0], slots[name], name)
        elif not qubits:
            continue  # a global phase
        elif not cirq.has_unitary(op):
            if not (cirq.has_mixture(op) or cirq.has_kraus(op)):
                raise BackendError(f"qsim kernel: {op} is neither unitary nor a channel")
            for q in qubits:
                place(q)
            for q in qubits:
                last[q] = len(gates)
            gates.append(_Channel.of(op, qubits))
            continue
        elif len(qubits) > 6:
            raise BackendError(f"qsim kernel: {op} acts on {len(qubits)} qubits; qsim matrix "
                               "gates take at most 6")
        elif len(qubits) > 2 and op.gate in _NATIVE:
            for q in qubits:
                place(q)
            for q in qubits:
                last[q] = len(gates)
            gates.append(_Native(_NATIVE[op.gate], qubits))
            continue
        else:
            program = _Program(qubits, cirq.unitary(op).astype(complex))
        if len(qubits) == 1:
            (q,) = qubits
            if q in pending:
                pending[q].then(program)
            else:
                pending[q] = program
            continue
        # a multi-qubit gate: it takes its qubits' pending gates first
        for q in qubits:
            if q in pending:
                first = pending.pop(q).on(qubits)
                first.then(program)
                program = first
        previous = {last.get(q) for q in qubits}
        if len(previous) == 1 and None not in previous:
            (position,) = previous
            target = gates[position]
            if isinstance(target, _Program) and set(target.qubits) == set(qubits):
                target.then(program.on(target.qubits))  # same qubits as the gate before
                continue
        for q in qubits:
            last[q] = len(gates)
        gates.append(program)
    for q in list(pending):
        place(q)
    return gates


def _opstrings(observable: cirq.PauliString, index: dict[cirq.Qid, int]) -> tuple[list, int]:
    """qsim's ``(opsum, qubit count)`` for one Pauli string (via qsimcirq's translator)."""
    if not isinstance(observable, cirq.PauliString):
        raise BackendError(f"qsim kernel: observable {observable!r} is not a cirq.PauliString")
    coefficient = complex(observable.coefficient)
    if abs(coefficient.imag) > 1e-12:
        raise BackendError(f"qsim kernel: observable {observable} has a complex coefficient")
    unknown = [q for q in observable.qubits if q not in index]
    if unknown:
        raise BackendError(f"qsim kernel: observable {observable} acts on {unknown}, not in the "
                           "qubit order")
    opstring = qsim.OpString()
    opstring.weight = coefficient.real
    for q, pauli in observable.items():
        qsimcirq.add_op_to_opstring(pauli.on(q), index, opstring)
    return [opstring], len(observable)


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
                 slot_names: Sequence[str], observables: Sequence[cirq.PauliString], *,
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
        gates = _translate(circuit, index, {name: k for k, name in enumerate(slot_names)})
        self.num_gates = len(gates)
        self.noisy = any(isinstance(g, _Channel) for g in gates)
        programs = [g for g in gates if isinstance(g, _Program) and g.factors]
        self._tables = _Tables.of(programs) if programs else None
        # per gate: (what, qsim qubits, native kind | matrix data | table index | operators)
        self._plan: list[tuple[str, list[int], object]] = []
        for gate in gates:
            if isinstance(gate, _Native):
                self._plan.append(("native", list(gate.qubits), gate.kind))
            elif isinstance(gate, _Channel):
                self._plan.append(("channel", list(gate.qubits), gate.operators))
            elif gate.factors:
                self._plan.append(("slot", list(gate.qubits), programs.index(gate)))
            else:
                self._plan.append(("fixed", list(gate.qubits), _floats(gate.fixed)))
        self._opsums = [_opstrings(o, index) for o in observables]
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
