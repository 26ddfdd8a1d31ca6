"""Noisy operations as fixed channels and slot rotations, grouped into blocks of one or two qubits.

Each operation of the noisy circuit becomes :class:`Channel` stages (unitaries, mixtures, Kraus
channels), slot :class:`~qru_compile.sim.gate_decoding.Rotation` stages or a many-qubit
:class:`Gather`; :func:`group_blocks` groups them into :class:`Block` s as described in
:mod:`qru_compile.sim.trajectories`, multiplying neighbouring channels into one.
"""

from __future__ import annotations

import dataclasses

import cirq
import numpy as np

from qru_compile.errors import BackendError
from qru_compile.sim.gate_decoding import Matrix1, Rotation, parametrised_ops, permutation_of

_MAX_MIXTURE_TERMS = 64  # a mixture product beyond this stays two stages
_TOLERANCE = 1e-12


@dataclasses.dataclass(frozen=True, eq=False)
class Channel:
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
class Gather:
    """A permutation of more than two qubits (CSWAP, CCX-like), on the whole state."""

    qubits: tuple[int, ...]
    index: np.ndarray  # new_state[i] = state[index[i]]


Stage = Channel | Rotation
Item = Channel | Rotation | Gather


@dataclasses.dataclass(eq=False)
class Block:
    """Stages on at most two qubits, run with one Gram pass (if needed) and one apply pass."""

    qubits: tuple[int, ...] = ()
    stages: list[Stage] = dataclasses.field(default_factory=list)

    def append(self, item: Stage) -> None:
        """Add ``item`` after the stages, merged into the latest stage on its qubits if it can
        be (it commutes past the later stages, which act on the other qubit)."""
        qubits = _qubits_of(item)
        self.qubits += tuple(q for q in qubits if q not in self.qubits)
        for i in range(len(self.stages) - 1, -1, -1):
            stage = self.stages[i]
            if not set(_qubits_of(stage)) & set(qubits):
                continue
            merged: Stage | None = None
            if isinstance(stage, Channel) and isinstance(item, Channel):
                merged = _merge(stage, item)
            elif (isinstance(stage, Rotation) and isinstance(item, Channel)
                  and item.is_unitary and item.qubits == (stage.qubit,)):
                merged = dataclasses.replace(stage, after=item.ops[0] @ stage.after)
            elif (isinstance(stage, Channel) and isinstance(item, Rotation)
                  and stage.is_unitary and stage.qubits == (item.qubit,)):
                merged = dataclasses.replace(item, before=item.before @ stage.ops[0])
            if merged is not None:
                self.stages[i] = merged
                return
            break
        self.stages.append(item)


def _qubits_of(item: Item) -> tuple[int, ...]:
    return (item.qubit,) if isinstance(item, Rotation) else item.qubits


def translate_operation(op: cirq.Operation, position: dict[cirq.Qid, int],
                        slots: dict[str, int], n: int) -> list[Item]:
    """One operation as fixed channels, slot rotations or a many-qubit permutation.

    Args:
        op: an operation of the noisy circuit.
        position: the state position of each qubit.
        slots: the column of each slot name in the slot-value arrays.
        n: qubits of the state.

    Raises:
        BackendError: for qubits outside the state, a channel or a non-permutation on more
            than two qubits, or a symbolic gate not of the slot form.
    """
    if not op.qubits:
        return []  # a global phase
    missing = [q for q in op.qubits if q not in position]
    if missing:
        raise BackendError(f"{op}: qubits {missing} are not in the state")
    if cirq.is_parameterized(op):
        return [Channel((part.qubit,), part.matrix[None], np.ones(1))
                if isinstance(part, Matrix1) else part
                for part in parametrised_ops(op, position, slots)]
    qs = tuple(position[q] for q in op.qubits)
    if len(qs) > 2:
        permutation = permutation_of(op, position, n) if cirq.has_unitary(op) else None
        if permutation is None:
            raise BackendError(f"{op}: only permutations may act on more than two qubits")
        return [Gather(qs, permutation)]
    if cirq.has_unitary(op):
        return [Channel(qs, cirq.unitary(op)[None].astype(complex), np.ones(1))]
    if cirq.has_mixture(op):
        terms = [(p, u) for p, u in cirq.mixture(op) if p > 0]
        return [Channel(qs, np.array([u for _, u in terms], dtype=complex),
                        np.array([p for p, _ in terms], dtype=float))]
    if cirq.has_kraus(op):
        return [Channel(qs, np.array(cirq.kraus(op), dtype=complex), None)]
    raise BackendError(f"{op}: neither a unitary nor a channel")


def embed(ops: np.ndarray, qubits: tuple[int, ...], target: tuple[int, ...]) -> np.ndarray:
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


def _merge(first: Channel, then: Channel) -> Channel | None:
    """``then`` after ``first`` as one channel, or None if it would not fit one."""
    union = first.qubits + tuple(q for q in then.qubits if q not in first.qubits)
    if len(union) > 2:
        return None
    a, b = embed(first.ops, first.qubits, union), embed(then.ops, then.qubits, union)
    d = a.shape[1]
    if first.probs is not None and then.probs is not None:
        unitaries, probs = _dedupe((b[:, None] @ a[None, :]).reshape(-1, d, d),
                                   np.outer(then.probs, first.probs).ravel())
        if len(unitaries) > _MAX_MIXTURE_TERMS:
            return None
        return Channel(union, unitaries, probs)
    a = embed(first.kraus(), first.qubits, union)
    b = embed(then.kraus(), then.qubits, union)
    kraus = (b[:, None] @ a[None, :]).reshape(-1, d, d)
    return Channel(union, _canonical(kraus) if len(kraus) > d * d else kraus, None)


def normalised(channel: Channel) -> Channel:
    """A general channel whose operators are all proportional to unitaries, as a mixture."""
    if channel.probs is not None:
        return channel
    d = channel.ops.shape[1]
    gram = channel.ops.conj().transpose(0, 2, 1) @ channel.ops
    weights = np.real(np.trace(gram, axis1=1, axis2=2)) / d
    if np.allclose(gram, weights[:, None, None] * np.eye(d), atol=_TOLERANCE, rtol=0):
        keep = weights > 0
        return Channel(channel.qubits,
                       channel.ops[keep] / np.sqrt(weights[keep])[:, None, None],
                       weights[keep])
    return channel


def group_blocks(items: list[Item]) -> list[Block | Gather]:
    """The items as blocks, in an order equivalent to theirs.

    Each item joins the latest block on its qubits if the union stays within two qubits, and
    pulls in the latest one-qubit block of each of its other qubits (see
    :mod:`qru_compile.sim.trajectories`); a :class:`Gather` is a block of its own.
    """
    blocks: list[Block | Gather | None] = []
    latest: dict[int, int] = {}  # qubit -> index of the latest block acting on it
    for item in items:
        qubits = _qubits_of(item)
        if isinstance(item, Gather):
            index = len(blocks)
            blocks.append(item)
        else:
            touching = [latest[q] for q in qubits if q in latest]
            index = max(touching) if touching else -1
            target = blocks[index] if touching else None
            if not (isinstance(target, Block) and len(set(target.qubits) | set(qubits)) <= 2):
                index, target = len(blocks), Block()
                blocks.append(target)
            for q in qubits:
                lone = blocks[latest[q]] if q in latest else None
                if (q not in target.qubits and isinstance(lone, Block)
                        and lone.qubits == (q,) and lone is not target):
                    for stage in lone.stages:  # acts on q alone: moves past the blocks between
                        target.append(stage)
                    blocks[latest[q]] = None
            target.append(item)
        for q in qubits:
            latest[q] = index
    return [block for block in blocks if block is not None]
