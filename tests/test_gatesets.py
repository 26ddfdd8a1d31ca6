"""Target gatesets: the built-in three as objects, and a new one added from this module alone
(a toy CNOT gateset on a synthetic device) that compiles, verifies and exports."""

from types import MappingProxyType

import cirq
import numpy as np
import pytest

import qru_compile as qc
from qru_compile import gatesets
from qru_compile.devices.synthetic import grid_device
from qru_compile.export.qasm3 import import_qasm3
from qru_compile.passes.routing import block_costs
from qru_compile.testing import assert_compiled_step_equivalent


class CnotTargetGateset(cirq.TwoQubitCompilationTargetGateset):
    """Cirq's compilation target for {CNOT, PhasedXZ, Z}: Cirq's CZ synthesis, each CZ then
    written as H(t) CNOT H(t) (the single-qubit gates merge afterwards)."""

    def __init__(self):
        super().__init__(cirq.CNOT, cirq.PhasedXZGate, cirq.ZPowGate, cirq.MeasurementGate,
                         name="CnotTargetGateset")

    def _decompose_two_qubit_operation(self, op, moment_idx):
        if not cirq.has_unitary(op):
            return NotImplemented
        a, b = op.qubits
        hadamard = cirq.PhasedXZGate.from_matrix(cirq.unitary(cirq.H))
        out = []
        for cz_op in cirq.two_qubit_matrix_to_cz_operations(a, b, cirq.unitary(op),
                                                            allow_partial_czs=False):
            if cz_op.gate == cirq.CZ:
                control, target = cz_op.qubits
                out += [hadamard(target), cirq.CNOT(control, target), hadamard(target)]
            else:
                out.append(cz_op)
        return out

    def _decompose_single_qubit_operation(self, op, moment_idx):
        return cirq.PhasedXZGate.from_matrix(cirq.unitary(op)).on(op.qubits[0])


CX = gatesets.TargetGateset(
    "cx", (cirq.CNOT,), CnotTargetGateset, MappingProxyType({"cz": 1}),
    MappingProxyType({cirq.CNOT: "cx"}), 50.0)


@pytest.fixture
def cx_gateset():
    gatesets.register_gateset(CX)
    yield CX
    gatesets.unregister_gateset("cx")


def test_built_in_gatesets_are_objects_with_their_facts():
    assert gatesets.known_gatesets()[:3] == ("cz", "sqrt_iswap", "sycamore")
    cz = gatesets.get_gateset("cz")
    assert cirq.CZ(*cirq.LineQubit.range(2)) in cz.native
    assert cirq.CNOT(*cirq.LineQubit.range(2)) not in cz.native
    assert gatesets.gateset_of(cirq.SQRT_ISWAP_INV).name == "sqrt_iswap"
    assert gatesets.get_gateset("sycamore").stored_gate_cost("cz") == 2
    with pytest.raises(qc.DeviceError, match="unknown gateset 'cx'; known gatesets: cz, "):
        gatesets.get_gateset("cx")
    with pytest.raises(qc.DeviceError, match="built in"):
        gatesets.unregister_gateset("cz")


def test_a_new_gateset_from_one_module_compiles_verifies_and_exports(cx_gateset):
    device = grid_device(3, 3)
    assert "cx" in device.gatesets and device.durations_ns["cx"] == 50.0
    # the router prices blocks in the new gateset as Cirq's synthesis does: like CZ here
    assert dict(block_costs("cx")) == dict(block_costs("cz"))
    model = qc.QRUModel.preset("wdbc")
    result = qc.compile(model, device, "cx", audit=True, verify_equivalence=True)
    two_qubit = {op.gate for op in result.circuit.all_operations() if len(op.qubits) == 2}
    assert two_qubit == {cirq.CNOT}
    assert result.report.final.duration_ns is not None  # the device times the new gate
    assert_compiled_step_equivalent(result)
    cz = qc.compile(model, device, "cz")
    # CZ = H CNOT H: the same routing costs the same number of two-qubit gates
    assert result.report.final.two_qubit == cz.report.final.two_qubit
    text = qc.export_qasm3(result)
    assert "cx " in text and "cz " not in text
    circuit = import_qasm3(text)
    resolver = result.resolver(model.initial_parameters(seed=3), np.full(model.I, 0.4))
    original = cirq.resolve_parameters(result.executables["Z"], resolver)
    back = cirq.resolve_parameters(circuit, {f"{k}": v for k, v in resolver.param_dict.items()})
    order = sorted(original.all_qubits())
    np.testing.assert_allclose(
        cirq.Circuit(cirq.drop_terminal_measurements(back)).unitary(qubit_order=order),
        cirq.Circuit(cirq.drop_terminal_measurements(original)).unitary(qubit_order=order),
        atol=1e-8)
