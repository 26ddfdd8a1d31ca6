"""The sequence program and its constant-depth verifier: accepts the feed-forward QRU for any
length, rejects a coherent recurrence and programs that a pass made depend on T."""

import dataclasses

import cirq
import pytest

import qru_compile as qc
from qru_compile.errors import InputError
from qru_compile.report import circuit_metrics, fingerprint
from qru_compile.sequence_program import (
    ClassicalEdge,
    SequenceProgram,
    coherent_program,
    verify_constant_depth,
)


@pytest.fixture(scope="module")
def wdbc_result():
    return qc.compile(qc.QRUModel.preset("wdbc"), "willow_pink")


def test_feed_forward_program_has_the_paper_dataflow(wdbc_result):
    program = wdbc_result.sequence_program(3)
    assert [(e.basis, e.steps) for e in program.executions] == \
        [("Z", (0,)), ("X", (0,)), ("Z", (1,)), ("X", (1,)), ("Z", (2,)), ("X", (2,))]
    assert all(e.circuit == wdbc_result.executables[e.basis] for e in program.executions)
    assert program.quantum == ()
    # each step's two executions read both of the previous step's: 2 x 2 edges per boundary
    assert {(edge.source, edge.target) for edge in program.classical} == \
        {(s, t) for step in (1, 2) for s in (2 * step - 2, 2 * step - 1)
         for t in (2 * step, 2 * step + 1)}
    edge = program.classical[0]
    assert edge.values == ("<Z_h0>", "<Z_h1>", "<Z_h2>", "<Z_h3>")


def test_certificate_reports_cost_per_execution_and_growth_per_sequence(wdbc_result):
    certificate = verify_constant_depth(wdbc_result.sequence_program, (1, 5, 30), shots=1000)
    assert certificate.constant, certificate.problems
    z = certificate.executions[0]
    metrics = wdbc_result.report.executables["Z"]
    assert (z.basis, z.depth, z.duration_ns, z.fidelity) == \
        ("Z", metrics.depth, metrics.duration_ns, metrics.fidelity)
    assert [(r.executions, r.shots) for r in certificate.per_length] == \
        [(2, 2000), (10, 10_000), (60, 60_000)]
    assert {r.max_depth for r in certificate.per_length} == \
        {max(m.depth for m in wdbc_result.report.executables.values())}
    assert certificate.depth_per_step == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("device, reset_note", [
    ("willow_pink", "willow_pink: reset is in its gateset"),
    ("rainbow", "rainbow: no reset in its gateset: the coherent circuit cannot run there"),
])
def test_coherent_recurrence_is_rejected_with_linear_depth(device, reset_note):
    model = qc.QRUModel.preset("wdbc")
    certificate = verify_constant_depth(lambda t: coherent_program(model, device, t),
                                        (1, 2, 4))
    assert not certificate.constant
    assert any("carry their quantum state from step 0 to step 1" in p
               for p in certificate.problems)
    assert any("holds steps 0-3 in one circuit" in p for p in certificate.problems)
    depths = [r.max_depth for r in certificate.per_length]
    per_step = depths[1] - depths[0]
    assert per_step > 50  # about a compiled step's depth is added per step
    assert depths[2] - depths[1] == pytest.approx(2 * per_step, rel=0.25)
    assert certificate.depth_per_step == pytest.approx(per_step, rel=0.25)
    assert reset_note in certificate.notes
    assert certificate.summary().startswith("NOT constant depth")


def test_coherent_program_resets_data_and_ancillas_and_carries_hidden_qubits():
    model = qc.QRUModel.preset("wdbc")
    program = coherent_program(model, "willow_pink", 3)
    (execution,) = program.executions
    counts = circuit_metrics(execution.circuit).gate_counts
    assert counts["ResetChannel"] == 2 * (len(model.data_names) + len(model.ancilla_names))
    assert counts["measure"] == 3 * len(model.data_names)
    assert [carry.step for carry in program.quantum] == [0, 1]
    assert program.quantum[0].qubits == model.hidden_names


def _fold_last_step(program: SequenceProgram) -> SequenceProgram:
    """A sequence-level pass whose effect depends on T: the last step's executions run their
    circuit folded (U U^dagger U before the measurements), as zero-noise extrapolation of the
    final outputs only would."""
    executions = list(program.executions)
    for i in program.at_step(program.length - 1):
        e = executions[i]
        unitary = cirq.Circuit(op for op in e.circuit.all_operations()
                               if not cirq.is_measurement(op))
        folded = unitary + cirq.inverse(unitary) + cirq.Circuit(e.circuit.all_operations())
        frozen = cirq.FrozenCircuit(folded)
        executions[i] = dataclasses.replace(e, circuit=frozen, metrics=circuit_metrics(frozen),
                                            fingerprint=fingerprint(frozen))
    return dataclasses.replace(program, executions=tuple(executions))


def test_a_pass_that_makes_the_program_depend_on_the_length_is_rejected(wdbc_result):
    certificate = verify_constant_depth(
        lambda t: _fold_last_step(wdbc_result.sequence_program(t)), (1, 4))
    assert not certificate.constant
    assert any(p.startswith("T=4: step 3 runs") for p in certificate.problems)
    assert any(p.startswith("T=4: step 0 runs") and "at T=1" in p for p in certificate.problems)


def test_other_broken_programs_are_rejected(wdbc_result):
    def backwards(length):
        program = wdbc_result.sequence_program(length)
        return dataclasses.replace(program, classical=(ClassicalEdge(2, 0, ("<Z_h0>",)),))

    certificate = verify_constant_depth(backwards, (2,))
    assert certificate.problems == ("T=2: a classical edge runs from step 1 to step 0, not "
                                    "forward in time",)
    certificate = verify_constant_depth(lambda t: wdbc_result.sequence_program(3), (2,))
    assert "T=2: the program was built for T=3" in certificate.problems


def test_bad_lengths_are_clear_errors(wdbc_result):
    with pytest.raises(InputError, match="at least one sequence length"):
        verify_constant_depth(wdbc_result.sequence_program, ())
    with pytest.raises(InputError, match="length: expected a whole number"):
        wdbc_result.sequence_program(0)
    with pytest.raises(InputError, match="length: expected a whole number"):
        coherent_program(qc.QRUModel.preset("wdbc"), "willow_pink", 0)
