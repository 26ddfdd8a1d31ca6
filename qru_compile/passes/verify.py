"""Verification passes: analysis passes that establish a fact by checking it, or fail."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from qru_compile import facts
from qru_compile.errors import CompileError
from qru_compile.facts import Fact
from qru_compile.pipeline import Pass
from qru_compile.unit import CompilationUnit, CompileContext, PassResult


@dataclasses.dataclass(frozen=True)
class _Verify(Pass):
    kind: ClassVar[Literal["transform", "analysis"]] = "analysis"
    fact: ClassVar[Fact]

    def run(self, unit: CompilationUnit, ctx: CompileContext) -> PassResult:
        reason = facts.check(self.fact, unit, ctx)
        if reason is not None:
            raise CompileError(f"verification failed ({self.fact.name}): {reason}")
        return PassResult(unit, notes=(f"{self.fact.name}: {self.fact.value}",))


@dataclasses.dataclass(frozen=True)
class VerifyDevice(_Verify):
    """The device's own validator (cirq_google ``validate_circuit``) accepts the circuit.

    Contract: requires NATIVE, CONNECTED; ensures DEVICE_VALID; changes nothing.
    """

    name: ClassVar[str] = "verify_device"
    requires: ClassVar[frozenset[Fact]] = frozenset({Fact.NATIVE, Fact.CONNECTED})
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.DEVICE_VALID})
    fact: ClassVar[Fact] = Fact.DEVICE_VALID


@dataclasses.dataclass(frozen=True)
class VerifyShiftable(_Verify):
    """Every angle slot is the angle of exactly one shiftable rotation.

    Contract: requires nothing; ensures SHIFTABLE; changes nothing.
    """

    name: ClassVar[str] = "verify_shiftable"
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.SHIFTABLE})
    fact: ClassVar[Fact] = Fact.SHIFTABLE


@dataclasses.dataclass(frozen=True)
class VerifyEquivalence(_Verify):
    """The compiled circuit implements the logical step's channel on data and hidden qubits.

    Contract: requires nothing; ensures EQUIVALENT; changes nothing. Simulates both circuits
    for random slot values and random input states (up to about 20 qubits).
    """

    name: ClassVar[str] = "verify_equivalence"
    ensures: ClassVar[frozenset[Fact]] = frozenset({Fact.EQUIVALENT})
    fact: ClassVar[Fact] = Fact.EQUIVALENT
