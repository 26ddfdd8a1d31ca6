"""The compile cache: a hit is the result the compile gave, keys tell compiles apart, and a
broken or unwritable cache never breaks (or silently changes) a compile."""

import cirq
import numpy as np
import pytest

import qru_compile as qc
from qru_compile import compile_cache

MODEL = qc.QRUModel.preset("wdbc")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("QRU_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("QRU_COMPILE_CACHE", "on")
    return tmp_path


def _entries(directory):
    return sorted(directory.glob("*.pickle"))


def test_a_hit_is_the_result_the_compile_gave(cache_dir):
    first = qc.compile(MODEL, "willow_pink", seed=2)
    assert len(_entries(cache_dir)) == 1
    again = qc.compile(MODEL, "willow_pink", seed=2)
    assert "compile cache" in again.report.notes[0]
    assert again.device is first.device  # looked up again by name
    assert again.circuit == first.circuit and dict(again.executables) == dict(first.executables)
    assert dict(again.measured_qubits) == dict(first.measured_qubits)
    assert again.report.final == first.report.final
    assert again.report.certificate == first.report.certificate
    params = np.random.default_rng(0).uniform(-1, 1, MODEL.num_parameters)
    x = np.random.default_rng(1).uniform(0, 1, (3, 4, MODEL.I))
    np.testing.assert_array_equal(qc.simulate_sequence(again, params, x).outs,
                                  qc.simulate_sequence(first, params, x).outs)


def test_keys_tell_compiles_apart(cache_dir):
    base = compile_cache.cache_key(MODEL, "rainbow", "cz", seed=0)
    assert base == compile_cache.cache_key(MODEL, "rainbow", "cz", seed=0)
    others = [compile_cache.cache_key(MODEL, "rainbow", "cz", seed=1),
              compile_cache.cache_key(MODEL, "weber", "cz", seed=0),
              compile_cache.cache_key(MODEL, "rainbow", "sqrt_iswap", seed=0),
              compile_cache.cache_key(qc.QRUModel.preset("mnist"), "rainbow", "cz", seed=0),
              compile_cache.cache_key(MODEL, "rainbow", "cz", seed=0, absorb_ring=1)]
    assert len({base, *others}) == 6
    qc.compile(MODEL, "rainbow")
    qc.compile(MODEL, "rainbow", absorb_ring=1)
    assert len(_entries(cache_dir)) == 2


def test_a_corrupt_entry_is_compiled_again_and_replaced(cache_dir):
    expected = qc.compile(MODEL, "rainbow", cache=False)
    qc.compile(MODEL, "rainbow")
    (entry,) = _entries(cache_dir)
    entry.write_bytes(b"not a pickle")
    result = qc.compile(MODEL, "rainbow")
    assert result.circuit == expected.circuit
    assert "compile cache" not in result.report.notes[0]
    assert "compile cache" in qc.compile(MODEL, "rainbow").report.notes[0]


def test_off_custom_pipelines_and_callbacks_are_not_cached(cache_dir, monkeypatch):
    qc.compile(MODEL, "rainbow", cache=False)
    qc.compile(MODEL, "rainbow", pipeline=qc.compiler.default_pipeline())
    qc.compile(MODEL, "rainbow", callback=lambda record, unit: None)
    monkeypatch.setenv("QRU_COMPILE_CACHE", "off")
    qc.compile(MODEL, "rainbow")
    assert _entries(cache_dir) == []


def test_an_unwritable_cache_directory_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("QRU_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    monkeypatch.setenv("QRU_COMPILE_CACHE", "on")
    result = qc.compile(MODEL, "rainbow")
    assert isinstance(result.circuit, cirq.FrozenCircuit)
    assert "compile cache" not in qc.compile(MODEL, "rainbow").report.notes[0]
