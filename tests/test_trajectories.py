"""Monte-Carlo trajectories on the batched engine against exact density matrices and qsim."""

import cirq
import numpy as np
import pytest
import qsimcirq
import sympy

import qru_compile as qc
from qru_compile.devices.calibration import noise_model
from qru_compile.errors import BackendError
from qru_compile.sim.statevector import StatevectorProgram
from qru_compile.sim.trajectories import NoisyProgram, noisy_operations


def _resolvers(names, values):
    return [cirq.ParamResolver(dict(zip(names, row.tolist()))) for row in values]


def _exact(circuit, qubits, names, values, observables, noise=cirq.NO_NOISE):
    """Exact values of the noisy circuit; the noise model acts on each resolved circuit.

    (Not ``DensityMatrixSimulator(noise=...)``: it applies the model separately to a circuit's
    unparameterised prefix and the rest, which splits moments and so adds per-moment noise.)
    """
    simulator = cirq.DensityMatrixSimulator(dtype=np.complex128)
    results = []
    for resolver in _resolvers(names, values):
        resolved = cirq.resolve_parameters(circuit, resolver)
        noisy = cirq.Circuit(noise.noisy_moments(resolved.moments, list(qubits)))
        results.append(simulator.simulate_expectation_values(
            noisy, list(observables), qubit_order=list(qubits)))
    return np.real(np.array(results))


def _two_qubit_kraus():
    """A non-unital two-qubit channel that is not a product of one-qubit ones."""
    damp = cirq.kraus(cirq.amplitude_damp(0.3))
    mixing = cirq.unitary(cirq.ISWAP ** 0.5)
    return cirq.KrausChannel([mixing @ np.kron(a, b) for a in damp
                              for b in cirq.kraus(cirq.phase_damp(0.4))])


def _small_circuit():
    q = cirq.LineQubit.range(4)
    s = sympy.symbols("s0:5")
    circuit = cirq.Circuit(
        cirq.H(q[0]), cirq.rx(s[0]).on(q[1]), cirq.PhasedXZGate(
            x_exponent=s[1] / np.pi, z_exponent=0.3, axis_phase_exponent=0.2).on(q[2]),
        cirq.amplitude_damp(0.25).on(q[0]), cirq.depolarize(0.1).on(q[1]),
        cirq.phase_damp(0.3).on(q[2]),
        cirq.CZ(q[0], q[1]), cirq.CNOT(q[2], q[3]),
        cirq.depolarize(0.15, n_qubits=2).on(q[1], q[2]),
        cirq.ry(s[2]).on(q[0]), cirq.amplitude_damp(0.2).on(q[0]),
        (cirq.ISWAP ** 0.3).on(q[0], q[3]), _two_qubit_kraus().on(q[3], q[1]),
        cirq.rz(s[3]).on(q[3]), cirq.asymmetric_depolarize(0.05, 0.1, 0.15).on(q[3]),
        cirq.CSWAP(q[0], q[1], q[2]), cirq.generalized_amplitude_damp(0.3, 0.2).on(q[2]),
        cirq.ry(-s[4]).on(q[1]), cirq.bit_flip(0.1).on(q[1]), cirq.measure(*q, key="m"),
    )
    observables = [cirq.Z(q[0]), cirq.X(q[1]), cirq.Y(q[2]), cirq.Z(q[3]),
                   0.5 * cirq.Z(q[0]) * cirq.X(q[3]), cirq.X(q[1]) * cirq.Y(q[2])]
    return circuit, q, [str(x) for x in s], observables


def _z_scores(mean, error, exact):
    assert np.all(error > 0)
    return (mean - exact) / error


def test_small_circuit_matches_density_matrix():
    circuit, qubits, names, observables = _small_circuit()
    program = NoisyProgram.from_circuit(circuit, qubits, names, observables, cirq.NO_NOISE)
    summary = program.summary()
    assert summary["kraus stages"] >= 3 and summary["mixture stages"] >= 1
    assert summary["rotation stages"] == len(names)
    values = np.random.default_rng(5).uniform(-np.pi, np.pi, (4, len(names)))
    trajectories = 4000
    mean, error = program.expectations(values, trajectories, np.random.default_rng(0))
    exact = _exact(cirq.drop_terminal_measurements(circuit), qubits, names, values,
                   observables)
    z = _z_scores(mean, error, exact)
    assert np.all(np.abs(z) < 4), z
    assert 0.3 < np.mean(z ** 2) < 2.5
    # a Pauli's value in one trajectory lies in [-1, 1]: its spread is at most sqrt(1 - <P>^2)
    scale = np.array([1, 1, 1, 1, 0.5, 1])
    assert np.all(error * np.sqrt(trajectories) <= 1.01 * scale * np.sqrt(
        1 - (exact / scale) ** 2) + 1e-9)
    same, _ = program.expectations(values, trajectories, np.random.default_rng(0))
    np.testing.assert_array_equal(same, mean)


def test_small_circuit_under_a_noise_model():
    circuit, qubits, names, observables = _small_circuit()
    circuit = cirq.drop_terminal_measurements(circuit)
    noise = cirq.ConstantQubitNoiseModel(cirq.amplitude_damp(0.05))
    program = NoisyProgram.from_circuit(circuit, qubits, names, observables, noise)
    values = np.random.default_rng(6).uniform(-np.pi, np.pi, (3, len(names)))
    mean, error = program.expectations(values, 4000, np.random.default_rng(1))
    exact = _exact(circuit, qubits, names, values, observables, noise)
    z = _z_scores(mean, error, exact)
    assert np.all(np.abs(z) < 4), z


@pytest.fixture(scope="module")
def wdbc():
    program = qc.compile(qc.QRUModel.preset("wdbc"), "willow_pink").program
    noise = noise_model("willow_pink")
    noisy = NoisyProgram.from_circuit(program.circuit, program.qubits, program.slot_names,
                                      program.observables, noise)
    values = np.random.default_rng(11).uniform(-np.pi, np.pi, (2, len(program.slot_names)))
    mean, error = noisy.expectations(values, 4000, np.random.default_rng(2))
    return program, noise, noisy, values, mean, error


def test_wdbc_step_matches_density_matrix(wdbc):
    program, noise, _, values, mean, error = wdbc
    # the noise model applied to each resolved circuit, not to the symbolic one as here
    exact = _exact(program.circuit, program.qubits, program.slot_names, values[:1],
                   program.observables, noise)  # one sample: 2-5 s of density matrix
    mean, error = mean[:1], error[:1]
    z = _z_scores(mean, error, exact)
    assert np.all(np.abs(z) < 4), z
    ideal = StatevectorProgram.from_circuit(program.circuit, program.qubits,
                                            program.slot_names, program.observables
                                            ).expectations(values[:1])
    assert np.max(np.abs(ideal - exact) / error) > 8  # the noise is resolved by the estimate


def test_wdbc_symbolic_noise_equals_resolved_noise(wdbc):
    program, noise, _, values, _, _ = wdbc
    resolver = _resolvers(program.slot_names, values)[0]
    symbolic = cirq.Circuit(noise.noisy_moments(program.circuit.moments, program.qubits))
    resolved = cirq.resolve_parameters(program.circuit, resolver)
    assert cirq.resolve_parameters(symbolic, resolver) == cirq.Circuit(
        noise.noisy_moments(resolved.moments, program.qubits))
    assert list(noisy_operations(program.circuit, program.qubits, noise)) == list(
        symbolic.all_operations())


def test_wdbc_step_matches_qsim_trajectories(wdbc):
    program, noise, _, values, mean, error = wdbc
    repetitions = 1000
    simulator = qsimcirq.QSimSimulator(
        qsim_options=qsimcirq.QSimOptions(ev_noisy_repetitions=repetitions, cpu_threads=1),
        noise=noise, seed=0)
    qsim = np.real(np.array(simulator.simulate_expectation_values_sweep(
        program.circuit, list(program.observables), _resolvers(program.slot_names, values),
        qubit_order=list(program.qubits))))
    spread = error * np.sqrt(4000)  # one trajectory's standard deviation, from ours
    combined = np.sqrt(error ** 2 + spread ** 2 / repetitions)
    z = (mean - qsim) / combined
    assert np.all(np.abs(z) < 4), z


def test_noise_free_equals_the_engine(wdbc):
    program, _, _, values, _, _ = wdbc
    plain = NoisyProgram.from_circuit(program.circuit, program.qubits, program.slot_names,
                                      program.observables, cirq.NO_NOISE)
    assert plain.num_random == 0
    engine = StatevectorProgram.from_circuit(program.circuit, program.qubits,
                                             program.slot_names, program.observables)
    more = np.random.default_rng(3).uniform(-np.pi, np.pi, (5, len(program.slot_names)))
    both = np.concatenate([values, more])
    mean, error = plain.expectations(both, 7, np.random.default_rng(0))
    np.testing.assert_allclose(mean, engine.expectations(both), atol=1e-12, rtol=0)
    np.testing.assert_array_equal(error, 0)


def test_noise_free_small_circuit_equals_the_engine():
    circuit, qubits, names, observables = _small_circuit()
    unitary = cirq.Circuit(op for op in circuit.all_operations()
                           if cirq.is_parameterized(op) or cirq.has_unitary(op))
    values = np.random.default_rng(8).uniform(-np.pi, np.pi, (6, len(names)))
    mean, _ = NoisyProgram.from_circuit(unitary, qubits, names, observables).expectations(
        values, 1, np.random.default_rng(0))
    engine = StatevectorProgram.from_circuit(unitary, qubits, names, observables)
    np.testing.assert_allclose(mean, engine.expectations(values), atol=1e-12, rtol=0)


def test_channels_on_three_qubits_are_refused():
    q = cirq.LineQubit.range(3)
    circuit = cirq.Circuit(cirq.depolarize(0.1, n_qubits=3).on(*q))
    with pytest.raises(BackendError, match="more than two qubits"):
        NoisyProgram.from_circuit(circuit, q, [], [cirq.Z(q[0])])
