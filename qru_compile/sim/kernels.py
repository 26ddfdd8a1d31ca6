"""The compiled (numba) kernels of the batched state-vector engine, and their thin wrappers.

Each kernel applies one operation to every row of a ``[rows, 2**n]`` complex128 state array
in place (a 2x2 matrix or a slot rotation on one qubit, a gather permutation), or evaluates
``<a|P|b>`` for Pauli strings given as bit masks; :func:`apply_2q` is the numpy one for 4x4
matrices. Qubit 0 is the most significant bit of the state index, as in Cirq.
"""

from __future__ import annotations

import numba
import numpy as np

MAX_AMPLITUDES = 1 << 18  # rows x 2**n per chunk: 4 MiB of complex128, cache-friendly (measured)


@numba.njit(cache=True, inline="always")
def _parity(x: int) -> int:
    odd = 0
    while x:
        x &= x - 1
        odd ^= 1
    return odd


@numba.njit(cache=True)
def pauli_products(a: np.ndarray, b: np.ndarray, xmask: np.ndarray, zmask: np.ndarray,
                   phase: np.ndarray) -> np.ndarray:
    """``<a|P_o|b>`` per row and observable ``o``, ``[rows, O]``.

    ``P_o = phase[o] X^xmask[o] Z^zmask[o]`` (see :class:`qru_compile.sim.pauli_masks.PauliMasks`).
    """
    rows, dim = a.shape
    out = np.zeros((rows, len(xmask)), dtype=np.complex128)
    for r in range(rows):
        for o in range(len(xmask)):
            x, z = xmask[o], zmask[o]
            total = 0j
            for k in range(dim):
                j = k ^ x
                term = np.conj(a[r, k]) * b[r, j]
                total += -term if _parity(j & z) else term
            out[r, o] = total if phase[o] == 1 else phase[o] * total
    return out


@numba.njit(cache=True)
def forked_products(base: np.ndarray, forked: np.ndarray, xmask: np.ndarray,
                    zmask: np.ndarray, phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``<f|P_o|f>`` and ``<b|P_o|f>`` per forked row ``f`` and observable ``o``, in one pass.

    Forked row ``r`` belongs to base row ``r % len(base)`` (the engine forks every base row
    once per slot, in blocks). Reading each forked amplitude once for both products, in one
    call for all slots, is 1.7x faster than two :func:`pauli_products` calls per slot on the
    MNIST step (measured alone; they were 28% of its parameter-shift Jacobian).
    """
    rows, dim = forked.shape
    batch = base.shape[0]
    count = len(xmask)
    same = np.zeros((rows, count), dtype=np.complex128)
    cross = np.zeros((rows, count), dtype=np.complex128)
    for r in range(rows):
        b = r % batch
        for o in range(count):
            x, z = xmask[o], zmask[o]
            total_same = 0j
            total_cross = 0j
            for k in range(dim):
                j = k ^ x
                value = forked[r, j]
                if _parity(j & z):
                    value = -value
                total_same += np.conj(forked[r, k]) * value
                total_cross += np.conj(base[b, k]) * value
            same[r, o] = total_same * phase[o]
            cross[r, o] = total_cross * phase[o]
    return same, cross


def rotate(state: np.ndarray, qubit: int, n: int, angles: np.ndarray,
           parts: np.ndarray) -> None:
    """Apply a slot's gate ``cos(t/2) A + sin(t/2) B`` (``parts = [A, B]``) in place; row ``r``
    takes ``t = angles[r % len(angles)]`` (rows come in blocks of one row per sample)."""
    _rotate_kernel(state, 1 << (n - qubit - 1), np.cos(angles / 2), np.sin(angles / 2), parts)


@numba.njit(cache=True)
def _rotate_kernel(state: np.ndarray, stride: int, cos: np.ndarray, sin: np.ndarray,
                   parts: np.ndarray) -> None:
    # the matrix of each row built in the loop: building [rows, 2, 2] arrays in numpy cost
    # more than applying them on the small oscillation batches (profiled)
    batch = len(cos)
    for r in range(state.shape[0]):
        c, s = cos[r % batch], sin[r % batch]
        a = c * parts[0, 0, 0] + s * parts[1, 0, 0]
        b = c * parts[0, 0, 1] + s * parts[1, 0, 1]
        d = c * parts[0, 1, 0] + s * parts[1, 1, 0]
        e = c * parts[0, 1, 1] + s * parts[1, 1, 1]
        _apply_to_row(state, r, stride, a, b, d, e)


def apply_1q(state: np.ndarray, qubit: int, n: int, matrix: np.ndarray) -> None:
    """Apply the 2x2 ``matrix`` to ``qubit`` of every row, in place."""
    _apply_1q_kernel(state, 1 << (n - qubit - 1), np.ascontiguousarray(matrix, dtype=complex))


@numba.njit(cache=True)
def _apply_1q_kernel(state: np.ndarray, stride: int, m: np.ndarray) -> None:
    # A compiled loop: numpy's vectorised form spends ~8x longer per row in temporaries
    # (measured 10.8 us against 1.3 us per 1024-amplitude row on this machine).
    for r in range(state.shape[0]):
        _apply_to_row(state, r, stride, m[0, 0], m[0, 1], m[1, 0], m[1, 1])


@numba.njit(cache=True, inline="always")
def _apply_to_row(state: np.ndarray, r: int, stride: int, a: complex, b: complex, c: complex,
                  d: complex) -> None:
    """``[[a, b], [c, d]]`` on the qubit of ``stride``, in row ``r``."""
    if b == 0 and c == 0:  # diagonal (Z rotations): half the arithmetic, measured 1.4x faster
        for base in range(0, state.shape[1], 2 * stride):
            for k in range(base, base + stride):
                state[r, k] *= a
                state[r, k + stride] *= d
        return
    for base in range(0, state.shape[1], 2 * stride):
        for k in range(base, base + stride):
            x0, x1 = state[r, k], state[r, k + stride]
            state[r, k] = a * x0 + b * x1
            state[r, k + stride] = c * x0 + d * x1


@numba.njit(cache=True)
def permute_rows(state: np.ndarray, index: np.ndarray) -> None:
    """Gather every row in place: ``state[r, k] = old state[r, index[k]]``."""
    # In place, row by row through a cache-resident copy: numpy's ``state[:] = state[:, index]``
    # gathers into a full temporary and copies it back (measured 9x slower at 1160 x 1024).
    gather_rows(state, index, np.empty(state.shape[1], dtype=state.dtype))


@numba.njit(cache=True)
def gather_rows(state: np.ndarray, index: np.ndarray, scratch: np.ndarray) -> None:
    """:func:`permute_rows` through a given ``scratch`` row (callers that gather many times)."""
    for r in range(state.shape[0]):
        scratch[:] = state[r]
        for k in range(state.shape[1]):
            state[r, k] = scratch[index[k]]


def apply_2q(state: np.ndarray, qubits: tuple[int, int], n: int,
             matrix: np.ndarray) -> np.ndarray:
    """The rows with the 4x4 ``matrix`` applied to ``qubits`` (the first the high bit)."""
    tensor = state.reshape((len(state),) + (2,) * n)
    a, b = qubits[0] + 1, qubits[1] + 1
    moved = np.moveaxis(tensor, (a, b), (-2, -1))
    shape = moved.shape
    flat = moved.reshape(-1, 4) @ matrix.T
    return np.moveaxis(flat.reshape(shape), (-2, -1), (a, b)).reshape(state.shape)
