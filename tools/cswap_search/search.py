import numpy as np, time, json, sys, pickle
from core import *
gates = sys.argv[1].split(',')
conns = sys.argv[2].split(',') if len(sys.argv) > 2 else ['c-a-t','c-t-a','t-c-a','triangle']
restarts = int(sys.argv[3]) if len(sys.argv) > 3 else 10
nmin = int(sys.argv[4]) if len(sys.argv) > 4 else 1
nmax = int(sys.argv[5]) if len(sys.argv) > 5 else 8
rng = np.random.default_rng(12345)
out = {}
for gate in gates:
    for conn in conns:
        rec = {}
        for n in range(nmin, nmax+1):
            t0 = time.time(); best = (2, None, None); nseq = 0
            for seq in sequences(conn, n):
                nseq += 1
                ops = build_ops(seq, gate)
                v, x = optimize(ops, rng, restarts=restarts)
                if v < best[0]:
                    best = (v, x, seq)
                if v < 1e-12:
                    break
            rec[n] = best
            print(f'{gate} {conn} n={n} nseq={nseq} best_infid={best[0]:.3e} seq={best[2]} t={time.time()-t0:.1f}s', flush=True)
            if best[0] < 1e-12:
                break
        out[(gate, conn)] = rec
        pickle.dump(out, open(f'search_{"_".join(gates)}_{"_".join(conns)}.pkl', 'wb'))
