"""Core: fast numpy simulation + analytic gradient of F for CSWAP-with-ancilla search.
Qubit order: 0=c, 1=t, 2=a (c most significant), like cirq.LineQubit order.
"""
import numpy as np
import itertools
from scipy.optimize import minimize

I2 = np.eye(2, dtype=complex)
Z = np.diag([1, -1]).astype(complex)
Y = np.array([[0, -1j], [1j, 0]])

CSWAP = np.eye(8, dtype=complex)
CSWAP[[5, 6]] = CSWAP[[6, 5]]
# isometry: inputs |c t 0>
EMB = np.zeros((8, 4), dtype=complex)
for k in range(4):
    EMB[2 * k, k] = 1
V = CSWAP @ EMB
Vr = V.reshape(4, 2, 4)

SQ = np.sqrt(0.5)
GATES2 = {
    'cz': np.diag([1, 1, 1, -1]).astype(complex),
    'sqrt_iswap': np.array([[1, 0, 0, 0], [0, SQ, 1j * SQ, 0], [0, 1j * SQ, SQ, 0], [0, 0, 0, 1]], dtype=complex),
}
def fsim(theta, phi):
    return np.array([[1, 0, 0, 0], [0, np.cos(theta), -1j * np.sin(theta), 0],
                     [0, -1j * np.sin(theta), np.cos(theta), 0], [0, 0, 0, np.exp(-1j * phi)]])
GATES2['syc'] = fsim(np.pi / 2, np.pi / 6)

def embed1(g, q):
    ops = [I2, I2, I2]
    ops[q] = g
    return np.kron(np.kron(ops[0], ops[1]), ops[2])

def embed2(g, i, j):
    """4x4 gate g on (i,j) with i the more significant in g's basis."""
    G = g.reshape(2, 2, 2, 2)
    full = np.zeros((2,) * 6, dtype=complex)
    k = [q for q in range(3) if q not in (i, j)][0]
    for idx in itertools.product(range(2), repeat=6):
        o, inp = idx[:3], idx[3:]
        if o[k] != inp[k]:
            continue
        full[idx] = G[o[i], o[j], inp[i], inp[j]]
    return full.reshape(8, 8)

def rz(a):
    return np.array([[np.exp(-0.5j * a), 0], [0, np.exp(0.5j * a)]])
def ry(a):
    c, s = np.cos(a / 2), np.sin(a / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)
def u3(t, p, l):
    return rz(p) @ ry(t) @ rz(l)

def build_ops(edges, gate='cz', final_anc=False):
    """ops list: ('u',q) or ('g',8x8 matrix). Initial u3 on all qubits, after each 2q gate u3 on its two qubits
    (except the final ancilla u3 which is irrelevant)."""
    g = GATES2[gate]
    ops = [('u', 0), ('u', 1), ('u', 2)]
    for n, (i, j) in enumerate(edges):
        ops.append(('g', embed2(g, i, j), (i, j)))
        last = n == len(edges) - 1
        for q in (i, j):
            if last and q == 2 and not final_anc:
                continue
            ops.append(('u', q))
    return ops

def nparams(ops):
    return 3 * sum(1 for o in ops if o[0] == 'u')

def fid_grad(x, ops, want_grad=True):
    mats = []
    dmats = []
    pi = 0
    for o in ops:
        if o[0] == 'u':
            t, p, l = x[pi:pi + 3]; pi += 3
            Rp, Ry_, Rl = rz(p), ry(t), rz(l)
            g = Rp @ Ry_ @ Rl
            mats.append(embed1(g, o[1]))
            if want_grad:
                dt = Rp @ (-0.5j * Y @ Ry_) @ Rl
                dp = -0.5j * Z @ g
                dl = g @ (-0.5j * Z)
                dmats.append([embed1(d, o[1]) for d in (dt, dp, dl)])
        else:
            mats.append(o[1])
            dmats.append(None)
    S = [EMB]
    for m in mats:
        S.append(m @ S[-1])
    U = S[-1]
    M = np.einsum('iak,ibk->ab', U.reshape(4, 2, 4), Vr.conj())
    X, s, Yh = np.linalg.svd(M)
    F = s.sum() / 4
    if not want_grad:
        return F, None
    Q = X @ Yh
    G = np.kron(np.eye(4), Q) @ V
    B = G.conj().T  # 4x8
    grad = np.zeros(len(x))
    pi = len(x)
    for k in range(len(mats) - 1, -1, -1):
        if dmats[k] is not None:
            pi -= 3
            Sk = S[k]
            for r in range(3):
                grad[pi + r] = np.real(np.trace(B @ dmats[k][r] @ Sk)) / 4
        B = B @ mats[k]
    return F, grad

def infid(x, ops):
    F, g = fid_grad(x, ops)
    return 1 - F, -g

def optimize(ops, rng, restarts=10, tol=1e-12, x0=None, maxiter=3000):
    n = nparams(ops)
    best = (2.0, None)
    for r in range(restarts):
        x = rng.uniform(-np.pi, np.pi, n) if (x0 is None or r > 0) else x0
        res = minimize(infid, x, args=(ops,), jac=True, method='BFGS',
                       options={'gtol': 1e-14, 'maxiter': maxiter})
        val = 1 - fid_grad(res.x, ops, False)[0]
        if val < best[0]:
            best = (val, res.x)
        if best[0] < tol:
            break
    return best

EDGESETS = {
    'c-a-t': [(0, 2), (2, 1)],
    'c-t-a': [(0, 1), (1, 2)],
    't-c-a': [(1, 0), (0, 2)],
    'triangle': [(0, 1), (1, 2), (0, 2)],
}

def sequences(conn, n):
    E = EDGESETS[conn]
    for seq in itertools.product(range(len(E)), repeat=n):
        # prune: 4 identical consecutive edges is redundant (3 CZ = any 2q gate)
        bad = any(len(set(seq[i:i + 4])) == 1 for i in range(n - 3))
        if bad:
            continue
        # must touch all qubits
        qs = set()
        for s in seq:
            qs |= set(E[s])
        if len(qs) < 3:
            continue
        yield tuple(E[s] for s in seq)
