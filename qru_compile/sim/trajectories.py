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

This module translates the noisy circuit and runs it: :mod:`qru_compile.sim.channel_blocks`
builds the channels and blocks, :mod:`qru_compile.sim.trajectory_kernels` holds the compiled
loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cirq
import numpy as np

from qru_compile.errors import BackendError
from qru_compile.sim.channel_blocks import (
    Block,
    Gather,
    embed,
    group_blocks,
    normalised,
    translate_operation,
)
from qru_compile.sim.gate_decoding import Rotation
from qru_compile.sim.kernels import MAX_AMPLITUDES
from qru_compile.sim.pauli_masks import PauliMasks
from qru_compile.sim.trajectory_kernels import (
    GATHER,
    KRAUS,
    MIXTURE,
    ONE,
    ROTATION,
    STAGE_NAMES,
    TWO,
    UNITARY,
    run_rows,
)


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
                     slot_names: Sequence[str], observables: Sequence[cirq.PauliString[cirq.Qid]],
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
        items = [item for op in operations
                 for item in translate_operation(op, position, slots, n)]
        rotations = [item.slot for item in items if isinstance(item, Rotation)]
        if len(rotations) != len(set(rotations)):
            raise BackendError("a slot drives more than one rotation; the batched engine needs "
                               "each slot on exactly one gate (see shiftability)")
        return cls._assemble(n, len(slot_names), group_blocks(items),
                             PauliMasks.from_pauli_strings(observables, position),
                             len(operations))

    @classmethod
    def _assemble(cls, n: int, num_slots: int, blocks: list[Block | Gather],
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
            if isinstance(block, Gather):
                block_rows.append((GATHER, 0, 0, len(gathers)))
                gathers.append(block.index)
                block_stages.append(block_stages[-1])
                continue
            qubits, needs_gram = block.qubits, False
            for stage in block.stages:
                if isinstance(stage, Rotation):
                    bit = 2 if len(qubits) == 2 and qubits[0] == stage.qubit else 1
                    stage_rows.append((ROTATION, len(rotations), 1, bit, -1))
                    rotations.append(stage)
                    continue
                stage = normalised(stage)
                if stage.is_unitary:
                    code, probs = UNITARY, np.ones(1)
                elif stage.probs is not None:
                    code, probs = MIXTURE, stage.probs
                else:
                    code, probs, needs_gram = KRAUS, np.zeros(len(stage.ops)), True
                random = -1 if code == UNITARY else stochastic
                stochastic += int(code != UNITARY)
                stage_rows.append((code, len(matrices), len(stage.ops), 0, random))
                d = 1 << len(qubits)
                for op in embed(stage.ops, stage.qubits, qubits):
                    padded = np.zeros((4, 4), dtype=complex)
                    padded[:d, :d] = op
                    matrices.append(padded)
                cumulative += list(np.cumsum(probs) / max(probs.sum(), 1e-300))
            block_rows.append((TWO if len(qubits) == 2 else ONE, stride(qubits[0]),
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
                      self.gram[self.block_kind != GATHER].sum())}
        counts.update({f"{name} stages": int((self.stage_kind == code).sum())
                       for code, name in enumerate(STAGE_NAMES)})
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
            run_rows(self.block_kind, self.stride_a, self.stride_b, self.block_stages,
                     self.gram, self.stage_kind, self.stage_first, self.stage_count,
                     self.stage_bit, self.stage_random, self.matrices, self.hermitian,
                     self.cumulative, self.rotations, self.rotation_slot, self.gathers,
                     self.observables.xmask, self.observables.phase, self.signs, cos, sin,
                     start, per_row, uniforms, values[start:stop])
        return values.reshape(len(slot_values), per_row, self.observables.count)
