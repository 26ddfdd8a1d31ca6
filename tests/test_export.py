import cirq
import cirq_google
import numpy as np
import openqasm3
import pytest
import sympy

import qru_compile as qc
from qru_compile.cli import main
from qru_compile.errors import InputError
from qru_compile.export import QasmError, circuit_program
from qru_compile.export.qasm3 import NATIVE_GATES

CASES = [("wdbc", "rainbow", "cz"), ("wdbc", "rainbow", "sqrt_iswap"),
         ("oscillation", "weber", "sycamore")]


@pytest.fixture(scope="module", params=CASES, ids=["-".join(c) for c in CASES])
def compiled(request) -> qc.CompileResult:
    preset, device, gateset = request.param
    return qc.compile(qc.QRUModel.preset(preset), device, gateset)


def _resolver(result: qc.CompileResult, seed: int) -> cirq.ParamResolver:
    rng = np.random.default_rng(seed)
    params = result.model.initial_parameters(seed=seed)
    x_t = rng.uniform(-1, 1, result.model.I)
    h_prev = rng.uniform(-0.9, 0.9, result.step.angle_map.hidden_size)
    return result.resolver(params, x_t, h_prev)


def _z_expectations(circuit: cirq.AbstractCircuit, resolver) -> dict[str, float]:
    """<Z> of each measured qubit, by measurement key, after dropping the measurements."""
    measured = {op.gate.key: op.qubits[0] for op in circuit.all_operations()
                if cirq.is_measurement(op)}
    bare = cirq.drop_terminal_measurements(cirq.Circuit(circuit.all_operations()))
    values = cirq.Simulator(dtype=np.complex128).simulate_expectation_values(
        bare, [cirq.Z(q) for q in measured.values()], param_resolver=resolver,
        qubit_order=sorted(circuit.all_qubits()))
    return {key: float(np.real(v)) for key, v in zip(measured, values)}


@pytest.mark.parametrize("basis", ["Z", "X"])
def test_export_parses_and_reproduces_expectations(compiled, basis):
    text = qc.export_qasm3(compiled, basis)
    program = openqasm3.parse(text)
    inputs = [s.identifier.name for s in program.statements
              if isinstance(s, openqasm3.ast.IODeclaration)]
    assert inputs == list(compiled.step.angle_map.names)
    circuit = qc.import_qasm3(text)
    assert {str(s) for s in cirq.parameter_names(circuit)} == set(inputs)
    executable = compiled.executables[basis]
    assert circuit.all_qubits() == executable.all_qubits()
    for seed in (0, 1):
        resolver = _resolver(compiled, seed)
        ours = _z_expectations(circuit, resolver)
        expected = _z_expectations(executable, resolver)
        assert set(ours) == set(compiled.measured_qubits)
        for key in expected:
            assert ours[key] == pytest.approx(expected[key], abs=1e-6)


def test_header_and_layout(compiled):
    text = qc.export_qasm3(compiled, "x")
    final = compiled.report.final
    header = text.split("OPENQASM 3.0;")[0]
    for fact in (compiled.model.name, compiled.device.name, compiled.gateset,
                 f"depth {final.depth}", f"{final.two_qubit} two-qubit gates", qc.__version__,
                 "basis X"):
        assert fact in header
    names = compiled.model.parameter_names
    angle_map = compiled.step.angle_map
    assert f"{angle_map.names[0]} = {names[angle_map.weight[0]]} * x[0]" in header
    for key, qubit in compiled.measured_qubits.items():
        assert f"bit[1] {key};" in text
        assert f"{key}[0] = measure q_{qubit.row}_{qubit.col};" in text
        assert f"-> q_{qubit.row}_{qubit.col}" in header


def test_unknown_basis():
    result = qc.compile(qc.QRUModel.preset("wdbc"), "rainbow")
    with pytest.raises(InputError, match="unknown measurement basis 'Y'"):
        qc.export_qasm3(result, "Y")


NATIVE_OPS = [
    cirq.PhasedXZGate(x_exponent=0.3, z_exponent=-0.7, axis_phase_exponent=0.45),
    cirq.PhasedXZGate(x_exponent=1.0, z_exponent=0.5, axis_phase_exponent=-1.125),
    cirq.ZPowGate(exponent=0.37),
    cirq.rz(1.1),
    cirq.CZ,
    cirq.CZ**0.3,
    cirq.SQRT_ISWAP,
    cirq.SQRT_ISWAP_INV,
    cirq.ISWAP**0.3,
    cirq_google.SYC,
    cirq.FSimGate(theta=0.4, phi=-1.3),
]


def _program_of(gate: cirq.Gate) -> str:
    qubits = cirq.GridQubit.rect(1, gate.num_qubits(), 5, 2)
    return openqasm3.dumps(circuit_program(cirq.Circuit(gate.on(*qubits))))


def test_definition_parameters_are_in_sorted_order():
    # qiskit-qasm3-import binds call arguments in the sorted order of the parameter names.
    for native in NATIVE_GATES.values():
        names = [p.name for p in native.definition().arguments]
        assert names == sorted(names), native.name


@pytest.mark.parametrize("gate", NATIVE_OPS, ids=str)
def test_native_gate_definitions_are_exact(gate):
    text = _program_of(gate)
    inlined = qc.import_qasm3(text, inline_definitions=True)
    assert not any(isinstance(op.gate, cirq.PhasedXZGate | cirq.FSimGate | cirq.ISwapPowGate)
                   for op in inlined.all_operations())
    np.testing.assert_allclose(cirq.unitary(inlined), cirq.unitary(gate), atol=1e-12)
    native = qc.import_qasm3(text)
    np.testing.assert_allclose(cirq.unitary(native), cirq.unitary(gate), atol=1e-12)


def test_symbolic_angles_round_trip():
    a, b = sympy.Symbol("a"), sympy.Symbol("b")
    q = cirq.GridQubit(0, 1)
    circuit = cirq.Circuit(
        cirq.PhasedXZGate(x_exponent=a / sympy.pi, z_exponent=(2 * b - 0.5) / sympy.pi,
                          axis_phase_exponent=0.25).on(q),
        cirq.ZPowGate(exponent=-b / sympy.pi).on(q),
        cirq.PhasedXZGate(x_exponent=(0.5 - 3 * a) / sympy.pi, z_exponent=0,
                          axis_phase_exponent=-0.5).on(q),
    )
    text = openqasm3.dumps(circuit_program(circuit, ["b", "a"]))
    assert "input float[64] b;\ninput float[64] a;" in text
    assert "phased_xz(a, 2 * b - 0.5, pi / 4) q_0_1;" in text
    assert "p(-b) q_0_1;" in text and "phased_xz(-(3 * a) + 0.5, 0, -(pi / 2)) q_0_1;" in text
    back = qc.import_qasm3(text)
    resolver = cirq.ParamResolver({"a": 0.3, "b": -1.2})
    np.testing.assert_allclose(cirq.unitary(cirq.resolve_parameters(back, resolver)),
                               cirq.unitary(cirq.resolve_parameters(circuit, resolver)),
                               atol=1e-12)


def test_export_rejects_non_native():
    with pytest.raises(QasmError, match="not a native gate"):
        circuit_program(cirq.Circuit(cirq.CNOT(*cirq.LineQubit.range(2))))
    with pytest.raises(QasmError, match="cannot export qubit"):
        circuit_program(cirq.Circuit(cirq.CZ(*cirq.NamedQubit.range(2, prefix="n"))))


GOOD = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
qubit q_0_0;
qubit q_0_1;
bit[1] m;
"""


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("toffoli q_0_0, q_0_1;\n", 7, "unknown gate 'toffoli'"),
        ("h q_0_0\ncz q_0_0, q_0_1;\n", 8, "syntax error"),
        ("rx(phi) q_0_0;\n", 7, "unknown identifier 'phi'"),
        ("h q_9_9;\n", 7, "'q_9_9' is not a declared single qubit"),
        ("cz q_0_0;\n", 7, "gate cz called with 0 argument"),
        ("\n\nctrl @ x q_0_0, q_0_1;\n", 9, "modifiers"),
        ("qubit q_0_0;\n", 7, "declared twice"),
        ('include "other.inc";\n', 7, "only stdgates.inc"),
    ],
)
def test_malformed_programs_name_the_line(body, line, message):
    with pytest.raises(QasmError, match=message) as info:
        qc.import_qasm3(GOOD + body)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}: ")
    assert isinstance(info.value, InputError)


def test_import_of_hand_edited_program():
    text = GOOD + "h q_0_0;\nrx(theta / 2) q_0_1;\ncx q_0_0, q_0_1;\nm[0] = measure q_0_1;\n"
    circuit = qc.import_qasm3(text)
    q0, q1 = cirq.GridQubit(0, 0), cirq.GridQubit(0, 1)
    expected = cirq.Circuit(cirq.H(q0), cirq.rx(sympy.Symbol("theta") / 2)(q1), cirq.CNOT(q0, q1),
                            cirq.measure(q1, key="m"))
    assert cirq.approx_eq(circuit, expected)


def test_cli_export_and_compile_shortcut(capsys, tmp_path):
    status = main(["export", "wdbc", "--device", "rainbow", "--basis", "X", "-o",
                   str(tmp_path / "a")])
    out, _ = capsys.readouterr()
    assert status == 0 and "wdbc_X.qasm" in out
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["report.md", "wdbc_X.qasm"]
    openqasm3.parse((tmp_path / "a" / "wdbc_X.qasm").read_text())
    assert (tmp_path / "a" / "report.md").read_text().startswith("#")
    status = main(["compile", "wdbc", "--device", "rainbow", "--gateset", "sqrt_iswap",
                   "--qasm3", str(tmp_path / "b"), "--output", str(tmp_path / "r.txt")])
    capsys.readouterr()
    assert status == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "report.md", "wdbc_X.qasm", "wdbc_Z.qasm"]
    assert "gateset 'sqrt_iswap'" in (tmp_path / "b" / "wdbc_Z.qasm").read_text()


def test_cli_export_errors(capsys, tmp_path):
    status = main(["export", "wdbc", "--device", "nope", "-o", str(tmp_path)])
    _, err = capsys.readouterr()
    assert status == 2 and err.startswith("qru: error: unknown device 'nope'")
    assert len(err.strip().splitlines()) == 1
    status = main(["export", "wdbc", "--device", "willow_pink", "--gateset", "sycamore",
                   "-o", str(tmp_path)])
    _, err = capsys.readouterr()
    assert status == 2 and err.startswith("qru: error:")


# --- an independent importer -------------------------------------------------------------------


def test_qiskit_importer_agrees(compiled):
    qasm3 = pytest.importorskip(
        "qiskit.qasm3", reason="needs qiskit; install the 'qasm' extra: pip install -e '.[qasm]'")
    pytest.importorskip("qiskit_qasm3_import",
                        reason="needs qiskit-qasm3-import; install the 'qasm' extra")
    from qiskit.quantum_info import Operator, SparsePauliOp, Statevector

    resolver = _resolver(compiled, 3)
    for basis in ("Z", "X"):
        text = qc.export_qasm3(compiled, basis)
        circuit = qasm3.loads(text)
        bound = circuit.assign_parameters(
            {p: float(resolver.value_of(p.name)) for p in circuit.parameters})
        measured = {}
        for instruction in bound.data:
            if instruction.operation.name == "measure":
                register = bound.find_bit(instruction.clbits[0]).registers[0][0]
                measured[register.name] = bound.find_bit(instruction.qubits[0]).index
        assert set(measured) == set(compiled.measured_qubits)
        state = Statevector(bound.remove_final_measurements(inplace=False))
        expected = _z_expectations(compiled.executables[basis], resolver)
        n = bound.num_qubits
        for key, index in measured.items():
            pauli = "".join("Z" if k == index else "I" for k in reversed(range(n)))
            value = state.expectation_value(SparsePauliOp(pauli)).real
            assert value == pytest.approx(expected[key], abs=1e-6)

    for gate in NATIVE_OPS:  # each definition, through qiskit's reading of stdgates.inc
        operator = Operator(qasm3.loads(_program_of(gate)))
        # qiskit orders qubits little-endian; Cirq big-endian.
        n = gate.num_qubits()
        matrix = operator.data.reshape([2] * 2 * n)
        matrix = matrix.transpose(list(reversed(range(n))) + list(reversed(range(n, 2 * n))))
        np.testing.assert_allclose(matrix.reshape(2**n, 2**n), cirq.unitary(gate), atol=1e-12)
