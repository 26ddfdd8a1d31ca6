"""The final CNOT ring absorbed into the readout: fewer two-qubit gates, the same outputs (as
parities), the same outcome distribution after post-processing, and the calibration's choice."""

import itertools

import cirq
import numpy as np
import pytest

import qru_compile as qc
from qru_compile.errors import InputError
from qru_compile.lowering import lower
from qru_compile.ring_absorption import parity_observables, trailing_cnots, without_final_cnots
from qru_compile.sim.backends import StatevectorBackend
from qru_compile.sim.rollout import rollout
from qru_compile.train.data import Dataset
from qru_compile.train.mitigation import Mitigation
from qru_compile.train.noisy import compare_ideal_and_noisy


@pytest.mark.parametrize("preset, ring", [("oscillation", 6), ("wdbc", 5), ("mnist", 8)])
def test_absorbing_the_ring_keeps_every_output_and_saves_its_cnots(preset, ring):
    model = qc.QRUModel.preset(preset)
    assert trailing_cnots(lower(model)) == ring
    kept = qc.compile(model, "willow_pink", absorb_ring=0)
    absorbed = qc.compile(model, "willow_pink", absorb_ring="all", audit=True,
                          verify_equivalence=True)
    assert len(absorbed.absorbed) == ring
    assert absorbed.report.final.two_qubit <= kept.report.final.two_qubit - ring
    assert max(len(o) for o in absorbed.observables) > 1  # parities
    params = model.initial_parameters(seed=2)[: model.num_circuit_parameters]
    inputs = np.random.default_rng(1).uniform(0, 1, (3, 4, model.I))
    hidden = np.zeros((3, model.hidden_size))
    np.testing.assert_allclose(
        rollout(absorbed.program, StatevectorBackend(), params, inputs, hidden).outs,
        rollout(kept.program, StatevectorBackend(), params, inputs, hidden).outs, atol=1e-12)


def _distribution(circuit, qubits):
    """Outcome probabilities over ``qubits`` (the others traced out)."""
    state = cirq.final_state_vector(circuit, qubit_order=qubits + sorted(
        set(circuit.all_qubits()) - set(qubits)), dtype=np.complex128)
    probabilities = np.abs(state.reshape(2 ** len(qubits), -1)) ** 2
    return probabilities.sum(axis=1)


def test_post_processed_outcomes_have_the_original_distribution():
    """Z basis: the truncated step's bitstrings x, mapped by the absorbed CNOTs (y = A x over
    GF(2)), are distributed exactly as the full step's; X basis: the same after a Hadamard on
    every measured qubit with controls and targets exchanged."""
    model = qc.QRUModel.preset("wdbc")
    step = lower(model)
    truncated, absorbed = without_final_cnots(step, "all")
    params = model.initial_parameters(seed=4)[: model.num_circuit_parameters]
    slots = step.angle_map.values(params, np.full((1, model.I), 0.3),
                                  np.full((1, model.hidden_size), 0.2))[0]
    resolver = step.resolver(slots)
    measured = list(step.measured_qubits)
    n = len(measured)
    hadamards = [cirq.H(q) for q in measured]
    for basis in ("Z", "X"):
        change = hadamards if basis == "X" else []
        full = cirq.resolve_parameters(cirq.Circuit(step.circuit, change), resolver)
        cut = cirq.resolve_parameters(cirq.Circuit(truncated.circuit, change), resolver)
        before = _distribution(cut, measured)
        after = np.zeros_like(before)
        for index in range(2 ** n):
            bits = [(index >> (n - 1 - i)) & 1 for i in range(n)]
            position = {q: i for i, q in enumerate(measured)}
            for op in absorbed:
                control, target = (position[q] for q in op.qubits)
                if basis == "X":  # H x H . CNOT(c, t) . H x H = CNOT(t, c)
                    control, target = target, control
                bits[target] ^= bits[control]
            after[int("".join(map(str, bits)), 2)] += before[index]
        np.testing.assert_allclose(after, _distribution(full, measured), atol=1e-12)


def test_the_calibration_chooses_how_much_to_absorb():
    """``search`` keeps the best of every count compiled on its own; ``auto`` (the default)
    chooses on the ring-kept placement, never below the ring kept, and removes exactly the
    ring's last CNOTs from that compile's circuit."""
    model = qc.QRUModel.preset("wdbc")
    choices = [qc.compile(model, "rainbow", absorb_ring=k) for k in range(6)]
    search = qc.compile(model, "rainbow", absorb_ring="search")
    assert search.measured_fidelity == pytest.approx(max(c.measured_fidelity for c in choices))
    assert 0 < len(search.absorbed) < 5  # on rainbow (3% readout) absorbing all costs more
    assert search.report.notes[0].startswith("absorb_ring search: ")
    auto = qc.compile(model, "rainbow")
    assert 0 < len(auto.absorbed) < 5
    assert choices[0].measured_fidelity < auto.measured_fidelity <= search.measured_fidelity
    assert auto.initial_layout == choices[0].initial_layout  # the whole step's placement
    [note] = next(r for r in auto.report.passes if r.name == "absorb_ring").notes
    assert note.startswith(f"{len(auto.absorbed)} of the final ring's 5 CNOTs absorbed")
    willow = qc.compile(model, "willow_pink")  # 0.4-1% readout: the ring pays for itself
    assert willow.absorbed == () and willow.circuit == qc.compile(
        model, "willow_pink", absorb_ring=0).circuit
    for synthetic in (qc.compile(model, "grid4x4"),
                      qc.compile(model, "grid4x4", absorb_ring="search")):
        assert synthetic.absorbed == ()
        assert any("no calibration" in n for n in synthetic.report.notes) or any(
            "no calibration" in n for r in synthetic.report.passes for n in r.notes)


def test_bad_absorption_is_a_clear_error_and_the_noisy_path_reads_parities():
    model = qc.QRUModel.preset("wdbc")
    for bad in (-1, 6, 2.5, "some"):
        with pytest.raises(InputError, match=r"absorb_ring: expected 'auto', 'search', 'all' "
                                             r"or a whole number from 0 to 5"):
            qc.compile(model, "rainbow", absorb_ring=bad)
    absorbed = qc.compile(model, "willow_pink", absorb_ring=2)
    data = Dataset(np.full((2, 3, model.I), 0.5), np.array([0, 1]), "toy")
    params = model.initial_parameters(seed=0)
    report = compare_ideal_and_noisy(model, params, data, absorbed, trajectories=8, shots=100)
    assert report["two_qubit_gates_per_step"] == 33  # the noisy path runs the absorbed step
    mitigated = compare_ideal_and_noisy(model, params, data, absorbed, trajectories=8,
                                        shots=100, mitigation=Mitigation.parse("readout"))
    assert mitigated["mitigation"] == "readout"


def test_every_choice_of_absorbed_cnots_is_a_prefix_of_the_ring_from_its_end():
    step = lower(qc.QRUModel.preset("oscillation"))
    ring = list(step.circuit.all_operations())[-6:]
    for k in range(7):
        truncated, absorbed = without_final_cnots(step, k)
        assert list(absorbed) == ring[6 - k:]
        assert len(list(truncated.circuit.all_operations())) + k == \
            len(list(step.circuit.all_operations()))
        assert len(truncated.gates) + k == len(step.gates)
    assert list(itertools.islice(without_final_cnots(step, 0)[0].circuit.all_operations(), 3)) \
        == list(itertools.islice(step.circuit.all_operations(), 3))


def test_the_command_line_absorbs_and_exports_parities(capsys, tmp_path):
    from qru_compile.cli import main

    assert main(["compile", "wdbc", "--device", "willow_pink", "--absorb-ring", "2"]) == 0
    out = capsys.readouterr().out
    assert "per step 33 two-qubit gates" in out and "2 CNOT(s) absorbed" in out
    assert main(["export", "wdbc", "--device", "willow_pink", "--absorb-ring", "all",
                 "--output", str(tmp_path)]) == 0
    text = next(tmp_path.glob("*_Z.qasm")).read_text()
    assert "final ring absorbed (5 CNOTs)" in text and "<Z_d0> = parity(" in text
    assert main(["compile", "wdbc", "--device", "rainbow", "--absorb-ring", "x"]) == 2
    assert "expected auto, all, search or an integer >= 0" in capsys.readouterr().err


def test_parities_through_cnots_are_cirqs_conjugation():
    """The set-tracking path for CNOTs gives Cirq's ``conjugated_by`` on random CNOT circuits."""
    from qru_compile.ring_absorption import _conjugated

    qubits = cirq.LineQubit.range(6)
    rng = np.random.default_rng(4)
    for _ in range(100):
        ops = [cirq.CNOT(*(qubits[i] for i in rng.choice(6, 2, replace=False)))
               for _ in range(rng.integers(0, 10))]
        assert parity_observables(qubits[:5], ops) == _conjugated(qubits[:5], ops)


def test_only_cnots_that_end_the_circuit_on_both_qubits_may_be_left_out():
    from qru_compile.passes.absorb import removable_tail

    a, b, c, d = cirq.LineQubit.range(4)
    la, lb, lc = cirq.NamedQubit("a"), cirq.NamedQubit("b"), cirq.NamedQubit("c")
    ring = [cirq.CNOT(la, lb), cirq.CNOT(lb, lc), cirq.CNOT(lc, la)]
    where = {la: a, lb: b, lc: c}
    ends = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.X(d), cirq.CNOT(b, c), cirq.CNOT(c, a))
    assert [op for _, op in removable_tail(ends, ring, where)] == [
        cirq.CNOT(c, a), cirq.CNOT(b, c), cirq.CNOT(a, b)]
    later = ends + cirq.Circuit(cirq.Z(b))  # b is used after CNOT(b, c): it and CNOT(a, b) stay
    assert [op for _, op in removable_tail(later, ring, where)] == [cirq.CNOT(c, a)]
    swapped = cirq.Circuit(cirq.CNOT(a, b), cirq.CNOT(b, c), cirq.SWAP(c, a), cirq.CNOT(c, a))
    assert removable_tail(swapped, ring, where) == []  # merged with the SWAP, it would cost more
