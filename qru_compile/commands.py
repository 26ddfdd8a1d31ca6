"""The ``qru`` subcommands: each parses nothing, calls the library and prints its result.

:mod:`qru_compile.cli` builds the argument parser and maps each subcommand to one function here
(``qru export`` and the programs ``qru compile --qasm3`` writes: :mod:`qru_compile.qasm_commands`);
orchestration (task defaults, executors, checkpoint evaluation) lives in the library
(:mod:`qru_compile.train.run_task`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from qru_compile.compiler import compile as compile_model
from qru_compile.devices import GOOGLE_DEVICES, get_device, known_devices
from qru_compile.errors import InputError, OptionError
from qru_compile.executor import open_executor
from qru_compile.export.qasm3 import BASES
from qru_compile.files import read_json
from qru_compile.lowering import logical_metrics, lower
from qru_compile.model import PRESETS, QRUModel
from qru_compile.paths import output_directory, output_file
from qru_compile.sim import simulate_sequence
from qru_compile.tables import text_table
from qru_compile.train.mitigation import Mitigation


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
    data = read_json(path, "JSON file")
    if isinstance(data, dict):
        if key not in data:
            raise InputError(f"{path}: expected an array or an object with key {key!r}")
        data = data[key]
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array of numbers for {key!r}")
    return data


def cmd_models(args: argparse.Namespace) -> None:
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


def cmd_show(args: argparse.Namespace) -> None:
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
    names = model.parameter_names
    rows = [[k, slot, step.angle_map.formula(k, names)]
            for k, slot in enumerate(step.angle_map.names)]
    print(text_table(["slot", "symbol", "angle"], rows))
    print()
    print(text_table(["index", "parameter"], list(enumerate(names))))


def cmd_simulate(args: argparse.Namespace) -> None:
    if args.output is not None:
        output_file(args.output, "--output")
    model = load_model(args.model)
    params = load_json_array(args.params, "params")
    inputs = load_json_array(args.inputs, "inputs")
    hidden = load_json_array(args.initial_hidden, "initial_hidden") if args.initial_hidden else None
    result = simulate_sequence(model, params, inputs, backend=args.backend, device=args.device,
                               initial_hidden=hidden)
    payload = {
        "model": model.to_dict(),
        "backend": args.backend,
        "step": "logical" if args.device is None else f"compiled for {args.device}",
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


def cmd_devices(args: argparse.Namespace) -> None:
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


def write_or_print(text: str, output: str | None) -> None:
    if output is None:
        print(text)
        return
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise InputError(f"{output}: cannot write ({exc.strerror})") from None
    print(f"wrote {output}")


def cmd_compile(args: argparse.Namespace) -> None:
    from qru_compile.qasm_commands import check_qasm3_target, write_qasm3  # it imports this

    if args.output is not None:
        output_file(args.output, "--output")
    model = load_model(args.model)
    if args.qasm3 is not None:
        check_qasm3_target(model, args.qasm3, "--qasm3")
    result = compile_model(model, args.device, args.gateset,
                           verify_equivalence=args.verify_equivalence, seed=args.seed,
                           absorb_ring=args.absorb_ring)
    report = result.report
    text = {"table": report.to_table, "markdown": report.to_markdown,
            "json": report.to_json}[args.format]()
    write_or_print(text, args.output)
    if args.qasm3 is not None:
        write_qasm3(result, BASES, args.qasm3)


def cmd_sweep(args: argparse.Namespace) -> None:
    from qru_compile.sweep import sweep, sweep_report

    models = [load_model(spec) for spec in args.models]
    devices = list(GOOGLE_DEVICES) if args.devices == ["google"] else args.devices
    for name in devices:
        get_device(name)  # an unknown name fails here, before any job starts
    with open_executor(args.scheduler) as executor:
        rows = sweep(models, devices, gateset=args.gateset, seed=args.seed,
                     verify_equivalence=args.verify_equivalence, executor=executor)
    write_or_print(sweep_report(rows, args.format), args.output)
    failed = sum(row.error is not None for row in rows)
    if failed:
        print(f"{failed} of {len(rows)} pairs failed (see the status column)", file=sys.stderr)


def cmd_train(args: argparse.Namespace) -> None:
    from qru_compile.progress import TrainingProgress
    from qru_compile.train.data import check_dataset, load_csv
    from qru_compile.train.run_task import TrainRequest, train_task
    from qru_compile.train.tasks import TASKS

    _check_train_options(args, TASKS)
    data = model = None
    if args.data is not None:
        model = load_model(args.model)
        _check_columns(args, model)
        data = load_csv(args.data, feature_columns=args.columns, label_column=args.label,
                        steps=args.steps)
        check_dataset(model, data, args.data)
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed),
                                   ("device", args.device), ("batch_size", args.batch_size),
                                   ("learning_rate", args.learning_rate),
                                   ("patience", args.patience),
                                   ("lr_patience", args.lr_patience),
                                   ("min_learning_rate", args.min_learning_rate),
                                   ("chunk_size", args.chunk_size),
                                   ("gradient", args.gradient),
                                   ("backend", args.backend),
                                   ("noise", args.noise or None),
                                   ("shots", args.shots),
                                   ("refit_epochs", args.refit_epochs)) if v is not None}
    request = TrainRequest(task=args.task, data=data, model=model, overrides=overrides,
                           folds=args.folds, only_folds=args.only_folds,
                           val_fraction=args.val_fraction, restarts=args.restarts)
    request = dataclasses.replace(request, output=output_directory(
        args.output or f"runs/{request.name}", "--output"))
    progress = TrainingProgress(request.name)
    with open_executor(args.scheduler) as executor:
        if not executor.in_process:
            print(f"running on {executor!r}", file=sys.stderr)
        outcome = train_task(request, executor=executor, chunk_batches=bool(args.chunk_size),
                             on_epoch=progress.epoch, on_batch=progress.batch,
                             on_done=progress.done)
    summary = outcome.summary
    if args.task == "oscillation":
        print(f"oscillation: best autoregressive test MSE {summary['best_test_mse']:.3g} "
              f"(median {summary['median_test_mse']:.3g}) over {outcome.restarts} restart(s); "
              + "; ".join(f"{k} {v['test_mse']:.3g} ({v['parameters']} parameters)"
                          for k, v in summary["baselines"].items()))
    else:
        shown = f"folds {','.join(map(str, summary['folds_run']))} of {args.folds}" \
            if args.only_folds else f"{args.folds}-fold"
        print(f"\n{outcome.name}: {shown} accuracy {summary['mean_accuracy']:.4f} "
              f"({outcome.model.num_parameters} parameters); "
              + "; ".join(f"{k} {v['mean_accuracy']:.4f} ({v['parameters']} parameters)"
                          for k, v in summary["baselines"].items()))
    print(f"wrote {outcome.output}/summary.json and per-run checkpoints")


def _check_train_options(args: argparse.Namespace, tasks: Iterable[str]) -> None:
    """Refuse ``qru train`` options that do not go together, before any file is read."""
    if (args.task is None) == (args.data is None):
        raise OptionError("give a task name (" + ", ".join(tasks) + ") or --data FILE, not "
                          "both")
    with_data = {"--model": args.model, "--steps": args.steps, "--columns": args.columns,
                 "--label": args.label}
    if args.data is not None:
        missing = [option for option, value in with_data.items() if value is None]
        if missing:
            raise OptionError(f"--data needs {', '.join(missing)} (all of --model, --steps, "
                              "--columns and --label)")
    else:
        given = [option for option, value in with_data.items() if value is not None]
        if given:
            raise OptionError(f"{', '.join(given)}: only with --data, not with a task "
                              f"({args.task})")
    if args.shots is not None and not args.noise:
        raise OptionError("--shots needs --noise (shots of the device's noisy readout)")
    if args.refit_epochs is not None and not args.noise:
        raise OptionError("--refit-epochs needs --noise (it refits the noise's observation "
                          "model)")
    if args.only_folds is not None:
        if args.task == "oscillation":
            raise OptionError("--only-folds: oscillation has restarts, not folds")
        outside = [k for k in args.only_folds if k >= args.folds]
        if outside:
            raise OptionError(f"--only-folds: fold {outside[0]} is not one of 0..{args.folds - 1}"
                              f" (--folds {args.folds})")
    if args.noise and args.device is None:
        raise OptionError("--noise needs --device (the noise is that of the step compiled "
                          "for it)")


def _check_columns(args: argparse.Namespace, model: QRUModel) -> None:
    """``--columns`` must hold ``--steps`` times the model's ``I`` features, not the label."""
    count = len(args.columns)
    if count != args.steps * model.I:
        raise OptionError(f"--columns names {count} column(s), but --steps {args.steps} with "
                          f"model {model.name!r} (I={model.I} features per step) needs "
                          f"--steps x I = {args.steps * model.I}")
    if args.label in args.columns:
        raise OptionError(f"--label {args.label!r} is also one of --columns")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from qru_compile.train.run_task import evaluate_checkpoint

    noisy_only = {"--shots": args.shots, "--trajectories": args.trajectories,
                  "--mitigation": args.mitigation, "--zne-scales": args.zne_scales}
    given = [option for option, value in noisy_only.items() if value is not None]
    if not args.noise and given:
        raise OptionError(f"{', '.join(given)}: only with --noise")
    if args.zne_scales is not None and "zne" not in (args.mitigation or ""):
        raise OptionError("--zne-scales goes with --mitigation zne or readout+zne")
    mitigation = Mitigation.parse(args.mitigation or "none", args.zne_scales)
    try:
        report = evaluate_checkpoint(args.checkpoint, device=args.device, noise=args.noise,
                                     shots=args.shots, trajectories=args.trajectories,
                                     mitigation=mitigation, seed=args.seed,
                                     samples=args.samples, backend=args.backend)
    except OptionError as exc:  # the library names parameters, the command line flags
        raise OptionError(str(exc).replace("noise needs a device", "--noise needs --device")
                          ) from None
    print(json.dumps(report, indent=1))


def pretrained_names() -> tuple[str, ...]:
    from qru_compile import pretrained

    return pretrained.names()


def cmd_run(args: argparse.Namespace) -> None:
    from qru_compile.engine_run import run_checkpoint
    from qru_compile.progress import StepProgress

    progress = StepProgress(args.engine)
    try:
        report = run_checkpoint(args.checkpoint, args.engine, shots=args.shots,
                                samples=args.samples, seed=args.seed, on_step=progress)
    finally:
        progress.close()
    print(json.dumps(report, indent=1))
