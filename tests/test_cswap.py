import cirq
import pytest

import qru_compile as qc
from qru_compile.passes.ancillas import fresh_ancillas
from qru_compile.passes.cswap import DecomposeCSwap, choose
from qru_compile.passes.cswap_table import decompositions, fresh_ancilla_costs
from qru_compile.testing import cswap_infidelity

LINE = dict(zip("cta", cirq.LineQubit.range(3)))


@pytest.mark.parametrize("decomposition", decompositions(), ids=lambda d: d.name)
def test_every_stored_decomposition_is_exact_for_what_it_claims(decomposition):
    ops = decomposition.operations(LINE)
    fresh = decomposition.kind == "fresh_ancilla"
    assert cswap_infidelity(ops, fresh_ancilla=fresh) < 1e-12
    if fresh:  # it relies on the ancilla: as a full unitary it is not a CSWAP
        assert cswap_infidelity(ops, fresh_ancilla=False) > 1e-3
    pairs = {frozenset(op.qubits) for op in ops if len(op.qubits) == 2}
    roles = {frozenset(LINE[r] for r in edge) for edge in decomposition.edges}
    assert pairs == roles
    expected_edges = {
        "triangle": {"ct", "ca", "ta"}, "c-a-t": {"ca", "ta"},
        "c-t-a": {"ct", "ta"}, "t-c-a": {"ct", "ca"},
    }[decomposition.pattern]
    assert {"".join(sorted(e, key="cta".index)) for e in decomposition.edges} <= expected_edges


def test_decomposition_table_counts():
    assert fresh_ancilla_costs("cz") == {"c-a-t": 4, "c-t-a": 5, "triangle": 4, "t-c-a": 7}
    assert fresh_ancilla_costs("sqrt_iswap") == {"c-a-t": 4, "c-t-a": 4, "triangle": 4,
                                                 "t-c-a": 8}
    assert fresh_ancilla_costs("sycamore")["c-t-a"] == 5
    exact = {(d.pattern, d.two_qubit_gate): d.two_qubit_count
             for d in decompositions() if d.kind == "exact"}
    assert exact == {("triangle", "cz"): 7, ("c-t-a", "cz"): 8, ("c-t-a", "sqrt_iswap"): 10,
                     ("c-t-a", "syc"): 10}
    # Cirq's own decomposition, for comparison
    cirq_count = sum(1 for op in cirq.optimize_for_target_gateset(
        cirq.Circuit(cirq.CSWAP(*cirq.LineQubit.range(3))), gateset=cirq.CZTargetGateset()
    ).all_operations() if len(op.qubits) == 2)
    assert cirq_count == 9


def test_choice_follows_facts_not_names():
    c, t, x = (cirq.NamedQubit(n) for n in ("h0", "h1", "d7"))  # ancilla not named a*
    op = cirq.CSWAP(c, t, x)
    circuit = cirq.Circuit(cirq.X(c), cirq.H(t), op)
    found = fresh_ancillas(circuit, frozenset({c, t}))
    assert found == {2: x}
    decomposition, roles = choose(op, found.get(2), lambda a, b: True)
    assert decomposition.kind == "fresh_ancilla" and roles["a"] == x
    # a qubit named like an ancilla but used afterwards is not fresh: exact decomposition
    a0 = cirq.NamedQubit("a0")
    used_after = cirq.Circuit(cirq.CSWAP(c, t, a0), cirq.X(a0))
    assert fresh_ancillas(used_after, frozenset({c, t})) == {}
    decomposition, _ = choose(used_after[0].operations[0], None, lambda a, b: True)
    assert decomposition.kind == "exact" and decomposition.two_qubit_count == 7
    # measured, or not |0> before: not fresh either
    assert fresh_ancillas(cirq.Circuit(cirq.CSWAP(c, t, a0)), frozenset({t, a0})) == {}
    assert fresh_ancillas(cirq.Circuit(cirq.H(a0), cirq.CSWAP(c, t, a0)), frozenset({t})) == {}
    # the swap is symmetric: an unmeasured, |0> first target is a fresh ancilla too
    assert fresh_ancillas(cirq.Circuit(cirq.CSWAP(c, t, a0)), frozenset({a0})) == {0: t}


def test_zero_tracking_sees_a_state_moved_out_of_a_qubit():
    q, z, c = cirq.LineQubit.range(3)
    # CNOT(q->z), CNOT(z->q) moves q's state into |0> z and leaves q in |0>
    circuit = cirq.Circuit(cirq.H(q), cirq.CNOT(q, z), cirq.CNOT(z, q), cirq.CSWAP(c, z, q))
    assert fresh_ancillas(circuit, frozenset({c, z})) == {3: q}


def test_line_connectivity_decides_the_pattern():
    c, t, a = cirq.LineQubit.range(3)
    op = cirq.CSWAP(c, t, a)
    line_cat = {frozenset((c, a)), frozenset((a, t))}
    d, _ = choose(op, a, lambda x, y: frozenset((x, y)) in line_cat)
    assert (d.pattern, d.two_qubit_count) == ("c-a-t", 4)
    line_cta = {frozenset((c, t)), frozenset((t, a))}
    d, _ = choose(op, a, lambda x, y: frozenset((x, y)) in line_cta)
    assert (d.pattern, d.two_qubit_count) == ("c-t-a", 5)
    d, _ = choose(op, None, lambda x, y: frozenset((x, y)) in line_cta)
    assert (d.kind, d.two_qubit_count) == ("exact", 8)
    with pytest.raises(qc.CompileError, match="no stored decomposition"):
        choose(op, a, lambda x, y: False)


def test_decompose_pass_on_the_logical_step_is_equivalent():
    from qru_compile.equivalence import check_equivalent
    from qru_compile.lowering import lower
    from qru_compile.unit import CompilationUnit, CompileContext

    model = qc.QRUModel.preset("wdbc")
    step = lower(model)
    ctx = CompileContext(device=qc.get_device("rainbow"), gateset="cz", step=step)
    out = DecomposeCSwap().run(CompilationUnit(step.circuit), ctx)
    # logical qubits are all-to-all: the cheapest fresh-ancilla decomposition, 4 CZ
    assert out.notes == ("fresh_c-a-t_margolus_4cz (4 cz)",) * 2
    assert max(len(op.qubits) for op in out.unit.circuit.all_operations()) == 2
    identity = {q: q for q in step.qubits}
    assert check_equivalent(step, out.unit.circuit, identity, identity, trials=3) is None
