"""OpenQASM 3 export of compiled QRU steps, and import of such programs back into Cirq.

A program is built as an ``openqasm3.ast`` tree and printed with ``openqasm3.dumps``; only the
leading comment block (model, device, angle map, qubit table) is written as text. Conventions:

* every angle slot is an ``input float[64]`` named as the slot's symbol, in radians, so the values
  of ``CompileResult.resolver(...)`` bind by name;
* each physical qubit is one declaration ``qubit q_R_C;`` for ``cirq.GridQubit(R, C)``
  (``q_N`` for ``cirq.LineQubit(N)``; a negative coordinate is written ``mN``);
* native gates are ``gate`` definitions over ``stdgates.inc``, exact including global phase:

  - ``phased_xz(theta_x, theta_z, theta_zaxis)`` = ``cirq.PhasedXZGate(x_exponent=theta_x/pi,
    z_exponent=theta_z/pi, axis_phase_exponent=theta_zaxis/pi)`` = ``Z^z Z^a X^x Z^-a``;
  - ``fsim(theta_swap, theta_zz)`` = ``cirq.FSimGate(theta=theta_swap, phi=theta_zz)``;
    ``sqrt_iswap``, ``sqrt_iswap_inv``
    and ``syc`` are ``fsim`` at fixed angles;
  - ``cz``, ``cp`` (CZ powers), ``p`` (``ZPowGate``) and ``rz`` come from ``stdgates.inc``;

* each measured logical qubit gets a one-bit register named after it (``bit[1] d0;``).

Options of :func:`export_qasm3` for stricter consumers (the default program is unchanged):
``registers="single"`` (one ``bit[n] c;``), ``bind=`` (one parameter set as constants, no
``input``) and ``flavour="braket"`` (Amazon Braket's built-in gates, no ``include``).

Modules: :mod:`.gates` (the native gate definitions and AST building blocks),
:mod:`.writer` (circuit to program), :mod:`.braket` (the Braket flavour's gates),
:mod:`.step` (a compiled step with its comment block and options), :mod:`.reader` (program to
circuit), :mod:`.errors`.
"""

from qru_compile.export.qasm3.braket import BRAKET_GATES
from qru_compile.export.qasm3.errors import QasmError
from qru_compile.export.qasm3.gates import NATIVE_GATES, NativeGate, gate_definitions
from qru_compile.export.qasm3.reader import import_qasm3
from qru_compile.export.qasm3.step import bound_values, check_basis, export_qasm3
from qru_compile.export.qasm3.writer import (
    FLAVOURS,
    REGISTERS,
    SINGLE_REGISTER,
    circuit_program,
    measured_bits,
    qubit_name,
)
from qru_compile.program import BASES

__all__ = [
    "BASES",
    "BRAKET_GATES",
    "FLAVOURS",
    "NATIVE_GATES",
    "REGISTERS",
    "SINGLE_REGISTER",
    "NativeGate",
    "QasmError",
    "bound_values",
    "check_basis",
    "circuit_program",
    "export_qasm3",
    "gate_definitions",
    "import_qasm3",
    "measured_bits",
    "qubit_name",
]
