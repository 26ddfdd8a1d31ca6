"""Copy a fold checkpoint of `qru train` into the package as a named pretrained checkpoint.

    python tools/ship_pretrained.py runs/wdbc_ni/fold1.json wdbc-willow_pink \
        --note "noise-aware, 1,000 shots; docs/results.md"

Adds to ``extra`` what an independent check needs besides the checkpoint's own fields: the
native gateset and compile seed of the step it runs (the device's default pipeline), the row
order of ``test_index`` (the task's own data), and the note. Refuses to overwrite a shipped
file unless ``--replace`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from qru_compile.train.checkpoint import Checkpoint
from qru_compile.train.tasks import get_task

FOLDER = Path(__file__).resolve().parents[1] / "qru_compile" / "pretrained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("name")
    parser.add_argument("--device", help="for an ideal-trained twin: the device it is shipped for")
    parser.add_argument("--note", default="")
    parser.add_argument("--replace", action="store_true")
    args = parser.parse_args()
    target = FOLDER / f"{args.name}.json"
    if target.exists() and not args.replace:
        sys.exit(f"{target} exists; --replace to overwrite it")
    checkpoint = Checkpoint.load(args.checkpoint)
    device = checkpoint.config.device or args.device
    if device is None:
        sys.exit("the checkpoint was trained for no device: give --device")
    result = checkpoint.compiled_step(device)
    order = f"rows of qru_compile.train.tasks.get_task({checkpoint.task!r}).load(), " \
            "scikit-learn's order"
    if get_task(checkpoint.task).load().inputs.shape[2] != checkpoint.model.I:
        order += f", each sequence regrouped into steps of {checkpoint.model.I} features " \
                 "(Task.data_for: step t reads the next features in order)"
    extra = {**checkpoint.extra, "device": device, "gateset": result.gateset,
             "compile_seed": 0, "pipeline": "default", "absorb_ring": checkpoint.absorb_ring,
             "test_index_order": order,
             "note": args.note}
    dataclasses.replace(checkpoint, extra=extra).save(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
