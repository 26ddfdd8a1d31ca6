import json
r = json.load(open('results.json'))
order = {'c-a-t': 0, 'c-t-a': 1, 't-c-a': 2, 'triangle': 3}
gorder = {'cz': 0, 'sqrt_iswap': 1, 'syc': 2}
for q in r:
    for o in q['ops']:
        if o['gate'] != 'phxz':
            o['qubits'] = sorted(o['qubits'])
    q['edge_sequence'] = [sorted(e) for e in q['edge_sequence']]
    if q['lower_count_best_infidelity'] is None and q['connectivity'] == 't-c-a' and q['two_qubit_gate'] == 'cz':
        q['lower_count_best_infidelity'] = 0.07612  # from search_cz.log (n=6, all 48 sequences x 10 restarts)
r.sort(key=lambda q: (gorder[q['two_qubit_gate']], order[q['connectivity']]))
json.dump(r, open('results.json', 'w'), indent=1)
