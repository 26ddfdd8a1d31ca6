"""Compiler passes, one module per job."""

from qru_compile.passes.cswap import DecomposeCSwap
from qru_compile.passes.native import MapToNative
from qru_compile.passes.optimize import MergeSingleQubitGates
from qru_compile.passes.placement import PlaceQubits
from qru_compile.passes.routing import RouteOnDevice
from qru_compile.passes.verify import VerifyDevice, VerifyEquivalence, VerifyShiftable

__all__ = [
    "DecomposeCSwap",
    "MapToNative",
    "MergeSingleQubitGates",
    "PlaceQubits",
    "RouteOnDevice",
    "VerifyDevice",
    "VerifyEquivalence",
    "VerifyShiftable",
]
