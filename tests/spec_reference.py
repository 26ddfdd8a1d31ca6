"""An independent QRU simulator written straight from QRU_SPEC.md, in plain numpy.

It shares no code with the package (no Cirq, no lowering): gates are explicit matrices applied
to a state tensor, parameters are read off the vector in the order the spec lists them. Tests
compare the package against it for configurations the shipped golden data does not cover.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

_PARAMS = {"rx": 1, "ry": 1, "rz": 1, "u2": 2, "rot": 3}


def rx(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


def ry(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def rz(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def gate_matrix(kind: str, p: list[float]) -> np.ndarray:
    if kind == "rx":
        return rx(p[0])
    if kind == "ry":
        return ry(p[0])
    if kind == "rz":
        return rz(p[0])
    if kind == "u2":  # U2(phi, lam) = RZ(phi) RY(pi/2) RZ(lam)
        return rz(p[0]) @ ry(math.pi / 2) @ rz(p[1])
    if kind == "rot":  # Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)
        return rz(p[2]) @ ry(p[1]) @ rz(p[0])
    raise ValueError(kind)


class _State:
    def __init__(self, n: int) -> None:
        self.n = n
        self.psi = np.zeros((2,) * n, dtype=complex)
        self.psi[(0,) * n] = 1.0

    def apply(self, matrix: np.ndarray, qubits: tuple[int, ...]) -> None:
        k = len(qubits)
        m = matrix.reshape((2,) * (2 * k))
        psi = np.tensordot(m, self.psi, axes=(list(range(k, 2 * k)), list(qubits)))
        self.psi = np.moveaxis(psi, list(range(k)), list(qubits))

    def expectation(self, pauli: np.ndarray, q: int) -> float:
        other = self.psi.copy()
        m = np.tensordot(pauli, other, axes=([1], [q]))
        m = np.moveaxis(m, 0, q)
        return float(np.real(np.vdot(self.psi, m)))


CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
CSWAP = np.eye(8, dtype=complex)[[0, 1, 2, 3, 4, 6, 5, 7]]
Z = np.diag([1.0, -1.0]).astype(complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)


def _ring(state: _State, qubits: list[int]) -> None:
    if len(qubits) < 2:
        return
    for a, b in itertools.pairwise(qubits):
        state.apply(CNOT, (a, b))
    state.apply(CNOT, (qubits[-1], qubits[0]))


def step(config: dict, params: np.ndarray, x: np.ndarray, h: np.ndarray) -> tuple[list, list]:
    """One QRU step: returns (outs, hidden_out) as in QRU_SPEC.md."""
    I, H, L = config["I"], config["H"], config["L"]
    G, LG = config["G"], config["LG"]
    nd, nh = math.ceil(I / 2), math.ceil(H / 2)
    d = list(range(nd))
    hq = list(range(nd, nd + nh))
    a0, a1 = nd + nh, nd + nh + 1
    state = _State(nd + nh + 2)
    pos = 0
    for i in range(I):
        w, b = params[pos], params[pos + 1]
        pos += 2
        angle = w * x[i] + b
        state.apply(rx(angle) if i % 2 == 0 else ry(angle), (d[i // 2],))
    _ring(state, d)
    for i in range(2 * nh):
        w, b = params[pos], params[pos + 1]
        pos += 2
        angle = w * math.asin(h[i]) + b
        state.apply(rx(angle) if i % 2 == 0 else ry(angle), (hq[i // 2],))
    _ring(state, hq)
    state.apply(CNOT, (d[0], hq[0]))
    state.apply(CSWAP, (hq[0], hq[1], a0))
    k = _PARAMS[G]
    state.apply(gate_matrix(G, list(params[pos : pos + k])), (hq[0],))
    pos += k
    state.apply(CSWAP, (hq[0], hq[-1], a1))
    for layer in range(L):
        kind = LG[layer % len(LG)]
        k = _PARAMS[kind]
        for q in d + hq:
            state.apply(gate_matrix(kind, list(params[pos : pos + k])), (q,))
            pos += k
        _ring(state, d + hq)
    assert pos == len(params), "parameter vector longer than the layout"
    outs = [v for q in d for v in (state.expectation(Z, q), state.expectation(X, q))]
    hidden = [v for q in hq for v in (state.expectation(Z, q), state.expectation(X, q))]
    return outs, hidden


def sequence(config: dict, params: np.ndarray, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outs [T, batch, 2nd] and hidden [T, batch, 2nh] from zero initial hidden state."""
    nh = math.ceil(config["H"] / 2)
    outs, hiddens = [], []
    for sample in inputs:
        h = np.zeros(2 * nh)
        o_seq, h_seq = [], []
        for x in sample:
            o, h = step(config, params, x, h)
            o_seq.append(o)
            h_seq.append(h)
        outs.append(o_seq)
        hiddens.append(h_seq)
    return np.swapaxes(np.array(outs), 0, 1), np.swapaxes(np.array(hiddens), 0, 1)
