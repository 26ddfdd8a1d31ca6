import numpy as np
from scipy.optimize import minimize
from core import fid_grad

def reopt(x, ops, free):
    if not free.any():
        return x, 1 - fid_grad(x, ops, False)[0]
    def f(y):
        z = x.copy(); z[free] = y
        F, g = fid_grad(z, ops)
        return 1 - F, -g[free]
    r = minimize(f, x[free], jac=True, method='BFGS', options={'gtol': 1e-15, 'maxiter': 2000})
    z = x.copy(); z[free] = r.x
    return z, 1 - fid_grad(z, ops, False)[0]

def snap(x, ops, step=np.pi/4, tol=1e-13, rng=None):
    x = x.copy()
    x, v = reopt(x, ops, np.ones(len(x), bool))
    free = np.ones(len(x), bool)
    tried = np.zeros(len(x), bool)
    while True:
        cand = np.where(free & ~tried)[0]
        if len(cand) == 0:
            break
        d = np.abs(x[cand] - step*np.round(x[cand]/step))
        k = cand[np.argmin(d)]
        tried[k] = True
        y = x.copy(); y[k] = step*np.round(x[k]/step)
        nf = free.copy(); nf[k] = False
        y, v2 = reopt(y, ops, nf)
        if v2 < tol:
            x, free = y, nf
            tried[:] = False  # new freedom situation, allow retry of others
            tried[~free] = True
    return x, free, 1 - fid_grad(x, ops, False)[0]
