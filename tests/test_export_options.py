"""Export options for strict consumers: one register, bound constants, the Braket flavour.

Each is read by the consumer it is for, all in the test extra: Amazon Braket's local simulator
(amazon-braket-default-simulator), Qiskit's ``qasm3.loads`` and pyqasm.
"""

import json
import re

import cirq
import cirq_google
import numpy as np
import openqasm3
import pyqasm
import pytest
import sympy
from braket.default_simulator import StateVectorSimulator
from braket.default_simulator.gate_operations import BRAKET_GATES as BRAKET_SIMULATOR_GATES
from braket.ir.openqasm import Program
from qiskit import qasm3
from qiskit.quantum_info import SparsePauliOp, Statevector

import qru_compile as qc
from qru_compile.cli import main
from qru_compile.errors import InputError
from qru_compile.export import QasmError, circuit_program
from qru_compile.export.qasm3 import BRAKET_GATES, measured_bits, qubit_name

CASES = [("wdbc", "rainbow", "cz"), ("wdbc", "rainbow", "sqrt_iswap"),
         ("oscillation", "weber", "sycamore")]
MEASURE = re.compile(r"^c\[\d+\] = measure \w+;\n", re.MULTILINE)


@pytest.fixture(scope="module", params=CASES, ids=["-".join(c) for c in CASES])
def compiled(request) -> qc.CompileResult:
    preset, device, gateset = request.param
    return qc.compile(qc.QRUModel.preset(preset), device, gateset)


@pytest.fixture(scope="module")
def wdbc() -> qc.CompileResult:
    return qc.compile(qc.QRUModel.preset("wdbc"), "rainbow")


def _resolver(result: qc.CompileResult, seed: int) -> cirq.ParamResolver:
    rng = np.random.default_rng(seed)
    x_t = rng.uniform(-1, 1, result.model.I)
    h_prev = rng.uniform(-0.9, 0.9, result.step.angle_map.hidden_size)
    return result.resolver(result.model.initial_parameters(seed=seed), x_t, h_prev)


def _cirq_state(result: qc.CompileResult, basis: str, resolver) -> np.ndarray:
    """The state before measurement of ``result.executables[basis]``, qubits sorted."""
    executable = result.executables[basis]
    bare = cirq.drop_terminal_measurements(cirq.Circuit(executable.all_operations()))
    return cirq.Simulator(dtype=np.complex128).simulate(
        bare, resolver, qubit_order=sorted(executable.all_qubits())).final_state_vector


def _z_values(state: np.ndarray, qubits: list[cirq.Qid], measured: list[cirq.Qid]) -> np.ndarray:
    """<Z> of each of ``measured`` in a state over ``qubits`` (big-endian)."""
    probabilities = np.abs(state.reshape([2] * len(qubits))) ** 2
    values = []
    for q in measured:
        marginal = np.moveaxis(probabilities, qubits.index(q), 0).reshape(2, -1).sum(axis=1)
        values.append(marginal[0] - marginal[1])
    return np.array(values)


def _same_up_to_phase(a: np.ndarray, b: np.ndarray) -> float:
    """Largest deviation of ``a`` from ``b`` times the global phase that fits best."""
    overlap = np.vdot(b, a)
    return float(np.max(np.abs(a - overlap / abs(overlap) * b)))


# --- the options themselves --------------------------------------------------------------------


def test_defaults_write_the_usual_program(compiled):
    for basis in ("Z", "X"):
        assert qc.export_qasm3(compiled, basis) == qc.export_qasm3(
            compiled, basis, registers="per-qubit", bind=None, flavour="stdgates")


def test_single_register_names_its_bits(compiled):
    text = qc.export_qasm3(compiled, "Z", registers="single")
    bits = measured_bits(compiled.executables["Z"])
    assert [name for name, _ in bits] == list(compiled.measured_qubits)
    assert f"bit[{len(bits)}] c;" in text and "bit[1]" not in text
    assert f"// classical register: bit[{len(bits)}] c;" in text
    for i, (name, qubit) in enumerate(bits):
        q = qc.export.qasm3.qubit_name(qubit)
        assert f"//   c[{i}] = {name} (measured at {q})" in text
        assert f"c[{i}] = measure {q};" in text
    keys = {op.gate.key for op in qc.import_qasm3(text).all_operations() if cirq.is_measurement(op)}
    assert keys == {f"c_{i}" for i in range(len(bits))}


def test_bound_constants_replace_inputs(compiled):
    resolver = _resolver(compiled, 0)
    text = qc.export_qasm3(compiled, "X", bind=resolver)
    assert "input " not in text
    program = openqasm3.parse(text)
    assert not any(isinstance(s, openqasm3.ast.IODeclaration) for s in program.statements)
    name = compiled.step.angle_map.names[0]
    assert f"//   {name} = " in text and f" = {float(resolver.value_of(name))!r}" in text
    back = qc.import_qasm3(text)
    assert not cirq.parameter_names(back)
    order = sorted(compiled.executables["X"].all_qubits())
    expected = cirq.resolve_parameters(compiled.executables["X"], resolver)
    np.testing.assert_allclose(
        cirq.drop_terminal_measurements(back).unitary(qubit_order=order),
        cirq.drop_terminal_measurements(cirq.Circuit(expected)).unitary(qubit_order=order),
        atol=1e-12)
    mapping = {name: float(resolver.value_of(name)) for name in compiled.step.angle_map.names}
    assert qc.export_qasm3(compiled, "X", bind=mapping) == text


def test_braket_flavour_uses_only_braket_built_ins(compiled):
    assert set(BRAKET_GATES) <= set(BRAKET_SIMULATOR_GATES)
    text = qc.export_qasm3(compiled, "Z", flavour="braket")
    assert "include" not in text and "\ngate " not in text
    program = openqasm3.parse(text)
    called = {s.name.name for s in program.statements
              if isinstance(s, openqasm3.ast.QuantumGate)}
    assert called <= set(BRAKET_GATES)
    assert "// flavour braket:" in text and "bit[1]" not in text


@pytest.mark.parametrize("options, message", [
    ({"registers": "many"}, "unknown registers 'many'; expected one of per-qubit, single"),
    ({"flavour": "qiskit"}, "unknown flavour 'qiskit'; expected one of stdgates, braket"),
    ({"flavour": "braket", "registers": "per-qubit"}, "flavour 'braket' needs registers='single'"),
    ({"bind": [0.1]}, "bind: expected a cirq.ParamResolver .* got list"),
    ({"bind": {"enc_x0": 0.1}}, "bind: no value for the angle slot"),
    ({"bind": {"nope": 0.1}}, "bind: not an angle slot of this step: nope"),
])
def test_bad_options(wdbc, options, message):
    with pytest.raises(InputError, match=message):
        qc.export_qasm3(wdbc, "Z", **options)


@pytest.mark.parametrize("value, message", [("x", "is not a real number"),
                                            (float("nan"), "is not finite")])
def test_bad_bound_values(wdbc, value, message):
    values = dict.fromkeys(wdbc.step.angle_map.names, 0.5) | {"gate_theta": value}
    with pytest.raises(InputError, match=f"bind: gate_theta = .* {message}"):
        qc.export_qasm3(wdbc, "Z", bind=values)


def test_circuit_program_refuses_what_the_options_cannot_write():
    q0, q1 = cirq.GridQubit.rect(1, 2)
    circuit = cirq.Circuit(cirq.rx(sympy.Symbol("c")).on(q0), cirq.measure(q0, key="m"))
    with pytest.raises(QasmError, match="an input is named 'c'"):
        circuit_program(circuit, registers="single")
    with pytest.raises(QasmError, match="in the Braket flavour: not a native gate"):
        circuit_program(cirq.Circuit(cirq.CNOT(q0, q1)), flavour="braket")


# --- Amazon Braket's local simulator -----------------------------------------------------------


def _braket_run(text: str, measured: list[str], inputs: dict[str, float] | None = None):
    """Braket's <Z> of each of ``measured`` and its state vector, for the program without its
    measurements (its simulator reports result types only without them, at shots=0)."""
    source = MEASURE.sub("", text) + "".join(f"#pragma braket result expectation z({q})\n"
                                              for q in measured)
    source += "#pragma braket result state_vector\n"
    output = StateVectorSimulator().run_openqasm(Program(source=source, inputs=inputs or {}),
                                                 shots=0)
    values = [r.value for r in output.resultTypes]
    return np.array(values[:-1], dtype=float), np.asarray(values[-1])


@pytest.mark.parametrize("basis", ["Z", "X"])
def test_braket_simulator_agrees(compiled, basis):
    resolver = _resolver(compiled, 1)
    qubits = sorted(compiled.executables[basis].all_qubits())
    measured = [q for _, q in measured_bits(compiled.executables[basis])]
    names = [qc.export.qasm3.qubit_name(q) for q in measured]
    expected_state = _cirq_state(compiled, basis, resolver)
    expected = _z_values(expected_state, qubits, measured)
    bound = qc.export_qasm3(compiled, basis, flavour="braket", bind=resolver)
    inputs = qc.export_qasm3(compiled, basis, flavour="braket")
    slots = {name: float(resolver.value_of(name)) for name in compiled.step.angle_map.names}
    for text, values in ((bound, None), (inputs, slots)):
        z, state = _braket_run(text, names, values)
        np.testing.assert_allclose(z, expected, atol=1e-10)
        assert _same_up_to_phase(state, expected_state) < 1e-10


def test_braket_simulator_measures_one_register(compiled):
    text = qc.export_qasm3(compiled, "Z", flavour="braket", bind=_resolver(compiled, 2))
    output = StateVectorSimulator().run_openqasm(Program(source=text), shots=20)
    qubits = sorted(compiled.executables["Z"].all_qubits())
    bits = measured_bits(compiled.executables["Z"])
    assert output.measuredQubits == [qubits.index(q) for _, q in bits]
    assert np.array(output.measurements).shape == (20, len(bits))


NATIVE_GATES = [
    cirq.PhasedXZGate(x_exponent=0.3, z_exponent=-0.7, axis_phase_exponent=0.45),
    cirq.PhasedXZGate(x_exponent=0, z_exponent=0.5, axis_phase_exponent=-1.125),
    cirq.ZPowGate(exponent=0.37), cirq.rz(1.1), cirq.CZ, cirq.CZ**0.3,
    cirq.SQRT_ISWAP, cirq.SQRT_ISWAP_INV, cirq.ISWAP**0.3, cirq.FSimGate(theta=0.4, phi=-1.3),
    cirq_google.SYC,
]


@pytest.mark.parametrize("gate", NATIVE_GATES, ids=str)
def test_braket_gates_are_the_native_gates(gate):
    """Column by column through Braket's simulator: the unitary, exact but for PhasedXZ's
    global phase exp(i pi (x + z) / 2)."""
    qubits = cirq.GridQubit.rect(1, gate.num_qubits())
    n = len(qubits)
    program = openqasm3.dumps(circuit_program(cirq.Circuit(gate.on(*qubits)), flavour="braket"))
    columns = []
    for k in range(2**n):
        flips = "".join(f"x q_0_{i};\n" for i in range(n) if k >> (n - 1 - i) & 1)
        last = f"qubit q_0_{n - 1};\n"  # basis state k, then the gate
        source = program.replace(last, last + flips)
        source += "#pragma braket result state_vector\n"
        output = StateVectorSimulator().run_openqasm(Program(source=source), shots=0)
        columns.append(output.resultTypes[0].value)
    phase = (np.exp(1j * np.pi * (gate.x_exponent + gate.z_exponent) / 2)
             if isinstance(gate, cirq.PhasedXZGate) else 1)
    np.testing.assert_allclose(phase * np.array(columns).T, cirq.unitary(gate), atol=1e-12)


def test_braket_inputs_are_symbolic_angles():
    a, b = sympy.Symbol("a"), sympy.Symbol("b")
    q0, q1 = cirq.GridQubit.rect(1, 2)
    circuit = cirq.Circuit(
        cirq.PhasedXZGate(x_exponent=a / sympy.pi, z_exponent=0.2,
                          axis_phase_exponent=(b - 1) / sympy.pi).on(q0),
        cirq.PhasedXZGate(x_exponent=0.5, z_exponent=0, axis_phase_exponent=0).on(q1),
        cirq.FSimGate(theta=2 * a - 0.3, phi=b).on(q0, q1),
        cirq.ISwapPowGate(exponent=b / sympy.pi).on(q0, q1))
    program = openqasm3.dumps(circuit_program(circuit, ["a", "b"], flavour="braket"))
    assert "xy(-(4 * a) + 0.6) q_0_0, q_0_1;" in program
    values = {"a": 0.7, "b": -1.9}
    source = program + "#pragma braket result state_vector\n"
    state = StateVectorSimulator().run_openqasm(Program(source=source, inputs=values),
                                                shots=0).resultTypes[0].value
    expected = cirq.final_state_vector(cirq.resolve_parameters(circuit, values),
                                       qubit_order=[q0, q1], dtype=np.complex128)
    assert _same_up_to_phase(state, expected) < 1e-12


# --- Qiskit and pyqasm -------------------------------------------------------------------------


def _qiskit_z_by_bit(text: str) -> dict[int, float]:
    """<Z> of the qubit measured into each bit of register ``c``, by Qiskit's reading."""
    circuit = qasm3.loads(text)
    assert [register.name for register in circuit.cregs] == ["c"] and not circuit.parameters
    where = {circuit.find_bit(i.clbits[0]).index: circuit.find_bit(i.qubits[0]).index
             for i in circuit.data if i.operation.name == "measure"}
    state = Statevector(circuit.remove_final_measurements(inplace=False))
    n = circuit.num_qubits
    return {bit: state.expectation_value(SparsePauliOp(
        "".join("Z" if k == index else "I" for k in reversed(range(n))))).real
        for bit, index in where.items()}


@pytest.mark.parametrize("basis", ["Z", "X"])
def test_qiskit_reads_single_register_and_bound_constants(compiled, basis):
    resolver = _resolver(compiled, 4)
    executable = compiled.executables[basis]
    qubits = sorted(executable.all_qubits())
    measured = [q for _, q in measured_bits(executable)]
    expected = _z_values(_cirq_state(compiled, basis, resolver), qubits, measured)
    text = qc.export_qasm3(compiled, basis, registers="single", bind=resolver)
    values = _qiskit_z_by_bit(text)
    np.testing.assert_allclose([values[i] for i in range(len(measured))], expected, atol=1e-10)


def test_pyqasm_reads_bound_constants(compiled):
    """pyqasm drops ``input`` declarations; with bound constants it validates and unrolls the
    program, and Qiskit's reading of the unrolled program is the step (up to global phase)."""
    resolver = _resolver(compiled, 5)
    text = qc.export_qasm3(compiled, "X", registers="single", bind=resolver)
    module = pyqasm.loads(text)
    module.validate()
    module.unroll()
    assert module.num_qubits == len(compiled.executables["X"].all_qubits())
    assert module.num_clbits == len(compiled.measured_qubits)
    circuit = qasm3.loads(pyqasm.dumps(module)).remove_final_measurements(inplace=False)
    n = circuit.num_qubits  # Qiskit little-endian, Cirq big-endian
    state = Statevector(circuit).data.reshape([2] * n).transpose(range(n)[::-1]).reshape(-1)
    assert _same_up_to_phase(state, _cirq_state(compiled, "X", resolver)) < 1e-10


# --- the command line --------------------------------------------------------------------------


def _params_file(tmp_path, model: str = "wdbc") -> str:
    path = tmp_path / "params.json"
    params = qc.QRUModel.preset(model).initial_parameters(seed=0)
    path.write_text(json.dumps({"params": params.tolist()}))
    return str(path)


def test_cli_export_options(capsys, tmp_path):
    status = main(["export", "wdbc", "--device", "rainbow", "--basis", "Z", "--flavour",
                   "braket", "--bind-params", _params_file(tmp_path), "--bind-x=-0.3",
                   "--bind-h", "0.1,0.2,0,0,0,0,0,-0.5", "-o", str(tmp_path / "out")])
    out, _ = capsys.readouterr()
    assert status == 0
    d0 = qubit_name(qc.compile(qc.QRUModel.preset("wdbc"), "rainbow").measured_qubits["d0"])
    assert f"register c: c[0] = d0 ({d0}), c[1] = h0 (" in out
    text = (tmp_path / "out" / "wdbc_Z.qasm").read_text()
    assert "input " not in text and "include" not in text and "bit[5] c;" in text
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## OpenQASM 3 export options" in report and f"| c[0] | d0 | {d0} |" in report
    StateVectorSimulator().run_openqasm(Program(source=text), shots=1)
    status = main(["export", "wdbc", "--device", "rainbow", "--registers", "single", "-o",
                   str(tmp_path / "single")])
    capsys.readouterr()
    text = (tmp_path / "single" / "wdbc_X.qasm").read_text()
    assert status == 0 and "input float[64] enc_x0;" in text and "bit[5] c;" in text


@pytest.mark.parametrize("options, message", [
    (["--flavour", "braket", "--registers", "per-qubit"], "leave out --registers per-qubit"),
    (["--bind-x", "0.3"], "--bind-x: only with --bind-params"),
    (["--bind-params", "PARAMS"], "--bind-params needs --bind-x"),
    (["--bind-params", "PARAMS", "--bind-x", "0.3,0.2"], "--bind-x: x_t: expected the 1 input"),
    (["--bind-params", "PARAMS", "--bind-x", "0.3", "--bind-h", "1,0"],
     "--bind-h: model 'wdbc' takes 8 previous hidden values, got 2"),
    (["--bind-params", "PARAMS", "--bind-x", "0.3", "--bind-h", "2,0,0,0,0,0,0,0"],
     "--bind-h: initial_hidden: values must lie in"),
    (["--bind-x", "a", "--bind-params", "PARAMS"], "expected comma-separated numbers"),
])
def test_cli_export_option_errors(capsys, tmp_path, options, message):
    options = [_params_file(tmp_path) if o == "PARAMS" else o for o in options]
    status = main(["export", "wdbc", "--device", "rainbow", *options, "-o", str(tmp_path / "o")])
    _, err = capsys.readouterr()
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
