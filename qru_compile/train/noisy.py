"""Evaluate trained parameters on a device's compiled circuit with its calibration noise.

Noise comes from cirq_google's noise properties of the virtual processors (rainbow, weber,
willow_pink: depolarising gate errors, T1/Tphi damping, coherent two-qubit errors), applied by
qsim's trajectory simulator; each expectation value is the mean over ``trajectories`` runs.
Readout error is applied analytically (``<P> -> (1 - 2e) <P>`` with the qubit's mean readout
error ``e``). With ``shots``, every expectation value is replaced by the mean of that many
simulated single-shot outcomes (binomial sampling), one budget per basis (Z and X). Hidden
values are fed forward from the noisy estimates, as on hardware.
"""

from __future__ import annotations

from typing import Any

import cirq
import cirq_google
import numpy as np
import qsimcirq
from cirq_google.engine import virtual_engine_factory

from qru_compile.compiler import CompileResult
from qru_compile.compiler import compile as compile_model
from qru_compile.devices import get_device
from qru_compile.errors import DeviceError
from qru_compile.model import QRUModel
from qru_compile.train.data import Dataset
from qru_compile.train.loop import evaluate
from qru_compile.train.readout import metrics


def noise_model(device: str) -> cirq.NoiseModel:
    """cirq_google's calibration noise model of a virtual processor.

    Raises:
        DeviceError: for devices without noise properties in cirq_google.
    """
    name = get_device(device).name
    if name not in virtual_engine_factory.list_virtual_processors():
        raise DeviceError(f"device {name!r} has no calibration noise model; devices with one: "
                          f"{', '.join(virtual_engine_factory.list_virtual_processors())}")
    properties = virtual_engine_factory.load_device_noise_properties(name)
    return cirq_google.NoiseModelFromGoogleNoiseProperties(properties)


def noisy_outputs(model: QRUModel, params: np.ndarray, inputs: np.ndarray, result: CompileResult,
                  *, trajectories: int = 64, shots: int | None = None, seed: int = 0
                  ) -> np.ndarray:
    """Per-step outputs ``[T, batch, 2*nd]`` of the compiled circuit under the device's noise."""
    rng = np.random.default_rng(seed)
    simulator = qsimcirq.QSimSimulator(
        qsim_options=qsimcirq.QSimOptions(ev_noisy_repetitions=trajectories, cpu_threads=1),
        noise=noise_model(result.device.name), seed=seed)
    measured = [result.measured_qubits[q.name] for q in result.step.measured_qubits]
    observables = [p(q) for q in measured for p in (cirq.Z, cirq.X)]
    readout = np.repeat([1 - 2 * result.device.readout_errors.get(q, 0.0) for q in measured], 2)
    qubits = sorted(set(result.circuit.all_qubits()) | set(measured))
    batch = len(inputs)
    hidden = np.zeros((batch, model.hidden_size))
    outs = []
    for t in range(inputs.shape[1]):
        resolvers = [result.resolver(params, inputs[b, t], hidden[b]) for b in range(batch)]
        values = np.real(np.asarray(simulator.simulate_expectation_values_sweep(
            result.circuit, observables, resolvers, qubit_order=qubits))) * readout
        values = np.clip(values, -1.0, 1.0)
        if shots is not None:
            ones = rng.binomial(shots, (1 - values) / 2)
            values = 1 - 2 * ones / shots
        outs.append(values[:, : model.output_size])
        hidden = values[:, model.output_size :]
    return np.stack(outs)


def compare_ideal_and_noisy(model: QRUModel, params: np.ndarray, data: Dataset, device: str, *,
                            trajectories: int = 64, shots: int | None = None,
                            seed: int = 0) -> dict[str, Any]:
    """Ideal and noisy loss and accuracy (or MSE) of ``params`` on ``data``."""
    result = compile_model(model, device)
    outs = noisy_outputs(model, params, data.inputs, result, trajectories=trajectories,
                         shots=shots, seed=seed)
    return {"device": result.device.name, "samples": len(data), "trajectories": trajectories,
            "shots": shots, "ideal": evaluate(model, params, data),
            "noisy": metrics(model, params, outs, data.targets),
            "two_qubit_gates_per_step": result.report.final.two_qubit,
            "estimated_step_fidelity": result.report.final.fidelity}
