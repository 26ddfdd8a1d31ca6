"""The translate-once qsim kernel against Cirq's double-precision simulator."""

from __future__ import annotations

import functools

import cirq
import numpy as np
import pytest
import sympy

import qru_compile as qc
from qru_compile.sim.qsim_kernel import QsimKernel

TOLERANCE = 1e-5  # qsim is single precision


def _observables(measured, qubits) -> list[cirq.PauliString]:
    """Z and X of every measured qubit, a 3-qubit Z parity, an X parity and a weighted ZX."""
    out = [pauli(q) for q in measured for pauli in (cirq.Z, cirq.X)]
    out.append(cirq.Z(qubits[0]) * cirq.Z(qubits[2]) * cirq.Z(qubits[-1]))
    out.append(cirq.X(qubits[1]) * cirq.X(qubits[3]))
    out.append(-0.5 * cirq.Z(qubits[0]) * cirq.X(qubits[1]))
    return out


def _reference(circuit, qubits, names, observables, values) -> np.ndarray:
    resolvers = [cirq.ParamResolver(dict(zip(names, row.tolist()))) for row in values]
    results = cirq.Simulator(dtype=np.complex128).simulate_expectation_values_sweep(
        circuit, observables, resolvers, qubit_order=list(qubits))
    return np.real(np.asarray(results))


# Compiling a preset takes seconds; this small model's steps have the same gate forms.
SMALL = qc.QRUModel(I=2, H=3, L=1, gate="u2", layer_gates=("rot",))


@functools.cache
def _compiled(gateset: str) -> cirq.AbstractCircuit:
    return qc.compile(SMALL, "rainbow", gateset).circuit


@pytest.mark.parametrize("preset", ["oscillation", "wdbc", "mnist"])
def test_logical_steps_match_cirq(preset, rng):
    step = qc.lower(qc.QRUModel.preset(preset))
    names = step.angle_map.names
    observables = _observables(step.measured_qubits, step.qubits)
    kernel = QsimKernel(step.circuit, step.qubits, names, observables)
    assert kernel.num_gates < len(list(step.circuit.all_operations()))
    values = rng.uniform(-2 * np.pi, 2 * np.pi, (4, len(names)))
    got = kernel.expectations(values)
    assert got.shape == (4, len(observables)) and got.dtype == np.float64
    want = _reference(step.circuit, step.qubits, names, observables, values)
    np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("gateset", ["cz", "sqrt_iswap", "sycamore"])
def test_compiled_steps_match_cirq(gateset, rng):
    circuit = _compiled(gateset)
    qubits = sorted(circuit.all_qubits())
    names = qc.lower(SMALL).angle_map.names
    observables = _observables(qubits[:4], qubits)
    kernel = QsimKernel(circuit, qubits, names, observables)
    values = rng.uniform(-2 * np.pi, 2 * np.pi, (4, len(names)))
    want = _reference(circuit, qubits, names, observables, values)
    np.testing.assert_allclose(kernel.expectations(values), want, atol=TOLERANCE, rtol=0)


def test_more_rows_than_one_chunk_and_unused_slots(rng):
    step = qc.lower(qc.QRUModel.preset("wdbc"))
    names = (*step.angle_map.names, "unused")
    observables = _observables(step.measured_qubits, step.qubits)
    kernel = QsimKernel(step.circuit, step.qubits, names, observables)
    values = rng.uniform(-np.pi, np.pi, (300, len(names)))
    got = kernel.expectations(values)
    rows = [0, 255, 256, 299]
    want = _reference(step.circuit, step.qubits, names, observables, values[rows])
    np.testing.assert_allclose(got[rows], want, atol=TOLERANCE, rtol=0)
    assert kernel.expectations(values[:0]).shape == (0, len(observables))


def test_shift_jacobian_matches_cirq_shifted_points(rng):
    step = qc.lower(qc.QRUModel.preset("wdbc"))
    names = step.angle_map.names
    observables = _observables(step.measured_qubits, step.qubits)
    kernel = QsimKernel(step.circuit, step.qubits, names, observables)
    row = rng.uniform(-np.pi, np.pi, (1, len(names)))
    values, jacobian = kernel.shift_jacobian(row)
    assert jacobian.shape == (1, len(observables), len(names))
    shifts = np.pi / 2 * np.eye(len(names))
    plus = _reference(step.circuit, step.qubits, names, observables, row + shifts)
    minus = _reference(step.circuit, step.qubits, names, observables, row - shifts)
    np.testing.assert_allclose(jacobian[0], (plus - minus).T / 2, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(values, kernel.expectations(row), atol=1e-7, rtol=0)


def test_fixed_gates_of_every_kind_and_pair_merging(rng):
    """Reversed qubit order inside gates, a repeated pair, CCX/CCZ, and an untouched qubit."""
    a, b, c, d = cirq.LineQubit.range(4)
    t = sympy.symbols("t0:5")
    circuit = cirq.Circuit(
        cirq.rx(t[0]).on(a), cirq.H(b), cirq.CNOT(b, a), cirq.ry(t[1]).on(a),
        cirq.ISWAP(a, b) ** 0.5, cirq.CCX(a, b, c), cirq.rz(t[2]).on(c),
        cirq.PhasedXZGate(x_exponent=0.3, z_exponent=-t[3] / sympy.pi + 0.2,
                          axis_phase_exponent=0.1).on(b),
        cirq.CCZ(c, b, a), cirq.FSimGate(0.4, 0.7).on(c, b),
        cirq.PhasedXZGate(x_exponent=-t[4] / sympy.pi + 0.4, z_exponent=0.3,
                          axis_phase_exponent=-0.6).on(a),
        cirq.measure(a, b),
    )
    qubits = [a, b, c, d]
    names = [str(s) for s in t]
    observables = [cirq.X(a) * cirq.Y(b) * cirq.Z(c), cirq.Z(d), cirq.Y(c)]
    kernel = QsimKernel(circuit, qubits, names, observables)
    values = rng.uniform(-np.pi, np.pi, (3, len(names)))
    want = _reference(circuit[:-1], qubits, names, observables, values)
    np.testing.assert_allclose(kernel.expectations(values), want, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("circuit, observable, message", [
    (cirq.Circuit(cirq.CZ(*cirq.LineQubit.range(2)) ** sympy.Symbol("s")), None,
     "one qubit"),
    (cirq.Circuit(cirq.PhasedXPowGate(phase_exponent=sympy.Symbol("s")).on(cirq.LineQubit(0))),
     None, "PhasedXPowGate"),
    (cirq.Circuit(cirq.rx(sympy.Symbol("s") ** 2).on(cirq.LineQubit(0))), None, "linear"),
    (cirq.Circuit(cirq.rx(sympy.Symbol("other")).on(cirq.LineQubit(0))), None, "slot name"),
    (cirq.Circuit(cirq.measure(cirq.LineQubit(0)), cirq.X(cirq.LineQubit(0))), None,
     "mid-circuit"),
    (cirq.Circuit(cirq.MatrixGate(np.eye(128)).on(*cirq.LineQubit.range(7))), None,
     "at most 6"),
    (cirq.Circuit(cirq.rx(sympy.Symbol("s")).on(cirq.LineQubit(0))),
     cirq.Z(cirq.LineQubit(0)) + cirq.X(cirq.LineQubit(0)), "PauliString"),
    (cirq.Circuit(cirq.rx(sympy.Symbol("s")).on(cirq.LineQubit(0))),
     cirq.Z(cirq.LineQubit(5)), "not in the qubit order"),
])
def test_unsupported_input_raises_backend_error(circuit, observable, message):
    observable = observable if observable is not None else cirq.Z(cirq.LineQubit(0))
    qubits = sorted(circuit.all_qubits() | set(cirq.LineQubit.range(2)))
    with pytest.raises(qc.BackendError, match=message):
        QsimKernel(circuit, qubits, ["s"], [observable])


def test_shift_jacobian_refuses_a_shared_slot():
    q = cirq.LineQubit(0)
    s = sympy.Symbol("s")
    kernel = QsimKernel(cirq.Circuit(cirq.rx(s).on(q), cirq.ry(s).on(q)), [q], ["s"], [cirq.Z(q)])
    np.testing.assert_allclose(kernel.expectations(np.array([[0.7]])),
                               [[np.cos(0.7) ** 2]], atol=TOLERANCE)
    with pytest.raises(qc.BackendError, match="parameter shift"):
        kernel.shift_jacobian(np.array([[0.7]]))


def _density_matrix_reference(circuit, qubits, names, observables, values, noise):
    noisy = cirq.Circuit(cirq.NoiseModel.from_noise_model_like(noise).noisy_moments(circuit,
                                                                                    qubits))
    resolvers = [cirq.ParamResolver(dict(zip(names, row.tolist()))) for row in values]
    results = cirq.DensityMatrixSimulator(dtype=np.complex128).simulate_expectation_values_sweep(
        noisy, observables, resolvers, qubit_order=list(qubits))
    return np.real(np.asarray(results))


@pytest.mark.parametrize("noise, repetitions, tolerance", [
    (cirq.bit_flip(1.0), 3, TOLERANCE),  # a channel applied with certainty: exact
    (cirq.depolarize(0.02), 3000, 0.08),  # a mixture: ~4 standard errors of 3000 trajectories
    (cirq.amplitude_damp(0.05), 3000, 0.08),  # non-unitary Kraus operators
])
def test_noisy_trajectories_match_density_matrix(noise, repetitions, tolerance, rng):
    step = qc.lower(SMALL)
    names = step.angle_map.names
    observables = _observables(step.measured_qubits, step.qubits)
    kernel = QsimKernel(step.circuit, step.qubits, names, observables, noise=noise,
                        repetitions=repetitions, seed=11)
    assert kernel.noisy
    values = rng.uniform(-np.pi, np.pi, (1, len(names)))
    got = kernel.expectations(values)
    want = _density_matrix_reference(step.circuit, step.qubits, names, observables, values, noise)
    np.testing.assert_allclose(got, want, atol=tolerance, rtol=0)
    np.testing.assert_array_equal(kernel.expectations(values), got)  # seeded: reproducible


def test_channels_in_the_circuit_run_as_trajectories():
    q = cirq.LineQubit(0)
    circuit = cirq.Circuit(cirq.rx(sympy.Symbol("s")).on(q), cirq.bit_flip(1.0).on(q))
    kernel = QsimKernel(circuit, [q], ["s"], [cirq.Z(q)], repetitions=2)
    assert kernel.noisy
    np.testing.assert_allclose(kernel.expectations(np.array([[0.4]])), [[-np.cos(0.4)]],
                               atol=TOLERANCE)
