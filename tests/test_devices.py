import networkx as nx
import pytest

import qru_compile as qc
from qru_compile.devices import get_device


@pytest.mark.parametrize(
    "name, qubits, couplers, gatesets",
    [
        ("Sycamore", 54, 88, ("sqrt_iswap", "sycamore")),
        ("Sycamore23", 23, 32, ("sqrt_iswap", "sycamore")),
        ("rainbow", 23, 32, ("cz", "sqrt_iswap", "sycamore")),
        ("weber", 53, 86, ("cz", "sqrt_iswap", "sycamore")),
        ("willow_pink", 105, 182, ("cz",)),
    ],
)
def test_google_devices(name, qubits, couplers, gatesets):
    device = get_device(name)
    assert (len(device.qubits), len(device.couplers), device.gatesets) == (qubits, couplers, gatesets)
    assert nx.is_connected(device.graph)
    assert device.cirq_device is not None
    assert get_device(name.upper()) is device  # case-insensitive and cached


def test_durations_are_corrected_and_documented():
    rainbow = get_device("rainbow")
    assert rainbow.durations_ns["measure"] == 4000.0  # metadata says 4 ms
    assert rainbow.durations_ns["cz"] == 32.0  # metadata says 0 ns
    assert any("4 ms" in note for note in rainbow.duration_notes)
    assert any("cz" in note for note in rainbow.duration_notes)
    willow = get_device("willow_pink")
    assert (willow.durations_ns["cz"], willow.durations_ns["measure"]) == (42.0, 600.0)
    assert willow.duration_notes == ()
    assert get_device("Sycamore").durations_ns["measure"] == 4000.0


def test_calibration_where_cirq_google_has_it():
    rainbow = get_device("rainbow")
    assert len(rainbow.qubit_errors) == 23 and len(rainbow.readout_errors) == 23
    for gateset in ("cz", "sqrt_iswap", "sycamore"):
        assert set(rainbow.pair_errors[gateset]) == set(rainbow.couplers)
    assert all(0 < e < 0.2 for e in rainbow.pair_errors["cz"].values())
    assert any("stand in" in note for note in rainbow.error_notes)
    willow = get_device("willow_pink")
    assert set(willow.pair_errors["cz"]) == set(willow.couplers)
    assert not get_device("Sycamore").has_calibration("sqrt_iswap")


def test_synthetic_devices():
    grid = get_device("grid6x6")
    assert (len(grid.qubits), len(grid.couplers)) == (36, 60)
    line = get_device("line5")
    assert (len(line.qubits), len(line.couplers)) == (5, 4)
    heavy = get_device("heavyhex2x3")
    degrees = [d for _, d in heavy.graph.degree]
    assert max(degrees) == 3 and min(degrees) >= 1 and nx.is_connected(heavy.graph)
    assert sum(1 for d in degrees if d == 2) > sum(1 for d in degrees if d == 3)  # edge qubits
    assert grid.cirq_device is None and grid.qubit_errors == {}


@pytest.mark.parametrize(
    "name, message",
    [
        ("sycamore54", "unknown device 'sycamore54'; known devices: Sycamore, Sycamore23, rainbow"),
        ("grid0x3", "sizes must be positive"),
        ("line1", "sizes must be positive"),
        ("grid100x100", "at most 1000 qubits"),
    ],
)
def test_bad_device_names(name, message):
    with pytest.raises(qc.DeviceError, match=message):
        get_device(name)


def test_gateset_check():
    assert get_device("rainbow").check_gateset(None) == "cz"
    assert get_device("Sycamore").check_gateset(None) == "sqrt_iswap"
    with pytest.raises(qc.DeviceError, match="does not support gateset 'cz'; its gatesets: "
                                             "sqrt_iswap, sycamore"):
        get_device("Sycamore").check_gateset("cz")
