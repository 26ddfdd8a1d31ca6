"""qru_compile: compile, simulate and train Quantum Recurrent Units for Google-style devices.

Example:
    >>> import qru_compile as qc
    >>> model = qc.QRUModel.preset("mnist")
    >>> model.num_parameters, model.num_circuit_parameters, model.num_qubits
    (132, 131, 10)
"""

from qru_compile.angle_map import AngleMap
from qru_compile.compiler import CompileResult, compile, default_pipeline
from qru_compile.devices import Device, get_device, known_devices
from qru_compile.errors import (
    BackendError,
    CompileError,
    ContractError,
    DeviceError,
    InputError,
    ModelError,
    OptionError,
    PostconditionError,
    PreconditionError,
    QRUError,
)
from qru_compile.export import export_qasm3, import_qasm3
from qru_compile.lowering import LoweredStep, lower
from qru_compile.model import GATE_PARAMETERS, PRESETS, QRUModel, Readout
from qru_compile.sequence_program import SequenceProgram, coherent_program, verify_constant_depth
from qru_compile.sim import SequenceResult, simulate_sequence
from qru_compile.train import loss_and_gradient
from qru_compile.version import __version__

__all__ = [
    "GATE_PARAMETERS",
    "PRESETS",
    "AngleMap",
    "BackendError",
    "CompileError",
    "CompileResult",
    "ContractError",
    "Device",
    "DeviceError",
    "InputError",
    "LoweredStep",
    "ModelError",
    "OptionError",
    "PostconditionError",
    "PreconditionError",
    "QRUError",
    "QRUModel",
    "Readout",
    "SequenceProgram",
    "SequenceResult",
    "__version__",
    "coherent_program",
    "compile",
    "default_pipeline",
    "export_qasm3",
    "get_device",
    "import_qasm3",
    "known_devices",
    "loss_and_gradient",
    "lower",
    "simulate_sequence",
    "verify_constant_depth",
]
