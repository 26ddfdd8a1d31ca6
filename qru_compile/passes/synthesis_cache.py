"""Cirq's two-qubit synthesis, remembered by unitary.

A QRU step resynthesises the same few fixed two-qubit blocks (a CNOT, a CNOT with the SWAP
after it, ...) dozens of times per compile and again in every compile; Cirq's KAK-based
synthesis spends about 2 ms on each. :func:`memoized_target` wraps a Cirq compilation target
so that each distinct unitary is synthesised once (on placeholder qubits) and every later
block with that unitary gets the same gates on its own qubits: the output is the one Cirq
gives, only sooner.
"""

from __future__ import annotations

from collections.abc import Sequence

import cirq
from cirq.protocols.decompose_protocol import DecomposeResult

_PLACEHOLDERS = cirq.LineQubit.range(2)
_CACHE_LIMIT = 4096
_cache: dict[tuple[str, type, bytes], tuple[cirq.Operation, ...] | None] = {}


class _MemoizedTarget(cirq.TwoQubitCompilationTargetGateset):
    """``target`` with its two-qubit synthesis memoised (everything else delegated)."""

    def __init__(self, target: cirq.TwoQubitCompilationTargetGateset) -> None:
        super().__init__(*target.gates, name=target.name,
                         unroll_circuit_op=target._unroll_circuit_op,
                         preserve_moment_structure=target._preserve_moment_structure,
                         reorder_operations=target._reorder_operations)
        self._target = target
        self._key = repr(target)

    @property
    def preprocess_transformers(self) -> list[cirq.TRANSFORMER]:
        return self._target.preprocess_transformers

    @property
    def postprocess_transformers(self) -> list[cirq.TRANSFORMER]:
        return self._target.postprocess_transformers

    def _decompose_single_qubit_operation(self, op: cirq.Operation, moment_idx: int
                                          ) -> DecomposeResult:
        return self._target._decompose_single_qubit_operation(op, moment_idx)

    def _decompose_multi_qubit_operation(self, op: cirq.Operation, moment_idx: int
                                         ) -> DecomposeResult:
        return self._target._decompose_multi_qubit_operation(op, moment_idx)

    def _decompose_two_qubit_operation(self, op: cirq.Operation, moment_idx: int
                                       ) -> DecomposeResult:
        if cirq.is_parameterized(op) or not cirq.has_unitary(op):
            return self._target._decompose_two_qubit_operation(op, moment_idx)
        untagged = op.untagged
        kind = type(untagged.gate) if untagged.gate is not None else type(untagged)
        key = (self._key, kind, cirq.unitary(op).tobytes())
        if key not in _cache:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            placed = untagged.transform_qubits(dict(zip(op.qubits, _PLACEHOLDERS)))
            found = self._target._decompose_two_qubit_operation(placed, moment_idx)
            _cache[key] = (None if found is None or found is NotImplemented
                           else tuple(cirq.flatten_to_ops(found)))
        cached = _cache[key]
        if cached is None:
            return NotImplemented
        return _on_qubits(cached, op.qubits)


def _on_qubits(operations: Sequence[cirq.Operation], qubits: Sequence[cirq.Qid]
               ) -> list[cirq.Operation]:
    mapping: dict[cirq.Qid, cirq.Qid] = dict(zip(_PLACEHOLDERS, qubits))
    return [o.transform_qubits(mapping) for o in operations]


def memoized_target(target: cirq.CompilationTargetGateset) -> cirq.CompilationTargetGateset:
    """``target`` with its two-qubit synthesis memoised by unitary (other targets as given)."""
    if not isinstance(target, cirq.TwoQubitCompilationTargetGateset):
        return target
    return _MemoizedTarget(target)
