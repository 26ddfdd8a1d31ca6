"""The ``qru`` command: a thin layer over the library.

Errors in arguments or files print one line, ``qru: error: ...``, on stderr and exit with
status 2; nothing the user can cause ends in a traceback. Option values are checked as the
command line is parsed (:mod:`qru_compile.options`), options that go together before any file
is read, and files where the library reads them; an exception that is no
:class:`~qru_compile.errors.QRUError` is a bug and is shown in full.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qru_compile import options
from qru_compile.compiler import compile as compile_model
from qru_compile.devices import GOOGLE_DEVICES, get_device, known_devices
from qru_compile.errors import InputError, OptionError, QRUError
from qru_compile.executor import LocalExecutor, open_executor
from qru_compile.export.qasm3 import BASES
from qru_compile.files import read_json
from qru_compile.gatesets import known_gatesets
from qru_compile.lowering import logical_metrics, lower
from qru_compile.model import PRESETS, QRUModel
from qru_compile.paths import output_directory, output_file, plain_file_name
from qru_compile.sim import BACKENDS, simulate_sequence
from qru_compile.tables import text_table
from qru_compile.train.mitigation import Mitigation

if TYPE_CHECKING:  # imported where used, to keep the command line quick to start
    from qru_compile.compiler import CompileResult
    from qru_compile.train.checkpoint import Checkpoint
    from qru_compile.train.loop import EpochRecord


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
    if args.output is not None:
        output_file(args.output, "--output")
    model = load_model(args.model)
    if args.qasm3 is not None:
        _check_qasm3_target(model, args.qasm3, "--qasm3")
    result = compile_model(model, args.device, args.gateset,
                           verify_equivalence=args.verify_equivalence, seed=args.seed)
    report = result.report
    text = {"table": report.to_table, "markdown": report.to_markdown,
            "json": report.to_json}[args.format]()
    _write_or_print(text, args.output)
    if args.qasm3 is not None:
        _write_qasm3(result, BASES, args.qasm3)


def _cmd_sweep(args: argparse.Namespace) -> None:
    from qru_compile.sweep import sweep, sweep_report

    models = [load_model(spec) for spec in args.models]
    devices = list(GOOGLE_DEVICES) if args.devices == ["google"] else args.devices
    for name in devices:
        get_device(name)  # an unknown name fails here, before any job starts
    with open_executor(args.scheduler) as executor:
        rows = sweep(models, devices, gateset=args.gateset, seed=args.seed,
                     verify_equivalence=args.verify_equivalence, executor=executor)
    _write_or_print(sweep_report(rows, args.format), args.output)
    failed = sum(row.error is not None for row in rows)
    if failed:
        print(f"{failed} of {len(rows)} pairs failed (see the status column)", file=sys.stderr)


def _check_qasm3_target(model: QRUModel, directory: str, what: str) -> None:
    """Refuse, before compiling, a ``directory`` that is a file (or lies under one) and a model
    name that would take the files named after it (:func:`_write_qasm3`) out of it."""
    output_directory(directory, what)
    plain_file_name(model.name, "model name")


def _write_qasm3(result: CompileResult, bases: Sequence[str], directory: str) -> None:
    """Write ``MODEL_BASIS.qasm`` per basis and ``report.md`` into ``directory``."""
    from qru_compile.export import export_qasm3

    programs = {f"{result.model.name}_{basis}.qasm": export_qasm3(result, basis)
                for basis in bases}
    programs["report.md"] = result.report.to_markdown()
    for name, text in programs.items():
        _write_or_print(text, str(Path(directory) / name))


def _cmd_export(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    _check_qasm3_target(model, args.output, "--output")
    result = compile_model(model, args.device, args.gateset, seed=args.seed)
    _write_qasm3(result, BASES if args.basis == "both" else (args.basis,), args.output)


class _Progress:
    """A one-line progress display on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label

    def batch(self, epoch: int, index: int, loss: float) -> None:
        if not sys.stderr.isatty():  # a log file gets one line per epoch only
            return
        print(f"\r{self.label} epoch {epoch} batch {index + 1} loss {loss:.4f}   ",
              end="", file=sys.stderr, flush=True)

    def done(self, run: int, checkpoint: Checkpoint) -> None:
        scores = ", ".join(f"{key} {value:.4g}" for key, value in checkpoint.metrics.items()
                           if key in ("accuracy", "loss", "train_mse", "test_mse"))
        print(f"\r{self.label} {run}: finished, {scores}", file=sys.stderr, flush=True)

    def epoch(self, run: int, record: EpochRecord) -> None:
        metric = "" if record.val_metric is None else f" val {record.val_metric:.4f}"
        val = "" if record.val_loss is None else f" val loss {record.val_loss:.4f}"
        print(f"\r{self.label} {run}: epoch {record.epoch} loss {record.train_loss:.4f}{val}"
              f"{metric} lr {record.learning_rate:g} ({record.seconds:.1f} s)",
              file=sys.stderr, flush=True)


def _cmd_train(args: argparse.Namespace) -> None:
    from qru_compile.train.cross_validation import cross_validate
    from qru_compile.train.data import check_dataset, load_csv
    from qru_compile.train.oscillation_task import oscillation_restarts
    from qru_compile.train.tasks import TASKS, get_task

    _check_train_options(args, TASKS)
    if args.data is not None:
        model = load_model(args.model)
        _check_columns(args, model)
        data = load_csv(args.data, feature_columns=args.columns, label_column=args.label,
                        steps=args.steps)
        check_dataset(model, data, args.data)
        defaults, name = TASKS["wdbc"], Path(args.data).stem  # WDBC's options suit most data
    else:
        defaults = get_task(args.task)
        data, name = None, defaults.name
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
    config = defaults.training_config(**overrides)
    if args.data is None:
        model = defaults.model_for(config)
    val_fraction = args.val_fraction if args.val_fraction is not None else defaults.val_fraction
    restarts = args.restarts if args.restarts is not None else defaults.restarts
    output = output_directory(args.output or f"runs/{name}", "--output")
    progress = _Progress(name)
    with open_executor(args.scheduler) as executor:
        # chunks of each mini-batch go to the workers, or else whole folds / restarts do
        runs, batches = (LocalExecutor(), executor) if args.chunk_size else (executor, None)
        if not executor.in_process:
            print(f"running on {executor!r}", file=sys.stderr)
        if args.task == "oscillation":
            summary = oscillation_restarts(config, restarts=restarts, output=output,
                                           executor=runs, batch_executor=batches,
                                           on_epoch=progress.epoch, on_done=progress.done)
        else:
            data = data if data is not None else defaults.load()
            summary = cross_validate(model, data, config, folds=args.folds, output=output,
                                     val_fraction=val_fraction, restarts=restarts,
                                     executor=runs,
                                     batch_executor=batches, on_epoch=progress.epoch,
                                     on_batch=progress.batch, on_done=progress.done,
                                     only_folds=args.only_folds)
    if args.task == "oscillation":
        print(f"oscillation: best autoregressive test MSE {summary['best_test_mse']:.3g} "
              f"(median {summary['median_test_mse']:.3g}) over {restarts} restart(s); "
              + "; ".join(f"{k} {v['test_mse']:.3g} ({v['parameters']} parameters)"
                          for k, v in summary["baselines"].items()))
    else:
        shown = f"folds {','.join(map(str, summary['folds_run']))} of {args.folds}" \
            if args.only_folds else f"{args.folds}-fold"
        print(f"\n{name}: {shown} accuracy {summary['mean_accuracy']:.4f} "
              f"({model.num_parameters} parameters); "
              + "; ".join(f"{k} {v['mean_accuracy']:.4f} ({v['parameters']} parameters)"
                          for k, v in summary["baselines"].items()))
    print(f"wrote {output}/summary.json and per-run checkpoints")


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


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from qru_compile import pretrained
    from qru_compile.train.checkpoint import Checkpoint
    from qru_compile.train.data import check_dataset
    from qru_compile.train.loop import evaluate
    from qru_compile.train.noisy import compare_ideal_and_noisy
    from qru_compile.train.tasks import TASKS

    noisy_only = {"--shots": args.shots, "--trajectories": args.trajectories,
                  "--mitigation": args.mitigation, "--zne-scales": args.zne_scales}
    given = [option for option, value in noisy_only.items() if value is not None]
    if not args.noise and given:
        raise OptionError(f"{', '.join(given)}: only with --noise")
    if args.zne_scales is not None and "zne" not in (args.mitigation or ""):
        raise OptionError("--zne-scales goes with --mitigation zne or readout+zne")
    checkpoint = Checkpoint.load(pretrained.resolve(args.checkpoint))
    model, params = checkpoint.model, checkpoint.params
    device = args.device or checkpoint.config.device
    if args.noise and device is None:
        raise OptionError("--noise needs --device (rainbow, weber or willow_pink): the "
                          "checkpoint was not trained for one")
    task = TASKS.get(checkpoint.task or "")
    if task is None:
        raise InputError(f"{args.checkpoint}: evaluation needs a task checkpoint "
                         f"({', '.join(TASKS)}); this one is for {checkpoint.task!r}")
    data = task.load()
    check_dataset(model, data, f"{args.checkpoint}: its model does not fit task {task.name!r}")
    index = checkpoint.test_indices(len(data), args.checkpoint)
    if index is not None:
        data = data.subset(index)
    if args.samples is not None:
        data = data.subset(np.arange(min(args.samples, len(data))))
    if args.noise:
        assert device is not None  # checked above
        mitigation = Mitigation.parse(args.mitigation or "none", args.zne_scales)
        report = compare_ideal_and_noisy(model, params, data, device,
                                         trajectories=args.trajectories,
                                         shots=args.shots, mitigation=mitigation,
                                         seed=args.seed)
    else:
        report = {"samples": len(data), "device": device,
                  "backend": args.backend,
                  "ideal": evaluate(model, params, data, backend=args.backend,
                                    device=device)}
    print(json.dumps(report, indent=1))


def _pretrained_names() -> tuple[str, ...]:
    from qru_compile import pretrained

    return pretrained.names()


def _cmd_run(args: argparse.Namespace) -> None:
    from qru_compile.engine_run import run_checkpoint

    def progress(step: int, steps: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{args.engine}: step {step + 1}/{steps}   ", end="", file=sys.stderr,
                  flush=True)

    report = run_checkpoint(args.checkpoint, args.engine, shots=args.shots,
                            samples=args.samples, seed=args.seed, on_step=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(json.dumps(report, indent=1))


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL, --device and --gateset, shared by the commands that compile."""
    parser.add_argument("model", help="preset name or model JSON file")
    parser.add_argument("--device", required=True, help="device name (see `qru devices`)")
    parser.add_argument("--gateset", choices=known_gatesets(),
                        help="native gateset (default: the device's first)")


def _add_backend_argument(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--backend", default=default, choices=["auto", *BACKENDS],
                        help="simulator: auto (default: the batched float64 engine below 12 "
                             "qubits, qsim from there), numpy (the engine), qsim (float32), "
                             "cirq (float64 reference), density (the exact noisy channel of a "
                             "device-compiled step, up to 10 qubits)")


def _add_scheduler_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on Dask: local:N (N worker processes on this machine) or "
                             "tcp://HOST:PORT (a running scheduler); default: in this process")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qru`` command."""
    parser = options.Parser(
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
    _add_backend_argument(simulate, "auto")
    simulate.add_argument("--device", help="simulate the step compiled for this device")
    simulate.add_argument("--output", help="write results to this JSON file (default: stdout)")
    simulate.set_defaults(run=_cmd_simulate)

    devices = commands.add_parser("devices", help="table of the target devices")
    devices.set_defaults(run=_cmd_devices)

    compile_ = commands.add_parser("compile", help="compile a model's step for a device")
    _add_target_arguments(compile_)
    compile_.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    compile_.add_argument("--output", help="write the report to this file")
    compile_.add_argument("--verify-equivalence", action="store_true",
                          help="also check the result against the logical step by simulation")
    compile_.add_argument("--seed", type=options.seed, default=0,
                          help="placement/routing tie-break seed")
    compile_.add_argument("--qasm3", metavar="DIR",
                          help="also write OpenQASM 3 programs (Z and X basis) and report.md")
    compile_.set_defaults(run=_cmd_compile)

    sweep = commands.add_parser("sweep", help="compile models x devices into one table")
    sweep.add_argument("models", nargs="+", help="preset names or model JSON files")
    sweep.add_argument("--devices", required=True, type=options.name_list,
                       help="comma-separated device names, or 'google' for all Google devices")
    sweep.add_argument("--gateset", choices=known_gatesets(),
                       help="two-qubit gateset (default: each device's own)")
    sweep.add_argument("--seed", type=options.seed, default=0,
                       help="placement/routing tie-break seed")
    sweep.add_argument("--verify-equivalence", action="store_true",
                       help="also check each result against the logical step by simulation")
    sweep.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    sweep.add_argument("--output", help="write the table to this file")
    _add_scheduler_arguments(sweep)
    sweep.set_defaults(run=_cmd_sweep)

    export = commands.add_parser("export", help="compile a model and write OpenQASM 3 programs")
    _add_target_arguments(export)
    export.add_argument("--basis", choices=["Z", "X", "both"], default="both",
                        help="measurement basis of the programs (default: both)")
    export.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="directory for MODEL_BASIS.qasm and report.md")
    export.add_argument("--seed", type=options.seed, default=0,
                        help="placement/routing tie-break seed")
    export.set_defaults(run=_cmd_export)

    train = commands.add_parser("train", help="train on a task or a CSV file")
    train.add_argument("task", nargs="?", help="wdbc, digits or oscillation")
    train.add_argument("--data", help="CSV file of sequences (one row per sequence)")
    train.add_argument("--model", help="with --data: preset name or model JSON file")
    train.add_argument("--columns", type=options.name_list,
                       help="with --data: comma-separated feature columns")
    train.add_argument("--label", help="with --data: label column")
    train.add_argument("--steps", type=options.integer(1),
                       help="with --data: time steps per sequence")
    train.add_argument("--device", help="train on the step compiled for this device")
    train.add_argument("--noise", action="store_true",
                       help="with --device: train under a fitted model of what the device "
                            "reports (noise injection: attenuation, bias and noise per "
                            "observable, fitted on its calibrated noisy simulation)")
    train.add_argument("--shots", type=options.integer(1),
                       help="with --noise: shots per basis and step the model will run with")
    train.add_argument("--refit-epochs", type=options.integer(0),
                       help="with --noise: refit the observation model at the trained "
                            "parameters, then train this many epochs more")
    train.add_argument("--epochs", type=options.integer(1))
    train.add_argument("--batch-size", type=options.integer(1))
    train.add_argument("--learning-rate", type=options.number(0, strict=True))
    train.add_argument("--patience", type=options.integer(1),
                       help="epochs without a better selection loss (validation loss, or "
                            "training loss without a validation split) before stopping")
    train.add_argument("--lr-patience", type=options.integer(1),
                       help="epochs without a better training loss before the learning rate "
                            "is halved and training returns to the best parameters")
    train.add_argument("--min-learning-rate", type=options.number(0),
                       help="stop when halving takes the learning rate below this")
    train.add_argument("--folds", type=options.integer(2), default=5,
                       help="cross-validation folds")
    train.add_argument("--only-folds", type=options.integer_list(0), metavar="K,...",
                       help="train just these folds of the split (more can follow into the "
                            "same --output)")
    train.add_argument("--restarts", type=options.integer(1),
                       help="random initialisations: oscillation runs (default 4), or per "
                            "cross-validation fold, the best by training/validation loss kept "
                            "(default per task)")
    train.add_argument("--seed", type=options.seed)
    train.add_argument("--output", help="run directory (default runs/TASK); resumes from it")
    train.add_argument("--val-fraction", type=options.number(0, below=0.5),
                       help="share of each training fold held out for early stopping "
                            "(0: select the best training-loss epoch; default per task)")
    _add_scheduler_arguments(train)
    _add_backend_argument(train, None)
    train.add_argument("--chunk-size", type=options.integer(1),
                       help="distribute each mini-batch's gradient in chunks of this many "
                            "samples (instead of distributing whole folds / restarts)")
    train.add_argument("--gradient", metavar="METHOD",
                       help="parameter-shift (default: the rule hardware allows) or adjoint "
                            "(the same gradient from the simulator's backward sweep; faster "
                            "for the larger presets)")
    train.set_defaults(run=_cmd_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a checkpoint, ideal or noisy")
    evaluate.add_argument("checkpoint", help="a fold or restart checkpoint from qru train, or "
                                             "a shipped one by name ("
                                             + ", ".join(_pretrained_names()) + ")")
    evaluate.add_argument("--device", help="evaluate the step compiled for this device "
                                           "(default: the one it was trained for)")
    evaluate.add_argument("--noise", action="store_true",
                          help="with the device's calibration noise (trajectories) and "
                               "readout error")
    evaluate.add_argument("--shots", type=options.integer(1),
                          help="with --noise: shots per basis and step (default: exact "
                               "noisy expectation values)")
    evaluate.add_argument("--trajectories", type=options.integer(1),
                          help="with --noise: trajectories per value (default 64; as many as "
                               "--shots: each shot its own trajectory, as on hardware)")
    evaluate.add_argument("--mitigation", choices=Mitigation.KINDS,
                          help="with --noise: invert the readout confusion and/or "
                               "extrapolate to zero noise by gate folding")
    evaluate.add_argument("--zne-scales", type=options.odd_scales,
                          help="noise scale factors for zne (default 1,3)")
    evaluate.add_argument("--seed", type=options.seed, default=0,
                          help="seed of the trajectories and shots")
    evaluate.add_argument("--samples", type=options.integer(1),
                          help="evaluate only the first N test samples")
    _add_backend_argument(evaluate, "auto")
    evaluate.set_defaults(run=_cmd_evaluate)

    run = commands.add_parser("run", help="run a checkpoint's test sequences through "
                                          "cirq_google's Engine API, shot by shot")
    run.add_argument("checkpoint", help="a fold or restart checkpoint from qru train")
    run.add_argument("--engine", required=True, metavar="SPEC",
                     help="qvm:PROCESSOR (noisy quantum virtual machine), "
                          "qvm-noiseless:PROCESSOR, or google:PROCESSOR[:CONFIG] (Quantum "
                          "Engine; needs GOOGLE_CLOUD_PROJECT and credentials)")
    run.add_argument("--shots", type=options.integer(1), required=True,
                     help="repetitions per circuit (per sample, step and basis)")
    run.add_argument("--samples", type=options.integer(1),
                     help="run only the first K test samples")
    run.add_argument("--seed", type=options.integer(0, 2**32 - 1),
                     help="seed of the virtual machine's simulator")
    run.set_defaults(run=_cmd_run)
    return parser


def one_line(message: str) -> str:
    """``message`` with its lines joined by ``; `` (an error is reported as one line)."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qru`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except QRUError as exc:  # anything else is a bug: its traceback is shown in full
        print(f"qru: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
