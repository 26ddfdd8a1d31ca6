"""Size and value limits, checked where input enters so that nothing absurd is allocated.

* Qubits: a model (or an imported OpenQASM program) may have at most as many qubits as one
  double-precision state vector (16 bytes per amplitude) of this machine's memory holds:
  :func:`max_qubits` (30 qubits for 16 to 32 GiB).
* Layers: at most :data:`MAX_LAYERS` variational layers per step (the paper's models use 3 or
  4; a step of 1,000 layers already takes seconds to lower and minutes to compile).
* Values: inputs and parameters must be finite and at most :data:`MAX_ABS_VALUE` in magnitude.
  They multiply into rotation angles, and beyond that float64 rounding of an angle exceeds
  1e-7 rad, so a larger value carries no angle at all (and products overflow to infinity).
"""

from __future__ import annotations

import functools
import math
import os

#: Most variational layers a model may have.
MAX_LAYERS = 1000

#: Largest magnitude of an input value or a parameter.
MAX_ABS_VALUE = 1e9

#: Bytes of one state-vector amplitude (complex128).
_AMPLITUDE_BYTES = 16

#: Assumed when the machine's memory cannot be read (8 GiB).
_FALLBACK_MEMORY = 8 * 2**30


@functools.cache
def memory_bytes() -> int:
    """This machine's physical memory in bytes (8 GiB if it cannot be read)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_MEMORY


@functools.cache
def max_qubits() -> int:
    """Most qubits whose double-precision state vector fits in this machine's memory."""
    return math.floor(math.log2(memory_bytes() / _AMPLITUDE_BYTES))


def qubit_limit_message(count: int) -> str:
    """Why ``count`` qubits are refused, with the limit and where it comes from."""
    return (f"{count:,} qubits exceed the limit of {max_qubits()} (a state vector of "
            f"{max_qubits()} qubits, 16 bytes per amplitude, fills this machine's "
            f"{memory_bytes() / 2**30:.0f} GiB)")
