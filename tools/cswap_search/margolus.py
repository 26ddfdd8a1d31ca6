import numpy as np, json
from util import *
from core import ry
H = np.array([[1,1],[1,-1]])/np.sqrt(2)
c,t,a = 0,1,2
def cnot(ctrl, tgt):
    return [('1', tgt, H), ('2', tuple(sorted((ctrl, tgt)))), ('1', tgt, H)]
m = [('1',a,ry(np.pi/4))] + cnot(t,a) + [('1',a,ry(np.pi/4))] + cnot(c,a) + [('1',a,ry(-np.pi/4))] + cnot(t,a) + [('1',a,ry(-np.pi/4))] + cnot(a,t)
ops = mat_ops_to_ops(m, 'cz')
for o in ops: print(o)
print('infid', cirq_infid(ops), check_edges(ops,'c-a-t'))
print(circuit_from_ops(ops))
json.dump(ops, open('cat_cz_margolus.json','w'))
