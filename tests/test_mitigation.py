"""Error mitigation (readout inversion, folding, Richardson) and the exact noisy channel."""

import itertools

import cirq
import numpy as np
import pytest
from cirq_google.engine import virtual_engine_factory

import qru_compile as qc
from qru_compile import validation
from qru_compile.devices.calibration import readout_map
from qru_compile.sim import DensityMatrixBackend, StatevectorBackend
from qru_compile.sim.statevector import StatevectorProgram
from qru_compile.train.gradients import loss_and_gradient
from qru_compile.train.mitigation import (
    Mitigation,
    fold_global,
    fold_slot_values,
    invert_readout,
    richardson,
    richardson_weights,
)
from qru_compile.train.noisy import DeviceEstimator, DeviceSimulation
from qru_compile.train.readout_inversion import ReadoutInversion

TINY = qc.QRUModel(I=1, H=3, L=1, readout=qc.Readout("binary"))


@pytest.fixture(scope="module")
def tiny_willow() -> qc.CompileResult:
    return qc.compile(TINY, "willow_pink")


def test_readout_inversion_is_exact_on_a_known_confusion(rng):
    """Bits read through a known asymmetric confusion matrix, then inverted: exact in
    expectation, and unbiased on sampled bits within their statistical error."""
    e01, e10 = np.array([0.004, 0.02, 0.1]), np.array([0.011, 0.05, 0.2])
    exact = np.array([0.37, -0.8, 0.05])
    p1 = (1 - exact) / 2
    read_one = p1 * (1 - e10) + (1 - p1) * e01
    reported = 1 - 2 * read_one
    alpha, beta = 1 - e01 - e10, e10 - e01
    np.testing.assert_allclose(invert_readout(reported, alpha, beta), exact, atol=1e-15)
    shots = 200_000
    bits = rng.random((shots, 3)) < p1  # true outcomes (1 = read as -1)
    flipped = np.where(bits, rng.random((shots, 3)) < e10, rng.random((shots, 3)) < e01)
    measured = np.mean(np.where(bits ^ flipped, -1.0, 1.0), axis=0)
    mitigated = invert_readout(measured, alpha, beta)
    assert np.all(np.abs(mitigated - exact) < 4 / np.sqrt(shots) / alpha)
    assert np.any(np.abs(measured - exact) > 10 / np.sqrt(shots))  # the bias is resolved


@pytest.mark.parametrize("preset", ["tiny", "mnist"])
def test_folding_keeps_the_unitary_and_scales_the_gates(tiny_willow, rng, preset):
    """Folded steps equal the step (the MNIST preset's Rot gates compile to PhasedXZ gates with
    a symbolic z, whose inverse is split into a virtual Z and a fixed PhasedXZ)."""
    program = tiny_willow.program if preset == "tiny" else \
        qc.compile(qc.QRUModel.preset("mnist"), "willow_pink").program
    slots = rng.uniform(0, 2 * np.pi, (1, program.angle_map.num_slots))
    resolver = cirq.ParamResolver(dict(zip(program.slot_names, slots[0])))
    reference = cirq.unitary(cirq.resolve_parameters(program.circuit, resolver))
    count = len(list(program.circuit.all_operations()))
    for scale in (3, 5):
        folded, names = fold_global(program.circuit, scale, program.slot_names)
        physical = [op for op in folded.all_operations() if not isinstance(op.gate, cirq.ZPowGate)
                    or not cirq.is_parameterized(op)]
        assert len(physical) == scale * count
        values = fold_slot_values(slots, scale)[0]
        unitary = cirq.unitary(cirq.resolve_parameters(folded, dict(zip(names, values))))
        assert cirq.equal_up_to_global_phase(unitary, reference, atol=1e-9)
        engine = StatevectorProgram.from_circuit(folded, program.qubits, names,
                                                 program.observables)
        np.testing.assert_allclose(engine.expectations(fold_slot_values(slots, scale)),
                                   StatevectorBackend().expectations(program, slots), atol=1e-9)


@pytest.mark.parametrize("scales", [(2,), (1,), (1, 2), (1, 3, 3), (3, 1)])
def test_bad_scale_factors_are_refused(scales):
    with pytest.raises(qc.InputError, match="scale factor"):
        Mitigation(zne_scales=scales)


def test_richardson_is_exact_for_polynomials_of_its_degree():
    lam = np.array([1.0, 3.0, 5.0])
    np.testing.assert_allclose(richardson((1, 3), 0.7 - 0.05 * lam[:2]), 0.7, atol=1e-15)
    quadratic = 0.6 - 0.1 * lam + 0.004 * lam**2
    np.testing.assert_allclose(richardson((1, 3, 5), quadratic), 0.6, atol=1e-15)
    np.testing.assert_allclose(richardson_weights((1, 3)), [1.5, -0.5])


def test_mitigation_names_round_trip():
    for name in Mitigation.KINDS:
        assert Mitigation.parse(name).name == name
    assert Mitigation.parse("readout+zne").circuits_per_step == 2
    with pytest.raises(qc.InputError, match="mitigation 'twirl'"):
        Mitigation.parse("twirl")


def test_mitigation_brings_noisy_values_towards_the_ideal(tiny_willow, rng):
    """Readout inversion removes the bias the asymmetric flips add (mean error about +0.01
    -> 0.000), and ZNE (1, 3) on top shrinks the mean absolute error, which gate noise
    dominates (about 0.02 -> 0.014; 8,000 trajectories: standard error of a mean over the
    values about 0.002)."""
    program = tiny_willow.program
    slots = rng.uniform(0, 2 * np.pi, (6, program.angle_map.num_slots))
    ideal = StatevectorBackend().expectations(program, slots)
    bias, errors = {}, {}
    for mitigation in ("none", "readout", "readout+zne"):
        estimator = DeviceEstimator("willow_pink", trajectories=8000, seed=3,
                                    mitigation=Mitigation.parse(mitigation))
        error = estimator.expectations(program, slots) - ideal
        bias[mitigation], errors[mitigation] = np.mean(error), np.mean(np.abs(error))
    assert abs(bias["readout"]) < 0.25 * abs(bias["none"])
    assert errors["readout+zne"] < 0.75 * errors["none"]


def test_trajectories_agree_with_the_exact_channel(tiny_willow, rng):
    """The fast noisy path (engine trajectories, readout applied) against Cirq's density
    matrices of the same calibrated channel, within the trajectories' statistical error."""
    program = tiny_willow.program
    slots = rng.uniform(0, 2 * np.pi, (3, program.angle_map.num_slots))
    exact = DensityMatrixBackend().expectations(program, slots)
    fast = DeviceSimulation("willow_pink", trajectories=4000, seed=5).expectations(program,
                                                                                  slots)
    error = np.sqrt((1 - exact**2) / 4000)
    assert np.max(np.abs(fast - exact) / error) < 4.5
    assert np.max(np.abs(exact - StatevectorBackend().expectations(program, slots))) > 0.02


def test_noisy_gradient_matches_finite_differences_of_the_noisy_loss(tiny_willow, rng):
    """The parameter-shift rule on the exact noisy channel (noise independent of the angles)
    is the derivative of the noisy loss, hidden values fed forward as the device reports."""
    params = TINY.initial_parameters(rng)
    inputs, targets = rng.uniform(0, 1, (1, 2, 1)), np.array([1.0])
    backend = DensityMatrixBackend()
    loss, grad = loss_and_gradient(tiny_willow, params, inputs, targets, backend=backend)
    fd_loss, fd = loss_and_gradient(tiny_willow, params, inputs, targets, backend=backend,
                                    method="finite-difference", epsilon=1e-5)
    assert loss == pytest.approx(fd_loss, abs=1e-14)
    np.testing.assert_allclose(grad, fd, atol=1e-8)
    _, ideal = loss_and_gradient(tiny_willow, params, inputs, targets, backend=StatevectorBackend())
    assert np.max(np.abs(grad - ideal)) > 1e-3  # the noise changes the gradient


def test_density_backend_needs_a_device():
    program = qc.lower(TINY)
    from qru_compile.program import StepProgram

    with pytest.raises(qc.BackendError, match="density backend simulates a device's noise"):
        DensityMatrixBackend().expectations(StepProgram.logical(program), np.zeros((1, 9)))


def test_readout_of_parities_is_exact_and_has_no_per_observable_affine_map(tiny_willow):
    """A parity's reported mean, from the sub-parity expansion, equals the mean of the parity
    of independently flipped bits computed outcome by outcome from the exact distribution."""
    q = sorted(tiny_willow.program.qubits)[:3]
    errors = virtual_engine_factory.load_device_noise_properties("willow_pink").readout_errors
    observables = (cirq.Z(q[0]) * cirq.Z(q[1]) * cirq.Z(q[2]), cirq.Z(q[1]),
                   -1 * cirq.Z(q[0]) * cirq.Z(q[2]))
    readout = readout_map(observables, "willow_pink")
    assert len(readout.extended) == 7  # every non-empty sub-parity of three qubits
    state = cirq.testing.random_superposition(8, random_state=5)
    probabilities = np.abs(state) ** 2  # over (q0, q1, q2), q0 the most significant bit
    flip = [(errors[qubit][0], errors[qubit][1]) for qubit in q]  # p(1|0), p(0|1)
    reported = np.zeros(len(observables))
    for x, y in itertools.product(range(8), repeat=2):
        bits_x = [(x >> (2 - i)) & 1 for i in range(3)]
        bits_y = [(y >> (2 - i)) & 1 for i in range(3)]
        chance = probabilities[x] * np.prod([
            (f01 if by else 1 - f01) if bx == 0 else (1 - f10 if by else f10)
            for bx, by, (f01, f10) in zip(bits_x, bits_y, flip, strict=True)])
        signs = [(-1) ** sum(bits_y), (-1) ** bits_y[1], -((-1) ** (bits_y[0] + bits_y[2]))]
        reported += chance * np.array(signs)
    exact = np.array([np.real(np.vdot(state, p.matrix(q) @ state)) for p in readout.extended])
    np.testing.assert_allclose(readout.apply(exact), reported, atol=1e-14)
    with pytest.raises(qc.BackendError, match="parity observables have no affine"):
        readout.affine()


def test_parity_readout_inversion_is_exact_on_a_known_confusion(tiny_willow, rng):
    """Parities of bits flipped by the calibrated confusion, mitigated by the per-shot
    inversion: exact in expectation, unbiased on sampled shots within their statistical
    error, and the single-qubit observable inverted as before."""
    q = sorted(tiny_willow.program.qubits)[:3]
    observables = (cirq.Z(q[0]) * cirq.Z(q[1]) * cirq.Z(q[2]), cirq.Z(q[1]),
                   -1 * cirq.Z(q[0]) * cirq.Z(q[2]))
    readout = readout_map(observables, "willow_pink")
    inversion = ReadoutInversion.build(readout, "willow_pink")
    states = [cirq.testing.random_superposition(8, random_state=seed) for seed in (1, 2)]
    exact = np.array([[np.real(np.vdot(s, p.matrix(q) @ s)) for p in readout.extended]
                      for s in states])[:, None, :]  # [N = 2, one trajectory, E]
    truth = exact[:, 0, :3] * np.array([1, 1, -1])
    reported = readout.apply(exact)[:, 0]
    assert np.max(np.abs(reported - truth)) > 5e-3  # the confusion is visible
    mitigated = inversion.mitigate(reported, exact, None, rng)
    np.testing.assert_allclose(mitigated, truth, atol=1e-12)
    shots = 400_000
    sampled = inversion.mitigate(reported, np.repeat(exact, 4, axis=1),
                                 np.full(4, shots // 4), rng)
    assert np.all(np.abs(sampled[:, [0, 2]] - truth[:, [0, 2]]) < 5 / np.sqrt(shots))


def test_readout_mitigation_of_an_absorbed_step_removes_the_readout_error_exactly():
    """On a step with parity outputs, the mitigated exact estimate is the device's values
    before readout error: the same trajectories, the confusion inverted."""
    model = qc.QRUModel.preset("wdbc")
    absorbed = qc.compile(model, "willow_pink", absorb_ring=3)
    program = absorbed.program
    assert max(len(p) for p in program.observables) > 1
    params = validation.circuit_parameters(model, model.initial_parameters(seed=3))
    slots = program.slot_values(params, np.full((2, 1), 0.4), np.full((2, 8), 0.3))
    estimator = DeviceEstimator("willow_pink", trajectories=8,
                                mitigation=Mitigation.parse("readout"))
    before = DeviceSimulation("willow_pink", 8).exact_values(program, slots)
    count = len(program.observables)
    np.testing.assert_allclose(estimator.expectations(program, slots),
                               np.clip(before[:, :, :count].mean(axis=1), -1, 1), atol=1e-12)
