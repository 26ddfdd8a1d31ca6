"""Noisy simulation of one step circuit by Monte-Carlo wave-function trajectories, batched.

A noise model (cirq_google's calibration model of a device, or any ``cirq.NoiseModel``) turns
the step circuit into a circuit of unitaries and channels. Each trajectory is a pure state that
meets every channel with one randomly chosen operator: a unitary mixture ``sum_k p_k U_k rho
U_k^dag`` (depolarising noise) applies ``U_k`` with the fixed probability ``p_k``; a general
channel ``sum_k K_k rho K_k^dag`` (thermal damping) applies ``K_k / sqrt(p_k)`` with the
state-dependent probability ``p_k = ||K_k psi||^2``. The mean of ``<psi|O|psi>`` over
trajectories is an unbiased estimate of ``tr(O rho)``, with the standard error of a mean.

The noisy circuit is translated once, symbolically: the noise of cirq_google's model depends on
gate types, qubits and moment durations only, not on angles (the tests check that noise on the
symbolic circuit, resolved, equals noise on the resolved circuit), so the slot rotations stay
symbolic as in :mod:`qru_compile.sim.statevector` and one program serves every sample.

Operations are grouped into *blocks* on one or two qubits: each operation joins the latest
block on its qubits if the union stays within two qubits (it commutes past the blocks in
between, which act on other qubits), and pulls in the latest one-qubit block of each of its
other qubits. A block is a list of *stages*: fixed channels (neighbouring ones multiplied into
one; ``P(i, j) = ||B_j A_i psi||^2`` either way, and a product of more than ``d**2`` Kraus
operators is replaced by the channel's canonical ones from its Choi matrix: the same channel,
another unravelling) and slot rotations. A block costs at most two passes over the state,
however many stages it has. The first pass, only for a block with a general channel, sums the
block's Gram matrix ``G_ij = sum conj(psi_i) psi_j`` over the other qubits. Then the stages are
sampled on 2x2 / 4x4 matrices alone: with ``A`` the product of the operators chosen so far, the
Gram matrix of ``A psi`` is ``conj(A) G A^T``, which gives every ``p_k = tr(K_k^dag K_k ...)``
of the next channel. The second pass applies ``A``. On willow_pink this groups the 819
operations of the noisy WDBC step into 32 two-qubit blocks (64 passes) and the 1549 of the
MNIST step into 52 (104 passes).

The blocks run row by row in one compiled loop (a row is one trajectory of one sample; its
state stays in the first-level cache through the whole circuit), with uniform numbers drawn
beforehand from the caller's generator; the observables are evaluated in the same loop, so no
states are kept.

Readout error is not modelled here (it acts on measured bits) and measurements are dropped
before the noise model is applied, so no readout channels are inserted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numba
import numpy as np

from qru_compile.errors import BackendError
from qru_compile.sim.gate_decoding import Matrix1, Rotation, parametrised_ops, permutation_of
from qru_compile.sim.kernels import MAX_AMPLITUDES
from qru_compile.sim.pauli_masks import PauliMasks

# Dispatch codes of the compiled loop: blocks, then stages.
_ONE, _TWO, _GATHER = range(3)
_UNITARY, _MIXTURE, _KRAUS, _ROTATION = range(4)
_STAGE_NAMES = ("unitary", "mixture", "kraus", "rotation")
_MAX_MIXTURE_TERMS = 64  # a mixture product beyond this stays two stages
_TOLERANCE = 1e-12


@dataclasses.dataclass(frozen=True, eq=False)
class _Channel:
    """A fixed channel ``rho -> sum_k K_k rho K_k^dag`` on one or two qubits.

    Attributes:
        qubits: state positions; ``qubits[0]`` is the most significant bit of the matrices.
        ops: ``[K, d, d]``: the unitaries ``U_k`` of a mixture, else the Kraus operators.
        probs: ``[K]`` fixed probabilities of a mixture (``K_k = sqrt(p_k) U_k``), or None.
    """

    qubits: tuple[int, ...]
    ops: np.ndarray
    probs: np.ndarray | None

    @property
    def is_unitary(self) -> bool:
        """A single unitary (a mixture of one term)."""
        return self.probs is not None and len(self.ops) == 1

    def kraus(self) -> np.ndarray:
        """The Kraus operators ``[K, d, d]``."""
        if self.probs is None:
            return self.ops
        return np.sqrt(self.probs)[:, None, None] * self.ops


@dataclasses.dataclass(frozen=True, eq=False)
class _Gather:
    """A permutation of more than two qubits (CSWAP, CCX-like), on the whole state."""

    qubits: tuple[int, ...]
    index: np.ndarray  # new_state[i] = state[index[i]]


_Stage = _Channel | Rotation
_Item = _Channel | Rotation | _Gather


@dataclasses.dataclass(eq=False)
class _Block:
    """Stages on at most two qubits, run with one Gram pass (if needed) and one apply pass."""

    qubits: tuple[int, ...] = ()
    stages: list[_Stage] = dataclasses.field(default_factory=list)

    def append(self, item: _Stage) -> None:
        """Add ``item`` after the stages, merged into the latest stage on its qubits if it can
        be (it commutes past the later stages, which act on the other qubit)."""
        qubits = _qubits_of(item)
        self.qubits += tuple(q for q in qubits if q not in self.qubits)
        for i in range(len(self.stages) - 1, -1, -1):
            stage = self.stages[i]
            if not set(_qubits_of(stage)) & set(qubits):
                continue
            merged: _Stage | None = None
            if isinstance(stage, _Channel) and isinstance(item, _Channel):
                merged = _merge(stage, item)
            elif (isinstance(stage, Rotation) and isinstance(item, _Channel)
                  and item.is_unitary and item.qubits == (stage.qubit,)):
                merged = dataclasses.replace(stage, after=item.ops[0] @ stage.after)
            elif (isinstance(stage, _Channel) and isinstance(item, Rotation)
                  and stage.is_unitary and stage.qubits == (item.qubit,)):
                merged = dataclasses.replace(item, before=item.before @ stage.ops[0])
            if merged is not None:
                self.stages[i] = merged
                return
            break
        self.stages.append(item)


def _qubits_of(item: _Item) -> tuple[int, ...]:
    return (item.qubit,) if isinstance(item, Rotation) else item.qubits


def noisy_operations(circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid],
                     noise: cirq.NoiseModel) -> list[cirq.Operation]:
    """The operations of ``circuit`` under ``noise``, measurements removed beforehand.

    A moment left empty stays a moment (a noise model may add idling noise to it; cirq_google's
    adds none to an empty moment, so a measurement's readout and thermal noise are left out).

    Args:
        circuit: the (symbolic) circuit.
        qubits: the system qubits given to the noise model.
        noise: the noise model.
    """
    moments = [cirq.Moment(op for op in moment if not cirq.is_measurement(op))
               for moment in circuit.moments]
    return list(cirq.flatten_to_ops(noise.noisy_moments(moments, list(qubits))))


def _translate(op: cirq.Operation, position: dict[cirq.Qid, int], slots: dict[str, int],
               n: int) -> list[_Item]:
    """One operation as fixed channels, slot rotations or a many-qubit permutation."""
    if not op.qubits:
        return []  # a global phase
    missing = [q for q in op.qubits if q not in position]
    if missing:
        raise BackendError(f"{op}: qubits {missing} are not in the state")
    if cirq.is_parameterized(op):
        return [_Channel((part.qubit,), part.matrix[None], np.ones(1))
                if isinstance(part, Matrix1) else part
                for part in parametrised_ops(op, position, slots)]
    qs = tuple(position[q] for q in op.qubits)
    if len(qs) > 2:
        permutation = permutation_of(op, position, n) if cirq.has_unitary(op) else None
        if permutation is None:
            raise BackendError(f"{op}: only permutations may act on more than two qubits")
        return [_Gather(qs, permutation)]
    if cirq.has_unitary(op):
        return [_Channel(qs, cirq.unitary(op)[None].astype(complex), np.ones(1))]
    if cirq.has_mixture(op):
        terms = [(p, u) for p, u in cirq.mixture(op) if p > 0]
        return [_Channel(qs, np.array([u for _, u in terms], dtype=complex),
                         np.array([p for p, _ in terms], dtype=float))]
    if cirq.has_kraus(op):
        return [_Channel(qs, np.array(cirq.kraus(op), dtype=complex), None)]
    raise BackendError(f"{op}: neither a unitary nor a channel")


def _embed(ops: np.ndarray, qubits: tuple[int, ...], target: tuple[int, ...]) -> np.ndarray:
    """Operators ``[K, d, d]`` on ``qubits`` as operators on ``target`` (a superset, <= 2)."""
    if qubits == target:
        return ops
    eye = np.eye(2)
    if len(qubits) == 1:
        if qubits[0] == target[0]:
            return np.einsum("kab,cd->kacbd", ops, eye).reshape(len(ops), 4, 4)
        return np.einsum("ab,kcd->kacbd", eye, ops).reshape(len(ops), 4, 4)
    swap = cirq.unitary(cirq.SWAP)
    return swap @ ops @ swap


def _canonical(kraus: np.ndarray) -> np.ndarray:
    """The canonical Kraus operators of ``sum_k K_k . K_k^dag`` (at most ``d**2``)."""
    d = kraus.shape[1]
    vectors = kraus.reshape(len(kraus), d * d)
    weights, basis = np.linalg.eigh(vectors.T @ vectors.conj())
    keep = weights > _TOLERANCE
    return (np.sqrt(weights[keep]) * basis[:, keep]).T.reshape(-1, d, d)


def _dedupe(unitaries: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge mixture terms whose unitaries agree up to a global phase."""
    d = unitaries.shape[1]
    kept: list[np.ndarray] = []
    weights: list[float] = []
    for u, p in zip(unitaries, probs):
        for i, v in enumerate(kept):
            if abs(np.vdot(v, u)) > d * (1 - _TOLERANCE):
                weights[i] += p
                break
        else:
            kept.append(u)
            weights.append(p)
    return np.array(kept), np.array(weights)


def _merge(first: _Channel, then: _Channel) -> _Channel | None:
    """``then`` after ``first`` as one channel, or None if it would not fit one."""
    union = first.qubits + tuple(q for q in then.qubits if q not in first.qubits)
    if len(union) > 2:
        return None
    a, b = _embed(first.ops, first.qubits, union), _embed(then.ops, then.qubits, union)
    d = a.shape[1]
    if first.probs is not None and then.probs is not None:
        unitaries, probs = _dedupe((b[:, None] @ a[None, :]).reshape(-1, d, d),
                                   np.outer(then.probs, first.probs).ravel())
        if len(unitaries) > _MAX_MIXTURE_TERMS:
            return None
        return _Channel(union, unitaries, probs)
    a = _embed(first.kraus(), first.qubits, union)
    b = _embed(then.kraus(), then.qubits, union)
    kraus = (b[:, None] @ a[None, :]).reshape(-1, d, d)
    return _Channel(union, _canonical(kraus) if len(kraus) > d * d else kraus, None)


def _normalised(channel: _Channel) -> _Channel:
    """A general channel whose operators are all proportional to unitaries, as a mixture."""
    if channel.probs is not None:
        return channel
    d = channel.ops.shape[1]
    gram = channel.ops.conj().transpose(0, 2, 1) @ channel.ops
    weights = np.real(np.trace(gram, axis1=1, axis2=2)) / d
    if np.allclose(gram, weights[:, None, None] * np.eye(d), atol=_TOLERANCE, rtol=0):
        keep = weights > 0
        return _Channel(channel.qubits,
                        channel.ops[keep] / np.sqrt(weights[keep])[:, None, None],
                        weights[keep])
    return channel


def _group(items: list[_Item]) -> list[_Block | _Gather]:
    """The items as blocks (see the module docstring), in an order equivalent to theirs."""
    blocks: list[_Block | _Gather | None] = []
    latest: dict[int, int] = {}  # qubit -> index of the latest block acting on it
    for item in items:
        qubits = _qubits_of(item)
        if isinstance(item, _Gather):
            index = len(blocks)
            blocks.append(item)
        else:
            touching = [latest[q] for q in qubits if q in latest]
            index = max(touching) if touching else -1
            target = blocks[index] if touching else None
            if not (isinstance(target, _Block) and len(set(target.qubits) | set(qubits)) <= 2):
                index, target = len(blocks), _Block()
                blocks.append(target)
            for q in qubits:
                lone = blocks[latest[q]] if q in latest else None
                if (q not in target.qubits and isinstance(lone, _Block)
                        and lone.qubits == (q,) and lone is not target):
                    for stage in lone.stages:  # acts on q alone: moves past the blocks between
                        target.append(stage)
                    blocks[latest[q]] = None
            target.append(item)
        for q in qubits:
            latest[q] = index
    return [block for block in blocks if block is not None]


@dataclasses.dataclass(frozen=True, eq=False)
class NoisyProgram:
    """A noisy circuit translated into blocks of stages for batched trajectories.

    Attributes:
        num_qubits: qubits of the state (in ``qubits`` order).
        num_slots: columns of the slot-value arrays.
        observables: the Pauli strings whose expectation values are returned.
        block_kind: ``[B]`` one-qubit, two-qubit or permutation block.
        stride_a, stride_b: ``[B]`` index strides of a block's first and second qubit.
        block_stages: ``[B + 1]`` a block's stages are ``block_stages[b] : block_stages[b + 1]``.
        gram: ``[B]`` whether a block has a general channel (and needs its Gram pass); for a
            permutation block, its row of ``gathers``.
        stage_kind: ``[T]`` unitary, mixture, general channel or rotation.
        stage_first, stage_count: ``[T]`` a stage's operators in ``matrices`` (a rotation's
            entry of ``rotations``), and how many.
        stage_bit: ``[T]`` a rotation's bit in the 4x4 index of its block (2 for the first
            qubit of a two-qubit block, else 1; a one-qubit block is the low bit).
        stage_random: ``[T]`` a stochastic stage's column of the uniform numbers, else -1.
        matrices: ``[M, 4, 4]`` operators in their block's qubits (one-qubit blocks in the
            top-left corner, zero elsewhere).
        hermitian: ``[M, 4, 4]`` ``K^dag K`` of each operator.
        cumulative: ``[M]`` a mixture's cumulative probabilities.
        rotations: ``[R, 2, 2, 2]`` the parts ``[A, B]`` of each rotation
            (``cos(t/2) A + sin(t/2) B`` at slot value ``t``).
        rotation_slot: ``[R]`` the slot of each rotation.
        gathers: ``[G, 2**n]`` permutations of the state index.
        signs: ``[O, 2**n]`` the sign of each amplitude in every observable.
        operations: operations of the noisy circuit before grouping (for reports).
    """

    num_qubits: int
    num_slots: int
    observables: PauliMasks
    block_kind: np.ndarray
    stride_a: np.ndarray
    stride_b: np.ndarray
    block_stages: np.ndarray
    gram: np.ndarray
    stage_kind: np.ndarray
    stage_first: np.ndarray
    stage_count: np.ndarray
    stage_bit: np.ndarray
    stage_random: np.ndarray
    matrices: np.ndarray
    hermitian: np.ndarray
    cumulative: np.ndarray
    rotations: np.ndarray
    rotation_slot: np.ndarray
    gathers: np.ndarray
    signs: np.ndarray
    operations: int

    @classmethod
    def from_circuit(cls, circuit: cirq.AbstractCircuit, qubits: Sequence[cirq.Qid],
                     slot_names: Sequence[str], observables: Sequence[cirq.PauliString],
                     noise: cirq.NoiseModel = cirq.NO_NOISE) -> NoisyProgram:
        """Translate ``circuit`` under ``noise`` (measurements dropped) for the given slots.

        Args:
            circuit: the symbolic circuit; its symbols are angle slots.
            qubits: the state's qubit order (a superset of the circuit's qubits), also the
                system qubits of the noise model.
            slot_names: the symbols, in the column order of the slot-value arrays.
            observables: Pauli strings on ``qubits`` (real coefficients).
            noise: the noise model, applied to the symbolic circuit's moments.

        Raises:
            BackendError: for operations the program cannot apply: channels or non-permutation
                gates on more than two qubits, or symbols not of the slot form.
        """
        position = {q: i for i, q in enumerate(qubits)}
        slots = {name: k for k, name in enumerate(slot_names)}
        n = len(qubits)
        operations = noisy_operations(circuit, qubits, noise)
        items = [item for op in operations for item in _translate(op, position, slots, n)]
        rotations = [item.slot for item in items if isinstance(item, Rotation)]
        if len(rotations) != len(set(rotations)):
            raise BackendError("a slot drives more than one rotation; the batched engine needs "
                               "each slot on exactly one gate (see shiftability)")
        return cls._assemble(n, len(slot_names), _group(items),
                             PauliMasks.from_pauli_strings(observables, position),
                             len(operations))

    @classmethod
    def _assemble(cls, n: int, num_slots: int, blocks: list[_Block | _Gather],
                  observables: PauliMasks, operations: int) -> NoisyProgram:
        """The flat tables of the compiled loop."""
        block_rows: list[tuple[int, ...]] = []  # kind, stride_a, stride_b, gram
        stage_rows: list[tuple[int, ...]] = []  # kind, first, count, bit, random
        block_stages = [0]
        matrices: list[np.ndarray] = []
        cumulative: list[float] = []
        rotations: list[Rotation] = []
        gathers: list[np.ndarray] = []
        stochastic = 0

        def stride(q: int) -> int:
            return 1 << (n - 1 - q)

        for block in blocks:
            if isinstance(block, _Gather):
                block_rows.append((_GATHER, 0, 0, len(gathers)))
                gathers.append(block.index)
                block_stages.append(block_stages[-1])
                continue
            qubits, needs_gram = block.qubits, False
            for stage in block.stages:
                if isinstance(stage, Rotation):
                    bit = 2 if len(qubits) == 2 and qubits[0] == stage.qubit else 1
                    stage_rows.append((_ROTATION, len(rotations), 1, bit, -1))
                    rotations.append(stage)
                    continue
                stage = _normalised(stage)
                if stage.is_unitary:
                    code, probs = _UNITARY, np.ones(1)
                elif stage.probs is not None:
                    code, probs = _MIXTURE, stage.probs
                else:
                    code, probs, needs_gram = _KRAUS, np.zeros(len(stage.ops)), True
                random = -1 if code == _UNITARY else stochastic
                stochastic += int(code != _UNITARY)
                stage_rows.append((code, len(matrices), len(stage.ops), 0, random))
                d = 1 << len(qubits)
                for op in _embed(stage.ops, stage.qubits, qubits):
                    padded = np.zeros((4, 4), dtype=complex)
                    padded[:d, :d] = op
                    matrices.append(padded)
                cumulative += list(np.cumsum(probs) / max(probs.sum(), 1e-300))
            block_rows.append((_TWO if len(qubits) == 2 else _ONE, stride(qubits[0]),
                               stride(qubits[1]) if len(qubits) == 2 else 0, needs_gram))
            block_stages.append(len(stage_rows))
        mats = np.array(matrices, dtype=complex).reshape(-1, 4, 4)
        index = np.arange(1 << n)
        signs = np.array([1.0 - 2.0 * (np.bitwise_count((index ^ x) & z) & 1)
                          for x, z in zip(observables.xmask, observables.zmask)]
                         ).reshape(observables.count, 1 << n)
        b = np.array(block_rows, dtype=np.int64).reshape(-1, 4)
        s = np.array(stage_rows, dtype=np.int64).reshape(-1, 5)
        return cls(
            num_qubits=n, num_slots=num_slots, observables=observables,
            block_kind=b[:, 0].copy(), stride_a=b[:, 1].copy(), stride_b=b[:, 2].copy(),
            block_stages=np.array(block_stages, dtype=np.int64), gram=b[:, 3].copy(),
            stage_kind=s[:, 0].copy(), stage_first=s[:, 1].copy(), stage_count=s[:, 2].copy(),
            stage_bit=s[:, 3].copy(), stage_random=s[:, 4].copy(), matrices=mats,
            hermitian=np.ascontiguousarray(mats.conj().transpose(0, 2, 1) @ mats),
            cumulative=np.array(cumulative, dtype=float),
            rotations=np.array([r.parts for r in rotations], dtype=complex).reshape(-1, 2, 2, 2),
            rotation_slot=np.array([r.slot for r in rotations], dtype=np.int64),
            gathers=np.array(gathers, dtype=np.int64).reshape(-1, 1 << n), signs=signs,
            operations=operations)

    @property
    def num_random(self) -> int:
        """Stochastic stages (mixtures and general channels): uniform numbers per row."""
        return int((self.stage_random >= 0).sum())

    def summary(self) -> dict[str, int]:
        """Sizes: noisy-circuit operations, blocks, passes over the state per trajectory, and
        stages of each kind."""
        counts = {"operations": self.operations, "blocks": len(self.block_kind),
                  "passes": len(self.block_kind) + int(
                      self.gram[self.block_kind != _GATHER].sum())}
        counts.update({f"{name} stages": int((self.stage_kind == code).sum())
                       for code, name in enumerate(_STAGE_NAMES)})
        return counts

    def expectations(self, slot_values: np.ndarray, trajectories: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Trajectory estimates of every observable for each row of slot values.

        Args:
            slot_values: ``[N, S]``.
            trajectories: trajectories per row (at least 1).
            rng: the source of the trajectories' random numbers.

        Returns:
            ``(mean [N, O], standard error [N, O])`` over ``trajectories`` trajectories per
            row; the error is NaN for one trajectory. A program without stochastic stages is
            run once per row (its trajectories are all equal) and has zero error.
        """
        values = self.trajectory_values(slot_values, trajectories, rng)
        mean = values.mean(axis=1)
        if self.num_random == 0:
            error = np.zeros_like(mean)
        elif values.shape[1] == 1:
            error = np.full_like(mean, np.nan)
        else:
            error = values.std(axis=1, ddof=1) / np.sqrt(values.shape[1])
        return mean, error

    def trajectory_values(self, slot_values: np.ndarray, trajectories: int,
                          rng: np.random.Generator) -> np.ndarray:
        """Every trajectory's ``<psi|O|psi>``, ``[N, trajectories, O]`` (``[N, 1, O]`` for a
        program without stochastic stages)."""
        if trajectories < 1:
            raise ValueError(f"trajectories must be at least 1, not {trajectories}")
        slot_values = np.atleast_2d(np.asarray(slot_values, dtype=float))
        if slot_values.shape[1] != self.num_slots:
            raise ValueError(f"slot values have {slot_values.shape[1]} columns, the program "
                             f"{self.num_slots} slots")
        per_row = trajectories if self.num_random else 1
        total = len(slot_values) * per_row
        values = np.empty((total, self.observables.count))
        cos, sin = np.cos(slot_values / 2), np.sin(slot_values / 2)
        chunk = max(1, MAX_AMPLITUDES // max(1, self.num_random))  # bounds the uniforms
        for start in range(0, total, chunk):
            stop = min(total, start + chunk)
            uniforms = rng.random((stop - start, self.num_random))
            _run_rows(self.block_kind, self.stride_a, self.stride_b, self.block_stages,
                      self.gram, self.stage_kind, self.stage_first, self.stage_count,
                      self.stage_bit, self.stage_random, self.matrices, self.hermitian,
                      self.cumulative, self.rotations, self.rotation_slot, self.gathers,
                      self.observables.xmask, self.observables.phase, self.signs, cos, sin,
                      start, per_row, uniforms, values[start:stop])
        return values.reshape(len(slot_values), per_row, self.observables.count)


# ---------------------------------------------------------------------------------- kernels
@numba.njit(cache=True)
def _apply1(psi: np.ndarray, s: int, m: np.ndarray) -> None:
    """The 2x2 corner of ``m`` on the qubit of stride ``s``."""
    m00, m01, m10, m11 = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    for base in range(0, psi.shape[0], 2 * s):
        for k in range(base, base + s):
            x0, x1 = psi[k], psi[k + s]
            psi[k] = m00 * x0 + m01 * x1
            psi[k + s] = m10 * x0 + m11 * x1


@numba.njit(cache=True)
def _apply2(psi: np.ndarray, sa: int, sb: int, m: np.ndarray) -> None:
    """The 4x4 ``m`` on the qubits of strides ``sa`` (high bit) and ``sb``."""
    m00, m01, m02, m03 = m[0, 0], m[0, 1], m[0, 2], m[0, 3]
    m10, m11, m12, m13 = m[1, 0], m[1, 1], m[1, 2], m[1, 3]
    m20, m21, m22, m23 = m[2, 0], m[2, 1], m[2, 2], m[2, 3]
    m30, m31, m32, m33 = m[3, 0], m[3, 1], m[3, 2], m[3, 3]
    lo, hi = min(sa, sb), max(sa, sb)
    for outer in range(0, psi.shape[0], 2 * hi):
        for inner in range(outer, outer + hi, 2 * lo):
            for k in range(inner, inner + lo):
                x0, x1, x2, x3 = psi[k], psi[k + sb], psi[k + sa], psi[k + sa + sb]
                psi[k] = m00 * x0 + m01 * x1 + m02 * x2 + m03 * x3
                psi[k + sb] = m10 * x0 + m11 * x1 + m12 * x2 + m13 * x3
                psi[k + sa] = m20 * x0 + m21 * x1 + m22 * x2 + m23 * x3
                psi[k + sa + sb] = m30 * x0 + m31 * x1 + m32 * x2 + m33 * x3


@numba.njit(cache=True)
def _gram1(psi: np.ndarray, s: int, gram: np.ndarray) -> None:
    """``gram[i, j] = sum conj(psi_i) psi_j`` over the other qubits (the 2x2 corner; the
    rest zero)."""
    gram[:, :] = 0
    g00, g11, g01 = 0.0, 0.0, 0j
    for base in range(0, psi.shape[0], 2 * s):
        for k in range(base, base + s):
            x0, x1 = psi[k], psi[k + s]
            g00 += x0.real * x0.real + x0.imag * x0.imag
            g11 += x1.real * x1.real + x1.imag * x1.imag
            g01 += np.conj(x0) * x1
    gram[0, 0], gram[1, 1], gram[0, 1], gram[1, 0] = g00, g11, g01, np.conj(g01)


@numba.njit(cache=True)
def _gram2(psi: np.ndarray, sa: int, sb: int, gram: np.ndarray) -> None:
    """``gram[i, j] = sum conj(psi_i) psi_j`` over the other qubits (4x4)."""
    g00 = g11 = g22 = g33 = 0.0
    g01 = g02 = g03 = g12 = g13 = g23 = 0j
    lo, hi = min(sa, sb), max(sa, sb)
    for outer in range(0, psi.shape[0], 2 * hi):
        for inner in range(outer, outer + hi, 2 * lo):
            for k in range(inner, inner + lo):
                x0, x1, x2, x3 = psi[k], psi[k + sb], psi[k + sa], psi[k + sa + sb]
                g00 += x0.real * x0.real + x0.imag * x0.imag
                g11 += x1.real * x1.real + x1.imag * x1.imag
                g22 += x2.real * x2.real + x2.imag * x2.imag
                g33 += x3.real * x3.real + x3.imag * x3.imag
                c0, c1, c2 = np.conj(x0), np.conj(x1), np.conj(x2)
                g01 += c0 * x1
                g02 += c0 * x2
                g03 += c0 * x3
                g12 += c1 * x2
                g13 += c1 * x3
                g23 += c2 * x3
    gram[0, 0], gram[1, 1], gram[2, 2], gram[3, 3] = g00, g11, g22, g33
    gram[0, 1], gram[0, 2], gram[0, 3] = g01, g02, g03
    gram[1, 2], gram[1, 3], gram[2, 3] = g12, g13, g23
    gram[1, 0], gram[2, 0], gram[3, 0] = np.conj(g01), np.conj(g02), np.conj(g03)
    gram[2, 1], gram[3, 1], gram[3, 2] = np.conj(g12), np.conj(g13), np.conj(g23)


# The 4x4 algebra works on columns held in locals (the compiler cannot keep arrays that might
# alias in registers; measured 3x faster than loops over a scratch array).
@numba.njit(cache=True)
def _left_multiply(m: np.ndarray, acc: np.ndarray, scale: float) -> None:
    """``acc = scale * m @ acc`` in place (4x4; a one-qubit block's zero padding stays zero)."""
    for j in range(4):
        x0, x1, x2, x3 = acc[0, j], acc[1, j], acc[2, j], acc[3, j]
        acc[0, j] = scale * (m[0, 0] * x0 + m[0, 1] * x1 + m[0, 2] * x2 + m[0, 3] * x3)
        acc[1, j] = scale * (m[1, 0] * x0 + m[1, 1] * x1 + m[1, 2] * x2 + m[1, 3] * x3)
        acc[2, j] = scale * (m[2, 0] * x0 + m[2, 1] * x1 + m[2, 2] * x2 + m[2, 3] * x3)
        acc[3, j] = scale * (m[3, 0] * x0 + m[3, 1] * x1 + m[3, 2] * x2 + m[3, 3] * x3)


@numba.njit(cache=True)
def _left_rotate(r00: complex, r01: complex, r10: complex, r11: complex, bit: int,
                 acc: np.ndarray) -> None:
    """``acc = R @ acc`` in place for ``R = [[r00, r01], [r10, r11]]`` on the bit ``bit`` (1 or
    2) of the 4x4 index."""
    for low in (0, 3 - bit):  # the rows with the rotation's bit at 0: (0, 2) or (0, 1)
        for j in range(4):
            x0, x1 = acc[low, j], acc[low + bit, j]
            acc[low, j] = r00 * x0 + r01 * x1
            acc[low + bit, j] = r10 * x0 + r11 * x1


@numba.njit(cache=True)
def _moved_gram(acc: np.ndarray, gram: np.ndarray, out: np.ndarray) -> None:
    """The upper triangle of ``out = conj(acc) @ gram @ acc^T``, the Gram matrix of
    ``acc psi``."""
    for i in range(4):
        a0, a1, a2, a3 = np.conj(acc[i, 0]), np.conj(acc[i, 1]), np.conj(acc[i, 2]), \
            np.conj(acc[i, 3])
        w0 = a0 * gram[0, 0] + a1 * gram[1, 0] + a2 * gram[2, 0] + a3 * gram[3, 0]
        w1 = a0 * gram[0, 1] + a1 * gram[1, 1] + a2 * gram[2, 1] + a3 * gram[3, 1]
        w2 = a0 * gram[0, 2] + a1 * gram[1, 2] + a2 * gram[2, 2] + a3 * gram[3, 2]
        w3 = a0 * gram[0, 3] + a1 * gram[1, 3] + a2 * gram[2, 3] + a3 * gram[3, 3]
        for j in range(i, 4):
            out[i, j] = w0 * acc[j, 0] + w1 * acc[j, 1] + w2 * acc[j, 2] + w3 * acc[j, 3]


@numba.njit(cache=True)
def _expectation(h: np.ndarray, gram: np.ndarray) -> float:
    """``sum_ij h_ij gram_ij`` for Hermitian ``h`` and ``gram`` (upper triangles read)."""
    total = 0.0
    for i in range(4):
        total += h[i, i].real * gram[i, i].real
        for j in range(i + 1, 4):
            total += 2 * (h[i, j].real * gram[i, j].real - h[i, j].imag * gram[i, j].imag)
    return total


@numba.njit(cache=True)
def _pick(weights: np.ndarray, count: int, u: float) -> int:
    """The first index whose cumulative weight exceeds ``u`` times the total."""
    total = 0.0
    for j in range(count):
        total += weights[j]
    threshold, running, chosen = u * total, 0.0, -1
    for j in range(count):
        if weights[j] > 0:
            chosen = j
            running += weights[j]
            if running > threshold:
                break
    return chosen


@numba.njit(cache=True)
def _run_rows(block_kind: np.ndarray, stride_a: np.ndarray, stride_b: np.ndarray,
              block_stages: np.ndarray, gram: np.ndarray, stage_kind: np.ndarray,
              stage_first: np.ndarray, stage_count: np.ndarray, stage_bit: np.ndarray,
              stage_random: np.ndarray, matrices: np.ndarray, hermitian: np.ndarray,
              cumulative: np.ndarray, rotations: np.ndarray, rotation_slot: np.ndarray,
              gathers: np.ndarray, xmask: np.ndarray, phase: np.ndarray, signs: np.ndarray,
              cos: np.ndarray, sin: np.ndarray, start: int, trajectories: int,
              uniforms: np.ndarray, values: np.ndarray) -> None:
    """Run rows ``start ...`` (row ``i`` is a trajectory of sample ``i // trajectories``) from
    ``|0...0>`` through every block; write each row's observables into ``values``."""
    dim = signs.shape[1]
    psi = np.empty(dim, dtype=np.complex128)
    scratch = np.empty(dim, dtype=np.complex128)
    acc = np.zeros((4, 4), dtype=np.complex128)  # the block's operators chosen so far
    initial = np.zeros((4, 4), dtype=np.complex128)  # the Gram matrix at the block's start
    moved = np.zeros((4, 4), dtype=np.complex128)  # ... of acc psi
    weights = np.empty(max(1, stage_count.max()) if len(stage_count) else 1)
    for r in range(values.shape[0]):
        sample = (start + r) // trajectories
        psi[:] = 0
        psi[0] = 1
        for b in range(len(block_kind)):
            kind, sa, sb = block_kind[b], stride_a[b], stride_b[b]
            if kind == _GATHER:
                scratch[:] = psi
                index = gathers[gram[b]]
                for i in range(dim):
                    psi[i] = scratch[index[i]]
                continue
            if gram[b]:
                if kind == _ONE:
                    _gram1(psi, sa, initial)
                else:
                    _gram2(psi, sa, sb, initial)
            acc[:, :] = 0
            for i in range(4 if kind == _TWO else 2):
                acc[i, i] = 1
            identity = True
            for t in range(block_stages[b], block_stages[b + 1]):
                code, f, count = stage_kind[t], stage_first[t], stage_count[t]
                if code == _ROTATION:
                    slot = rotation_slot[f]
                    c, s = cos[sample, slot], sin[sample, slot]
                    _left_rotate(c * rotations[f, 0, 0, 0] + s * rotations[f, 1, 0, 0],
                                 c * rotations[f, 0, 0, 1] + s * rotations[f, 1, 0, 1],
                                 c * rotations[f, 0, 1, 0] + s * rotations[f, 1, 1, 0],
                                 c * rotations[f, 0, 1, 1] + s * rotations[f, 1, 1, 1],
                                 stage_bit[t], acc)
                else:
                    chosen, scale = f, 1.0
                    if code == _MIXTURE:
                        u = uniforms[r, stage_random[t]]
                        while chosen < f + count - 1 and cumulative[chosen] <= u:
                            chosen += 1
                    elif code == _KRAUS:
                        if identity:
                            current = initial
                        else:
                            _moved_gram(acc, initial, moved)
                            current = moved
                        for k in range(count):
                            weights[k] = _expectation(hermitian[f + k], current)
                        k = _pick(weights, count, uniforms[r, stage_random[t]])
                        chosen, scale = f + k, 1 / np.sqrt(weights[k])
                    _left_multiply(matrices[chosen], acc, scale)
                identity = False
            if kind == _ONE:
                _apply1(psi, sa, acc)
            else:
                _apply2(psi, sa, sb, acc)
        for o in range(len(xmask)):
            x, total = xmask[o], 0j
            for i in range(dim):
                total += np.conj(psi[i]) * psi[i ^ x] * signs[o, i]
            values[r, o] = (phase[o] * total).real
