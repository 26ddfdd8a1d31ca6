"""Recheck every circuit in results.json with cirq. Usage: python verify.py [results.json]"""
import json, sys
import numpy as np
import cirq

SYC = cirq.FSimGate(theta=np.pi / 2, phi=np.pi / 6)   # == cirq_google.SYC
G2 = {'cz': cirq.CZ, 'sqrt_iswap': cirq.SQRT_ISWAP, 'syc': SYC}
EDGES = {'c-a-t': {(0, 2), (1, 2)}, 'c-t-a': {(0, 1), (1, 2)}, 't-c-a': {(0, 1), (0, 2)},
         'triangle': {(0, 1), (1, 2), (0, 2)}}
q = cirq.LineQubit.range(3)  # 0 = c, 1 = t, 2 = a

def build(ops):
    c = cirq.Circuit()
    for o in ops:
        if o['gate'] == 'phxz':
            c.append(cirq.PhasedXZGate(x_exponent=o['x_exponent'], z_exponent=o['z_exponent'],
                                       axis_phase_exponent=o['axis_phase_exponent']).on(q[o['qubit']]))
        else:
            i, j = o['qubits']
            c.append(G2[o['gate']].on(q[i], q[j]))
    return c

def infidelity(circuit):
    U = cirq.unitary(circuit)                       # qubit order c, t, a (c most significant)
    V = cirq.unitary(cirq.CSWAP(q[0], q[1], q[2]))
    U4, V4 = U[:, 0::2], V[:, 0::2]                 # isometries on inputs with a = |0>
    M = np.einsum('iak,ibk->ab', U4.reshape(4, 2, 4), V4.reshape(4, 2, 4).conj())  # Tr_ct(U V^dag)
    return 1 - np.linalg.svd(M, compute_uv=False).sum() / 4

if __name__ == '__main__':
    res = json.load(open(sys.argv[1] if len(sys.argv) > 1 else 'results.json'))
    print(f"{'connectivity':10s} {'gate':11s} {'count':>5s} {'infid(recomputed)':>18s} {'stored':>10s} edges_ok count_ok exact_angles lower_count_best")
    for r in res:
        c = build(r['ops'])
        twoq = [op for op in c.all_operations() if len(op.qubits) == 2]
        edges_ok = all(tuple(sorted(x.x for x in op.qubits)) in EDGES[r['connectivity']] for op in twoq)
        gate_ok = all(op.gate == G2[r['two_qubit_gate']] for op in twoq)
        count_ok = len(twoq) == r['count']
        inf = infidelity(c)
        print(f"{r['connectivity']:10s} {r['two_qubit_gate']:11s} {r['count']:5d} {inf:18.3e} {r['infidelity']:10.2e} "
              f"{str(edges_ok and gate_ok):8s} {str(count_ok):8s} {str(r['exact_angles']):12s} {r['lower_count_best_infidelity']}")
