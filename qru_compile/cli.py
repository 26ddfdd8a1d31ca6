"""The ``qru`` command: a thin layer over the library.

Errors in arguments or files print one line, ``qru: error: ...``, on stderr and exit with
status 2; nothing the user can cause ends in a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.compiler import compile as compile_model
from qru_compile.devices import GOOGLE_DEVICES, get_device, known_devices
from qru_compile.errors import InputError, QRUError
from qru_compile.lowering import logical_metrics, lower
from qru_compile.model import PRESETS, QRUModel
from qru_compile.sim import BACKENDS, simulate_sequence
from qru_compile.tables import text_table


def load_model(spec: str) -> QRUModel:
    """A preset name, or the path of a model JSON file.

    Raises:
        ModelError: for an unknown preset or a bad model file.
    """
    if spec in PRESETS or not (spec.endswith(".json") or Path(spec).exists()):
        return QRUModel.preset(spec)
    return QRUModel.load(spec)


def load_json_array(path: str, key: str) -> Any:
    """A JSON file holding either an array or an object with the array under ``key``.

    Raises:
        InputError: if the file cannot be read, is not JSON, or holds neither form.
    """
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict):
        if key not in data:
            raise InputError(f"{path}: expected an array or an object with key {key!r}")
        data = data[key]
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array of numbers for {key!r}")
    return data


def _cmd_models(args: argparse.Namespace) -> None:
    headers = ["model", "I", "H", "L", "gate", "layers", "readout", "qubits", "params",
               "gates", "CNOT", "CSWAP", "depth"]
    rows = []
    for name, model in PRESETS.items():
        metrics = logical_metrics(lower(model))
        rows.append([
            name, model.I, model.H, model.L, model.gate, ",".join(model.layer_gates),
            model.readout.kind, model.num_qubits, model.num_parameters, metrics.gates,
            metrics.cnots, metrics.cswaps, metrics.depth,
        ])
    print(text_table(headers, rows))
    print("\nper time step; gates and depth count a composite rotation and a CSWAP as one gate")


def _cmd_show(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    step = lower(model)
    metrics = logical_metrics(step)
    readout = model.readout
    print(f"model {model.name}: I={model.I} H={model.H} L={model.L} gate={model.gate} "
          f"layer_gates={','.join(model.layer_gates)}")
    print(f"readout {readout.kind} over {readout.classes} data qubit(s), "
          f"output scale {'yes' if readout.scale else 'no'}")
    print(f"qubits {model.num_qubits} ({', '.join(model.qubit_names)}); "
          f"parameters {model.num_parameters} ({model.num_circuit_parameters} in the circuit)")
    print(f"per step: {metrics.gates} gates ({metrics.cnots} CNOT, {metrics.cswaps} CSWAP), "
          f"depth {metrics.depth}, {metrics.slots} angle slots\n")
    print(step.circuit.to_text_diagram(qubit_order=list(step.qubits), transpose=args.transpose))
    print()
    angle_map = step.angle_map
    names = model.parameter_names
    rows = []
    for k, slot in enumerate(angle_map.names):
        source = int(angle_map.source[k])
        if source < model.I:
            formula = f"{names[angle_map.weight[k]]} * x[{source}] + {names[angle_map.bias[k]]}"
        elif source < angle_map.constant_source:
            h = source - model.I
            formula = f"{names[angle_map.weight[k]]} * arcsin(h[{h}]) + {names[angle_map.bias[k]]}"
        else:
            formula = names[angle_map.weight[k]]
        rows.append([k, slot, formula])
    print(text_table(["slot", "symbol", "angle"], rows))
    print()
    print(text_table(["index", "parameter"], list(enumerate(names))))


def _cmd_simulate(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    params = load_json_array(args.params, "params")
    inputs = load_json_array(args.inputs, "inputs")
    hidden = load_json_array(args.initial_hidden, "initial_hidden") if args.initial_hidden else None
    result = simulate_sequence(model, params, inputs, backend=args.backend, initial_hidden=hidden)
    payload = {
        "model": model.to_dict(),
        "backend": args.backend,
        "layout": {"outs": "[T][batch][<Z_d0>, <X_d0>, ...]",
                   "hidden": "[T][batch][<Z_h0>, <X_h0>, ...]"},
        "outs": result.outs.tolist(),
        "hidden": result.hidden.tolist(),
    }
    if args.output is None:
        print(json.dumps(payload))
        return
    try:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(payload, indent=1) + "\n")
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write output ({exc.strerror})") from None
    steps, batch, _ = result.outs.shape
    final = result.outs[-1]
    rows = [[b] + [float(v) for v in np.round(final[b], 6)] for b in range(min(batch, 10))]
    headers = ["sequence"] + [f"{p}_{q}" for q in model.data_names for p in ("<Z>", "<X>")]
    print(f"{model.name}: {batch} sequence(s) x {steps} step(s) on {args.backend}; "
          f"outputs of the last step:")
    print(text_table(headers, rows))
    print(f"wrote {args.output}")


def _cmd_devices(args: argparse.Namespace) -> None:
    headers = ["device", "qubits", "couplers", "gatesets", "2q ns", "measure ns", "calibration"]
    rows = []
    for name in GOOGLE_DEVICES + ("grid6x6", "line12", "heavyhex2x3"):
        device = get_device(name)
        two_qubit = device.durations_ns.get(device.default_gateset, "-")
        rows.append([name, len(device.qubits), len(device.couplers), ",".join(device.gatesets),
                     two_qubit, device.durations_ns.get("measure", "-"),
                     "median" if device.qubit_errors else "none"])
    print(text_table(headers, rows))
    print(f"\nsynthetic families: gridRxC, lineN, heavyhexRxC; "
          f"known names: {', '.join(known_devices())}")


def _write_or_print(text: str, output: str | None) -> None:
    if output is None:
        print(text)
        return
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise InputError(f"{output}: cannot write ({exc.strerror})") from None
    print(f"wrote {output}")


def _cmd_compile(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    result = compile_model(model, args.device, args.gateset,
                           verify_equivalence=args.verify_equivalence, seed=args.seed)
    report = result.report
    text = {"table": report.to_table, "markdown": report.to_markdown,
            "json": report.to_json}[args.format]()
    _write_or_print(text, args.output)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qru`` command."""
    parser = argparse.ArgumentParser(
        prog="qru", description="Compile, simulate and train Quantum Recurrent Units."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    models = commands.add_parser("models", help="table of the preset models")
    models.set_defaults(run=_cmd_models)

    show = commands.add_parser("show", help="step circuit and parameter layout of a model")
    show.add_argument("model", help="preset name (oscillation, wdbc, mnist) or model JSON file")
    show.add_argument("--transpose", action="store_true", help="draw time downwards")
    show.set_defaults(run=_cmd_show)

    simulate = commands.add_parser("simulate", help="exact expectation values of sequences")
    simulate.add_argument("model", help="preset name or model JSON file")
    simulate.add_argument("--params", required=True,
                          help="JSON array of circuit parameters (or object with 'params')")
    simulate.add_argument("--inputs", required=True,
                          help="JSON array [batch][T][I] (or object with 'inputs')")
    simulate.add_argument("--initial-hidden", help="JSON array [batch][2*nh] or [2*nh]")
    simulate.add_argument("--backend", default="qsim", choices=sorted(BACKENDS),
                          help="qsim (float32), cirq (float64 reference), numpy (batched float64)")
    simulate.add_argument("--output", help="write results to this JSON file (default: stdout)")
    simulate.set_defaults(run=_cmd_simulate)

    devices = commands.add_parser("devices", help="table of the target devices")
    devices.set_defaults(run=_cmd_devices)

    compile_ = commands.add_parser("compile", help="compile a model's step for a device")
    compile_.add_argument("model", help="preset name or model JSON file")
    compile_.add_argument("--device", required=True, help="device name (see `qru devices`)")
    compile_.add_argument("--gateset", choices=["cz", "sqrt_iswap", "sycamore"],
                          help="native gateset (default: the device's first)")
    compile_.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    compile_.add_argument("--output", help="write the report to this file")
    compile_.add_argument("--verify-equivalence", action="store_true",
                          help="also check the result against the logical step by simulation")
    compile_.add_argument("--seed", type=int, default=0, help="placement/routing tie-break seed")
    compile_.set_defaults(run=_cmd_compile)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qru`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except QRUError as exc:
        print(f"qru: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
