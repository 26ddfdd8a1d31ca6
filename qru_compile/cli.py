"""The ``qru`` command: a thin layer over the library.

Errors in arguments or files print one line, ``qru: error: ...``, on stderr and exit with
status 2; nothing the user can cause ends in a traceback. Option values are checked as the
command line is parsed (:mod:`qru_compile.options`), options that go together before any file
is read, and files where the library reads them; an exception that is no
:class:`~qru_compile.errors.QRUError` is a bug and is shown in full.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from qru_compile import commands, options, qasm_commands
from qru_compile.errors import QRUError
from qru_compile.export.qasm3 import FLAVOURS, REGISTERS
from qru_compile.gatesets import known_gatesets
from qru_compile.sim import BACKENDS
from qru_compile.train.mitigation import Mitigation


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL, --device and --gateset, shared by the commands that compile."""
    parser.add_argument("model", help="preset name or model JSON file")
    parser.add_argument("--device", required=True, help="device name (see `qru devices`)")
    parser.add_argument("--gateset", choices=known_gatesets(),
                        help="native gateset (default: the device's first)")
    parser.add_argument("--absorb-ring", type=_absorb_ring, default="auto",
                        metavar="auto|K|all|search",
                        help="read outputs as parities instead of running the final ring's "
                             "last CNOTs: auto (default) as many as the calibration estimates "
                             "pay, on the whole step's placement; K: the last K (0 keeps the "
                             "ring), all: the whole ring, each placed without them; search: "
                             "compile every count and keep the best")


def _absorb_ring(text: str) -> int | str:
    if text in ("all", "auto", "search"):
        return text
    try:
        return options.integer(0)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected auto, all, search or an integer >= 0, got {text!r}") from None


def _add_backend_argument(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--backend", default=default, choices=["auto", *BACKENDS],
                        help="simulator: auto (default: the batched float64 engine below 12 "
                             "qubits, qsim from there), numpy (the engine), qsim (float32), "
                             "cirq (float64 reference), density (the exact noisy channel of a "
                             "device-compiled step, up to 10 qubits)")


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    """``qru export``'s options for stricter consumers (the defaults write the usual program)."""
    parser.add_argument("--registers", choices=REGISTERS,
                        help="classical registers: per-qubit (default: bit[1] per measured "
                             "qubit, named after it) or single (one bit[n] c, its bits listed "
                             "in the header and report.md)")
    parser.add_argument("--flavour", choices=FLAVOURS, default="stdgates",
                        help="stdgates (default: gate definitions over stdgates.inc) or braket "
                             "(Amazon Braket's built-in gates, no include, one register)")
    parser.add_argument("--bind-params", metavar="FILE",
                        help="write the angles of one parameter set as constants (no inputs): "
                             "JSON array of circuit parameters, or an object with 'params' (a "
                             "checkpoint); with --bind-x")
    parser.add_argument("--bind-x", type=options.number_list, metavar="X,...",
                        help="with --bind-params: the step's I input values x_t (a negative "
                             "first value as --bind-x=-0.3,...)")
    parser.add_argument("--bind-h", type=options.number_list, metavar="H,...",
                        help="with --bind-params: the previous hidden values h_prev, in "
                             "[-1, 1] (default: zeros)")


def _add_scheduler_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on Dask: local:N (N worker processes on this machine) or "
                             "tcp://HOST:PORT (a running scheduler); default: in this process")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``qru`` command."""
    parser = options.Parser(
        prog="qru", description="Compile, simulate and train Quantum Recurrent Units."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    models = subparsers.add_parser("models", help="table of the preset models")
    models.set_defaults(run=commands.cmd_models)

    show = subparsers.add_parser("show", help="step circuit and parameter layout of a model")
    show.add_argument("model", help="preset name (oscillation, wdbc, mnist) or model JSON file")
    show.add_argument("--transpose", action="store_true", help="draw time downwards")
    show.set_defaults(run=commands.cmd_show)

    simulate = subparsers.add_parser("simulate", help="exact expectation values of sequences")
    simulate.add_argument("model", help="preset name or model JSON file")
    simulate.add_argument("--params", required=True,
                          help="JSON array of circuit parameters (or object with 'params')")
    simulate.add_argument("--inputs", required=True,
                          help="JSON array [batch][T][I] (or object with 'inputs')")
    simulate.add_argument("--initial-hidden", help="JSON array [batch][2*nh] or [2*nh]")
    _add_backend_argument(simulate, "auto")
    simulate.add_argument("--device", help="simulate the step compiled for this device")
    simulate.add_argument("--output", help="write results to this JSON file (default: stdout)")
    simulate.set_defaults(run=commands.cmd_simulate)

    devices = subparsers.add_parser("devices", help="table of the target devices")
    devices.set_defaults(run=commands.cmd_devices)

    compile_ = subparsers.add_parser("compile", help="compile a model's step for a device")
    _add_target_arguments(compile_)
    compile_.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    compile_.add_argument("--output", help="write the report to this file")
    compile_.add_argument("--verify-equivalence", action="store_true",
                          help="also check the result against the logical step by simulation")
    compile_.add_argument("--seed", type=options.seed, default=0,
                          help="placement/routing tie-break seed")
    compile_.add_argument("--qasm3", metavar="DIR",
                          help="also write OpenQASM 3 programs (Z and X basis) and report.md")
    compile_.set_defaults(run=commands.cmd_compile)

    sweep = subparsers.add_parser("sweep", help="compile models x devices into one table")
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
    sweep.set_defaults(run=commands.cmd_sweep)

    export = subparsers.add_parser("export", help="compile a model and write OpenQASM 3 programs")
    _add_target_arguments(export)
    export.add_argument("--basis", choices=["Z", "X", "both"], default="both",
                        help="measurement basis of the programs (default: both)")
    export.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="directory for MODEL_BASIS.qasm and report.md")
    export.add_argument("--seed", type=options.seed, default=0,
                        help="placement/routing tie-break seed")
    _add_export_options(export)
    export.set_defaults(run=qasm_commands.cmd_export)

    train = subparsers.add_parser("train", help="train on a task or a CSV file")
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
    train.set_defaults(run=commands.cmd_train)

    evaluate = subparsers.add_parser("evaluate", help="evaluate a checkpoint, ideal or noisy")
    evaluate.add_argument("checkpoint", help="a fold or restart checkpoint from qru train, or "
                                             "a shipped one by name ("
                                             + ", ".join(commands.pretrained_names()) + ")")
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
    evaluate.set_defaults(run=commands.cmd_evaluate)

    run = subparsers.add_parser("run", help="run a checkpoint's test sequences through "
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
    run.set_defaults(run=commands.cmd_run)
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
