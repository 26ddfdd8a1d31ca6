"""The compiled (numba) loop of the batched trajectory engine, and its dispatch codes.

:func:`run_rows` runs rows (trajectories of samples) of a :class:`qru_compile.sim.trajectories.
NoisyProgram` from ``|0...0>`` through every block, each a Gram pass (if needed) and one apply
pass of the operators sampled on 2x2 / 4x4 matrices, and evaluates the observables in the same
loop; the helpers below apply, multiply and sample those small matrices.
"""

from __future__ import annotations

import numba
import numpy as np

# Dispatch codes of the compiled loop: blocks, then stages.
ONE, TWO, GATHER = range(3)
UNITARY, MIXTURE, KRAUS, ROTATION = range(4)
STAGE_NAMES = ("unitary", "mixture", "kraus", "rotation")


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
def run_rows(block_kind: np.ndarray, stride_a: np.ndarray, stride_b: np.ndarray,
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
            if kind == GATHER:
                scratch[:] = psi
                index = gathers[gram[b]]
                for i in range(dim):
                    psi[i] = scratch[index[i]]
                continue
            if gram[b]:
                if kind == ONE:
                    _gram1(psi, sa, initial)
                else:
                    _gram2(psi, sa, sb, initial)
            acc[:, :] = 0
            for i in range(4 if kind == TWO else 2):
                acc[i, i] = 1
            identity = True
            for t in range(block_stages[b], block_stages[b + 1]):
                code, f, count = stage_kind[t], stage_first[t], stage_count[t]
                if code == ROTATION:
                    slot = rotation_slot[f]
                    c, s = cos[sample, slot], sin[sample, slot]
                    _left_rotate(c * rotations[f, 0, 0, 0] + s * rotations[f, 1, 0, 0],
                                 c * rotations[f, 0, 0, 1] + s * rotations[f, 1, 0, 1],
                                 c * rotations[f, 0, 1, 0] + s * rotations[f, 1, 1, 0],
                                 c * rotations[f, 0, 1, 1] + s * rotations[f, 1, 1, 1],
                                 stage_bit[t], acc)
                else:
                    chosen, scale = f, 1.0
                    if code == MIXTURE:
                        u = uniforms[r, stage_random[t]]
                        while chosen < f + count - 1 and cumulative[chosen] <= u:
                            chosen += 1
                    elif code == KRAUS:
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
            if kind == ONE:
                _apply1(psi, sa, acc)
            else:
                _apply2(psi, sa, sb, acc)
        for o in range(len(xmask)):
            x, total = xmask[o], 0j
            for i in range(dim):
                total += np.conj(psi[i]) * psi[i ^ x] * signs[o, i]
            values[r, o] = (phase[o] * total).real
