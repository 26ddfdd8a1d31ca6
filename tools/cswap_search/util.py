import numpy as np, cirq, json
from core import V, Vr
SYC = cirq.FSimGate(theta=np.pi/2, phi=np.pi/6)
G2 = {'cz': cirq.CZ, 'sqrt_iswap': cirq.SQRT_ISWAP, 'syc': SYC}
EDGES = {'c-a-t': {(0,2),(1,2)}, 'c-t-a': {(0,1),(1,2)}, 't-c-a': {(0,1),(0,2)}, 'triangle': {(0,1),(1,2),(0,2)}}

def F_of(U):
    U4 = U[:, ::2]  # inputs with a=0
    M = np.einsum('iak,ibk->ab', U4.reshape(4,2,4), Vr.conj())
    return np.linalg.svd(M, compute_uv=False).sum()/4

def circuit_from_ops(ops):
    q = cirq.LineQubit.range(3)
    c = cirq.Circuit()
    for o in ops:
        if o['gate'] == 'phxz':
            c.append(cirq.PhasedXZGate(x_exponent=o['x_exponent'], z_exponent=o['z_exponent'],
                     axis_phase_exponent=o['axis_phase_exponent']).on(q[o['qubit']]))
        else:
            i, j = o['qubits']
            c.append(G2[o['gate']].on(q[i], q[j]))
    return c

def cirq_infid(ops):
    q = cirq.LineQubit.range(3)
    U = cirq.unitary(circuit_from_ops(ops))
    Vc = cirq.unitary(cirq.CSWAP(*q))
    U4, V4 = U[:, ::2], Vc[:, ::2]
    M = np.einsum('iak,ibk->ab', U4.reshape(4,2,4), V4.reshape(4,2,4).conj())
    return 1 - np.linalg.svd(M, compute_uv=False).sum()/4

def check_edges(ops, conn):
    return all(tuple(sorted(o['qubits'])) in EDGES[conn] for o in ops if o['gate'] != 'phxz')

def mat_ops_to_ops(mops, gate):
    """mops: list of ('1', q, 2x2) or ('2', (i,j)). Merge 1q runs; convert to phxz (drop identities)."""
    pend = {0: np.eye(2), 1: np.eye(2), 2: np.eye(2)}
    out = []
    def flush(q):
        m = pend[q]
        if not np.allclose(m / (np.sqrt(complex(np.linalg.det(m)))), np.eye(2), atol=1e-14) and \
           not np.allclose(m / (np.sqrt(complex(np.linalg.det(m)))), -np.eye(2), atol=1e-14):
            g = cirq.PhasedXZGate.from_matrix(m)
            out.append({'gate': 'phxz', 'qubit': q, 'x_exponent': float(g.x_exponent),
                        'z_exponent': float(g.z_exponent), 'axis_phase_exponent': float(g.axis_phase_exponent)})
        pend[q] = np.eye(2)
    for m in mops:
        if m[0] == '1':
            pend[m[1]] = m[2] @ pend[m[1]]
        else:
            for qq in m[1]:
                flush(qq)
            out.append({'gate': gate, 'qubits': list(m[1])})
    for qq in range(3):
        flush(qq)
    return out

def ops_from_params(x, edges, gate, final_anc=False):
    from core import build_ops, u3
    ops = build_ops(edges, gate, final_anc)
    mops = []; pi = 0
    for o in ops:
        if o[0] == 'u':
            mops.append(('1', o[1], u3(*x[pi:pi+3]))); pi += 3
        else:
            mops.append(('2', o[2]))
    return mops
