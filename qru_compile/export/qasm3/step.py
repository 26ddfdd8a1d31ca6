"""One compiled QRU step as an OpenQASM 3 program: :func:`export_qasm3` and its options.

The program is :func:`~.writer.circuit_program` of ``result.executables[basis]`` after a
comment block (model, device, angle map, qubit layout, and what each option changed). The
options open it to stricter consumers without changing the default program:

* ``registers="single"``: one ``bit[n] c;`` register instead of one per measured qubit;
* ``bind=``: the angle slots of one parameter set written as constants, no ``input``;
* ``flavour="braket"``: Amazon Braket's built-in gates, no ``include`` (one register).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import cirq
import openqasm3

from qru_compile.errors import InputError
from qru_compile.export.qasm3.writer import (
    FLAVOURS,
    REGISTERS,
    SINGLE_REGISTER,
    check_choice,
    circuit_program,
    measured_bits,
    qubit_name,
)
from qru_compile.program import BASES
from qru_compile.version import __version__

if TYPE_CHECKING:
    from qru_compile.compiler import CompileResult

#: What ``bind=`` takes: ``CompileResult.resolver(params, x_t, h_prev)`` or slot name -> value.
Binding = cirq.ParamResolver | Mapping[str, float]


def check_basis(basis: str) -> str:
    """``basis`` upper-cased if it is ``Z`` or ``X``.

    Raises:
        InputError: for any other basis.
    """
    if not isinstance(basis, str) or basis.upper() not in BASES:
        raise InputError(f"unknown measurement basis {basis!r}; expected one of {', '.join(BASES)}")
    return basis.upper()


def check_registers(registers: str | None, flavour: str) -> str:
    """The register layout: ``registers``, or by default ``single`` for Braket, else
    ``per-qubit``.

    Raises:
        InputError: for an unknown layout, or ``per-qubit`` with the Braket flavour.
    """
    if registers is None:
        return "single" if flavour == "braket" else "per-qubit"
    check_choice("registers", registers, REGISTERS)
    if flavour == "braket" and registers != "single":
        raise InputError("flavour 'braket' needs registers='single': Braket's simulators report "
                         "the measurements of one classical register only")
    return registers


def _listed(names: Sequence[str], limit: int = 5) -> str:
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit
                                       else "")


def _finite(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"bind: {name} = {value!r} is not a real number") from None
    if not math.isfinite(number):
        raise InputError(f"bind: {name} = {number} is not finite")
    return number


def bound_values(result: CompileResult, bind: Binding) -> dict[str, float]:
    """The value of every angle slot of ``result`` in ``bind``, in slot order.

    Args:
        result: the compiled step.
        bind: ``result.resolver(params, x_t, h_prev)``, or a mapping of slot names to radians.

    Raises:
        InputError: for a ``bind`` of another type, one that misses a slot or names anything
            that is not one, or a value that is not a finite real number.
    """
    if not isinstance(bind, cirq.ParamResolver | Mapping):
        raise InputError("bind: expected a cirq.ParamResolver (CompileResult.resolver(params, "
                         f"x_t, h_prev)) or a mapping of angle slots to values, got "
                         f"{type(bind).__name__}")
    given = bind.param_dict if isinstance(bind, cirq.ParamResolver) else bind
    values = {str(name): value for name, value in given.items()}
    names = result.step.angle_map.names
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InputError(f"bind: not an angle slot of this step: {_listed(unknown)} (its slots: "
                         f"{_listed(names)})")
    missing = [name for name in names if name not in values]
    if missing:
        raise InputError(f"bind: no value for the angle slot(s) {_listed(missing)}")
    return {name: _finite(name, values[name]) for name in names}


def _slot_formula(result: CompileResult, k: int) -> str:
    angle_map = result.step.angle_map
    formula = angle_map.formula(k, result.model.parameter_names)
    return formula if angle_map.source[k] < angle_map.constant_source else f"parameter {formula}"


def _input_lines(result: CompileResult, values: Mapping[str, float] | None) -> list[str]:
    names = result.step.angle_map.names
    if values is None:
        return ["inputs: radians; bind them by name to CompileResult.resolver(params, x_t, "
                "h_prev):"] + [f"  {name} = {_slot_formula(result, k)}"
                               for k, name in enumerate(names)]
    return ["angle slots bound to constants for one parameter set (radians; no inputs):"] + [
        f"  {name} = {_slot_formula(result, k)} = {values[name]!r}"
        for k, name in enumerate(names)]


def _qubit_lines(result: CompileResult) -> list[str]:
    lines = ["qubits: q_R_C is GridQubit(R, C); logical qubit: start -> measured at"]
    for name, start in result.initial_layout.items():
        end = result.measured_qubits.get(name)
        lines.append(f"  {name}: {qubit_name(start)} -> "
                     + (qubit_name(end) if end is not None else "(not measured)"))
    return lines


def _register_lines(circuit: cirq.AbstractCircuit) -> list[str]:
    bits = measured_bits(circuit)
    return [f"classical register: bit[{len(bits)}] {SINGLE_REGISTER}; each bit is the logical "
            "qubit measured into it:"] + [
        f"  {SINGLE_REGISTER}[{i}] = {name} (measured at {qubit_name(q)})"
        for i, (name, q) in enumerate(bits)]


def _absorbed_lines(result: CompileResult, basis: str) -> list[str]:
    if not result.absorbed:
        return []
    key_of = {q: name for name, q in result.measured_qubits.items()}
    offset = BASES.index(basis)
    lines = [f"final ring absorbed ({len(result.absorbed)} CNOTs): each output is the +-1 "
             "parity of these measured bits:"]
    for q, observable in zip(result.step.measured_qubits, result.observables[offset::2],
                             strict=True):
        bits = ", ".join(key_of[p] for p in sorted(observable.qubits))
        lines.append(f"  <{basis}_{q.name}> = parity({bits})")
    return lines


def _header(result: CompileResult, basis: str, circuit: cirq.AbstractCircuit,
            values: Mapping[str, float] | None, registers: str, flavour: str) -> list[str]:
    final = result.report.final
    lines = [
        (f"QRU step of model {result.model.name!r} for device {result.device.name!r}, "
         f"gateset {result.gateset!r}; measurement basis {basis}"),
        (f"step circuit without basis change and measurements: depth {final.depth}, "
         f"{final.two_qubit} two-qubit gates"),
        f"written by qru_compile {__version__}",
    ]
    if flavour == "braket":
        lines.append("flavour braket: Amazon Braket's built-in gates, no stdgates.inc; equal to "
                     "the step up to a global phase")
    lines += _input_lines(result, values) + _qubit_lines(result)
    if registers == "single":
        lines += _register_lines(circuit)
    lines += _absorbed_lines(result, basis)
    return [f"// {line}".rstrip() for line in lines]


def export_qasm3(result: CompileResult, basis: str = "Z", *, registers: str | None = None,
                 bind: Binding | None = None, flavour: str = "stdgates") -> str:
    """One compiled step with terminal measurements in ``basis``, as an OpenQASM 3 program.

    Args:
        result: a :class:`qru_compile.CompileResult`.
        basis: ``"Z"`` or ``"X"``: which of ``result.executables`` to write.
        registers: ``"per-qubit"`` (default; ``bit[1] d0;`` per measured qubit) or ``"single"``
            (one ``bit[n] c;``, listed bit by bit in the header and by :func:`measured_bits`);
            the Braket flavour needs (and defaults to) ``"single"``.
        bind: one parameter set, ``result.resolver(params, x_t, h_prev)`` or a mapping of every
            angle slot to radians: the angles are then written as constants and the program
            has no ``input`` declarations. Default: every slot an ``input float[64]``.
        flavour: ``"stdgates"`` (default: native ``gate`` definitions over ``stdgates.inc``,
            exact including global phase) or ``"braket"`` (Amazon Braket's built-in gates, no
            ``include``; equal up to a global phase).

    Returns:
        The program text: a comment block, then the program printed by ``openqasm3.dumps``.

    Raises:
        InputError: for an unknown basis, flavour or register layout, ``registers="per-qubit"``
            with the Braket flavour, or a ``bind`` that does not bind every slot to a number.
        QasmError: if the circuit holds something that cannot be written.
    """
    basis = check_basis(basis)
    flavour = check_choice("flavour", flavour, FLAVOURS)
    registers = check_registers(registers, flavour)
    values = None if bind is None else bound_values(result, bind)
    circuit: cirq.AbstractCircuit = result.executables[basis]
    if values is not None:
        circuit = cirq.resolve_parameters(circuit, cirq.ParamResolver(values))
    inputs = result.step.angle_map.names if values is None else ()
    program = circuit_program(circuit, inputs, registers=registers, flavour=flavour)
    return ("\n".join(_header(result, basis, circuit, values, registers, flavour)) + "\n"
            + openqasm3.dumps(program))
