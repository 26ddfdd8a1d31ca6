"""Take search pickles, snap solutions, convert to cirq ops, verify, write results.json."""
import numpy as np, json, pickle, glob, sys
from core import *
from snap import snap
from util import *

def round_ops(ops, den=48):
    out = []; allr = True
    for o in ops:
        o = dict(o)
        if o['gate'] == 'phxz':
            for k in ('x_exponent', 'z_exponent', 'axis_phase_exponent'):
                r = round(o[k]*den)/den
                if abs(o[k]-r) < 1e-9:
                    o[k] = float(r)
                else:
                    allr = False
        out.append(o)
    return out, allr

def process(gate, conn, rec, rng, tries=6):
    ns = sorted(rec)
    n = ns[-1]
    v, x, seq = rec[n]
    lower = float(rec[n-1][0]) if (n-1) in rec and rec[n-1][2] is not None else None
    if v >= 1e-12:
        return None
    ops = build_ops(seq, gate)
    best = None
    xs_list = [x]
    for t in range(tries):
        if t > 0:
            vv, xx = optimize(ops, rng, restarts=20)
            if vv > 1e-12: continue
            xs_list.append(xx)
        xcur = xs_list[-1]
        for step in (np.pi/4, np.pi/8, np.pi/12):
            xs, free, vs = snap(xcur, ops, step=step)
            mops = ops_from_params(xs, seq, gate)
            cops = mat_ops_to_ops(mops, gate)
            rops, allr = round_ops(cops)
            inf_r = cirq_infid(rops)
            exact = (free.sum() == 0) and allr and abs(inf_r) < 1e-12
            if not (abs(inf_r) < 1e-12):
                rops = cops; inf_r = cirq_infid(cops); exact = False
            cand = dict(connectivity=conn, two_qubit_gate=gate, count=n, infidelity=float(inf_r), ops=rops,
                        exact_angles=bool(exact), lower_count_best_infidelity=lower, edge_sequence=[list(e) for e in seq],
                        n_free_params_after_snap=int(free.sum()))
            assert check_edges(rops, conn)
            if best is None or (cand['exact_angles'] and not best['exact_angles']) or \
               (cand['exact_angles'] == best['exact_angles'] and cand['n_free_params_after_snap'] < best['n_free_params_after_snap']):
                best = cand
            print(gate, conn, n, 'try', t, 'step', step, 'free', free.sum(), 'inf', inf_r, 'exact', exact, flush=True)
            if exact: break
        if best['exact_angles']: break
    return best

import os
TRIES = int(os.environ.get("TRIES", 6)); SKIP = os.environ.get("SKIP", "").split(",")
if __name__ == "__main__":
    rng = np.random.default_rng(7)
    try:
        results = json.load(open('results.json'))
    except Exception:
        results = []
    for fn in sys.argv[1:]:
        d = pickle.load(open(fn, 'rb'))
        for (gate, conn), rec in d.items():
            if conn in SKIP: continue
            r = process(gate, conn, rec, rng, tries=TRIES)
            if r is None:
                print('no solution', gate, conn); continue
            results = [q for q in results if not (q['connectivity'] == conn and q['two_qubit_gate'] == gate)]
            results.append(r)
            json.dump(results, open('results.json', 'w'), indent=1)
