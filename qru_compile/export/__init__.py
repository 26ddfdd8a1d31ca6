"""Export of compiled QRU steps to other formats (OpenQASM 3), and import back."""

from qru_compile.export.qasm3 import (
    BASES,
    QasmError,
    circuit_program,
    export_qasm3,
    gate_definitions,
    import_qasm3,
)

__all__ = [
    "BASES",
    "QasmError",
    "circuit_program",
    "export_qasm3",
    "gate_definitions",
    "import_qasm3",
]
