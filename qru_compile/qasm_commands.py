"""``qru export``, and the OpenQASM 3 files it and ``qru compile --qasm3`` write.

Both write ``MODEL_BASIS.qasm`` per basis and ``report.md`` (the compile report) into a
directory. ``qru export`` also takes the options of :func:`qru_compile.export.export_qasm3`:
``--registers``, ``--flavour`` and one parameter set to bind (``--bind-params FILE``,
``--bind-x X,...``, ``--bind-h H,...``); with any of them, report.md ends with a section saying
what they changed and which logical qubit each bit of the register holds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import cirq
import numpy as np

from qru_compile import validation
from qru_compile.commands import load_json_array, load_model, write_or_print
from qru_compile.compiler import CompileResult
from qru_compile.compiler import compile as compile_model
from qru_compile.errors import InputError, OptionError
from qru_compile.export.qasm3 import BASES, SINGLE_REGISTER, measured_bits, qubit_name
from qru_compile.export.qasm3.step import check_registers
from qru_compile.model import QRUModel
from qru_compile.paths import output_directory, plain_file_name
from qru_compile.tables import markdown_table

#: One step's values for ``CompileResult.resolver``: params, x_t, h_prev (None: zeros).
StepValues = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def check_qasm3_target(model: QRUModel, directory: str, what: str) -> None:
    """Refuse, before compiling, a ``directory`` that is a file (or lies under one) and a model
    name that would take the files named after it (:func:`write_qasm3`) out of it."""
    output_directory(directory, what)
    plain_file_name(model.name, "model name")


def _register_rows(result: CompileResult) -> list[list[str]]:
    """``[c[i], logical qubit, physical qubit]`` per bit of the single register (both bases)."""
    return [[f"{SINGLE_REGISTER}[{i}]", name, qubit_name(q)]
            for i, (name, q) in enumerate(measured_bits(result.executables[BASES[0]]))]


def _notes(result: CompileResult, registers: str, bound: bool, flavour: str) -> str:
    """The report.md section on an export with options (the same facts as the headers)."""
    lines = ["", "## OpenQASM 3 export options", "", f"- flavour: {flavour}"
             + (" (Amazon Braket's built-in gates, no include; equal to the step up to a "
                "global phase)" if flavour == "braket" else ""),
             "- angles: " + ("bound to one parameter set, listed in each program's header (no "
                             "inputs)" if bound else "an `input float[64]` per angle slot")]
    if registers == "per-qubit":
        return "\n".join(lines + ["- registers: a `bit[1]` per measured qubit", ""])
    rows = _register_rows(result)
    lines += [f"- registers: one, `bit[{len(rows)}] {SINGLE_REGISTER}`, the same in both bases:",
              "", markdown_table(["bit", "logical qubit", "measured at"], rows)]
    return "\n".join(lines) + "\n"


def write_qasm3(result: CompileResult, bases: Sequence[str], directory: str, *,
                registers: str | None = None, bind: cirq.ParamResolver | None = None,
                flavour: str = "stdgates") -> None:
    """Write ``MODEL_BASIS.qasm`` per basis and ``report.md`` into ``directory``.

    ``registers``, ``bind`` and ``flavour`` go to :func:`~qru_compile.export.export_qasm3`;
    unless all are the defaults, report.md ends with a section on them, and with one register
    its bits are printed too.
    """
    from qru_compile.export import export_qasm3

    programs = {f"{result.model.name}_{basis}.qasm": export_qasm3(
        result, basis, registers=registers, bind=bind, flavour=flavour) for basis in bases}
    programs["report.md"] = result.report.to_markdown()
    layout = check_registers(registers, flavour)
    if registers is not None or bind is not None or flavour != "stdgates":
        programs["report.md"] += _notes(result, layout, bind is not None, flavour)
    for name, text in programs.items():
        write_or_print(text, str(Path(directory) / name))
    if layout == "single":
        print(f"register {SINGLE_REGISTER}: "
              + ", ".join(f"{bit} = {name} ({qubit})" for bit, name, qubit in _register_rows(result)))


def _check_export_options(args: argparse.Namespace) -> None:
    """Refuse ``qru export`` options that contradict each other, before any file is read."""
    if args.flavour == "braket" and args.registers == "per-qubit":
        raise OptionError("--flavour braket writes one classical register (Braket's simulators "
                          "report a single one): leave out --registers per-qubit")
    if args.bind_params is None:
        given = [option for option, value in (("--bind-x", args.bind_x),
                                              ("--bind-h", args.bind_h)) if value is not None]
        if given:
            raise OptionError(f"{', '.join(given)}: only with --bind-params (the parameter set "
                              "to bind)")
    elif args.bind_x is None:
        raise OptionError("--bind-params needs --bind-x (the step's input values x_t)")


def _checked(option: str, check: Callable[[], np.ndarray]) -> np.ndarray:
    """``check()``, its InputError as an OptionError naming ``option``."""
    try:
        return check()
    except InputError as exc:
        raise OptionError(f"{option}: {exc}") from None


def _step_values(args: argparse.Namespace, model: QRUModel) -> StepValues | None:
    """The parameter set of ``--bind-params/-x/-h``, checked against ``model``, or None."""
    if args.bind_params is None:
        return None
    raw = load_json_array(args.bind_params, "params")
    if args.bind_h is not None and len(args.bind_h) != model.hidden_size:
        raise OptionError(f"--bind-h: model {model.name!r} takes {model.hidden_size} previous "
                          f"hidden values, got {len(args.bind_h)}")
    params = _checked(f"--bind-params {args.bind_params}",
                      lambda: validation.circuit_parameters(model, raw))
    x_t = _checked("--bind-x", lambda: validation.step_inputs(model, args.bind_x)[0])
    h_prev = None if args.bind_h is None else _checked(
        "--bind-h", lambda: validation.hidden_state(model, args.bind_h, 1)[0])
    return params, x_t, h_prev


def cmd_export(args: argparse.Namespace) -> None:
    _check_export_options(args)
    model = load_model(args.model)
    check_qasm3_target(model, args.output, "--output")
    values = _step_values(args, model)
    result = compile_model(model, args.device, args.gateset, seed=args.seed,
                           absorb_ring=args.absorb_ring)
    write_qasm3(result, BASES if args.basis == "both" else (args.basis,), args.output,
                registers=args.registers, flavour=args.flavour,
                bind=None if values is None else result.resolver(*values))
