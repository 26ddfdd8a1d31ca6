"""Named facts about a compilation unit, and the checks that establish them.

Passes declare the facts they require, ensure and preserve; the pipeline folds these at build
time and, in audit mode, runs the checks below after every pass. A check returns None when the
fact holds, else a reason naming the offending operation.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

import cirq
import networkx as nx

from qru_compile import equivalence, gatesets, shiftability
from qru_compile.errors import ContractError

if TYPE_CHECKING:
    from qru_compile.unit import CompilationUnit, CompileContext


class Fact(enum.Enum):
    """A property of a compilation unit that passes can rely on."""

    MAX_2Q = "every operation acts on at most two qubits"
    ON_DEVICE = "every qubit is a device qubit"
    CONNECTED = "every multi-qubit operation acts on device qubits connected by couplers"
    NATIVE = "every operation is in the target gateset"
    DEVICE_VALID = "the device's own validator accepts the circuit"
    SHIFTABLE = "every angle slot is the angle of exactly one rotation gate"
    EQUIVALENT = "the circuit prepares the logical step's state on data and hidden qubits"
    CSWAP_FITS = ("every controlled-SWAP acts on qubits where a stored decomposition fits the "
                  "couplers")


#: Facts of a freshly lowered step (on logical qubits every pair counts as coupled).
LOWERED_FACTS = frozenset({Fact.SHIFTABLE, Fact.EQUIVALENT, Fact.CSWAP_FITS})
#: Facts whose check simulates the circuit: checked before a pass only in audit mode.
EXPENSIVE = frozenset({Fact.EQUIVALENT})

Check = Callable[["CompilationUnit", "CompileContext"], "str | None"]


def _max_2q(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    for op in unit.circuit.all_operations():
        if len(op.qubits) > 2:
            return f"{op} acts on {len(op.qubits)} qubits"
    return None


def _on_device(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    qubits = set(ctx.device.qubits)
    for q in sorted(unit.circuit.all_qubits()):
        if q not in qubits:
            return f"qubit {q} is not on device {ctx.device.name}"
    return None


def _connected(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    graph = ctx.device.graph
    for op in unit.circuit.all_operations():
        if len(op.qubits) < 2:
            continue
        if not all(q in graph for q in op.qubits):
            return f"{op} acts on qubits that are not on device {ctx.device.name}"
        if len(op.qubits) == 2 and not ctx.device.are_coupled(*op.qubits):
            return f"{op} acts on {op.qubits}, not a coupler of {ctx.device.name}"
        if not nx.is_connected(graph.subgraph(op.qubits)):
            return f"{op} acts on qubits that are not connected on {ctx.device.name}"
    return None


def _native(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    gateset = gatesets.native_gateset(ctx.gateset)
    for op in unit.circuit.all_operations():
        if op not in gateset:
            return f"{op} is not in the {ctx.gateset} gateset"
    return None


def _device_valid(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    if ctx.device.cirq_device is None:
        return _on_device(unit, ctx) or _connected(unit, ctx) or _native(unit, ctx)
    try:
        ctx.device.cirq_device.validate_circuit(unit.circuit)
    except ValueError as exc:
        return f"{ctx.device.name} rejects the circuit: {exc}"
    return None


def _shiftable(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    return shiftability.check_shiftable(unit.circuit, ctx.step.angle_map.names)


def _equivalent(unit: CompilationUnit, ctx: CompileContext) -> str | None:
    from qru_compile.ring_absorption import without_final_cnots  # imports the devices

    step, _ = without_final_cnots(ctx.step, len(unit.absorbed))
    return equivalence.check_equivalent(
        step,
        unit.circuit,
        unit.final_layout(ctx.step.measured_qubits),
        unit.initial_layout_or_identity(ctx.step.qubits),
        trials=ctx.equivalence_trials,
        seed=ctx.seed,
    )


CHECKS: dict[Fact, Check] = {
    Fact.MAX_2Q: _max_2q,
    Fact.ON_DEVICE: _on_device,
    Fact.CONNECTED: _connected,
    Fact.NATIVE: _native,
    Fact.DEVICE_VALID: _device_valid,
    Fact.SHIFTABLE: _shiftable,
    Fact.EQUIVALENT: _equivalent,
}


def register_check(fact: Fact, check: Check) -> None:
    """Set the check of ``fact``, for a fact whose check reads data that lives with a pass
    (the controlled-SWAP table: importing it here would import the passes)."""
    CHECKS[fact] = check


def check(fact: Fact, unit: CompilationUnit, ctx: CompileContext) -> str | None:
    """None if ``fact`` holds for ``unit``, else the reason it does not.

    Raises:
        ContractError: for a fact without a check (its module was never imported).
    """
    if fact not in CHECKS:
        raise ContractError(f"no check registered for {fact.name}")
    return CHECKS[fact](unit, ctx)


def unchanged(a: cirq.AbstractCircuit, b: cirq.AbstractCircuit) -> bool:
    """Whether two circuits are the same (for analysis passes, which must not change it)."""
    return a is b or a == b
