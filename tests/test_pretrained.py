"""The shipped checkpoints: loadable by name, their test folds recomputable, their scores
reproducible."""

import dataclasses
import json

import numpy as np
import pytest

import qru_compile as qc
from qru_compile import pretrained
from qru_compile.cli import main
from qru_compile.train.cross_validation import fold_jobs
from qru_compile.train.loop import evaluate
from qru_compile.train.tasks import get_task

NAMES = ("digits-ideal", "digits-willow_pink", "wdbc-ideal", "wdbc-willow_pink")


def test_the_four_checkpoints_are_shipped():
    assert pretrained.names() == NAMES
    with pytest.raises(qc.InputError, match="no pretrained checkpoint 'wdbc-rainbow'; shipped: "
                                            "digits-ideal, digits-willow_pink"):
        pretrained.load("wdbc-rainbow")


@pytest.mark.parametrize("name", NAMES)
def test_test_indices_are_the_folds_and_the_score_is_reproduced(name):
    """The recorded test rows are the fold's test rows of the task's stratified split (so they
    were never trained on), and the ideal accuracy on them is the one recorded in training."""
    checkpoint = pretrained.load(name)
    task = get_task(checkpoint.task)
    data = task.data_for(checkpoint.model)  # the noise-aware WDBC model reads two a step
    fold = checkpoint.extra["fold"]
    seed = checkpoint.config.seed - fold  # fold k trains with seed + k
    jobs = fold_jobs(checkpoint.model, data, dataclasses.replace(checkpoint.config, seed=seed),
                     folds=5, val_fraction=0.0)
    assert list(jobs[fold].test_index) == checkpoint.extra["test_index"]
    test = data.subset(np.array(checkpoint.extra["test_index"]))
    assert evaluate(checkpoint.model, checkpoint.params, test)["accuracy"] == pytest.approx(
        checkpoint.metrics["accuracy"], abs=1e-12)
    assert checkpoint.extra["device"] == "willow_pink"
    assert checkpoint.extra["gateset"] == qc.compile(checkpoint.model, "willow_pink").gateset
    assert checkpoint.config.noise == name.endswith("willow_pink")
    assert checkpoint.model.readout.scale == name.endswith("ideal")  # noise-aware: no scale


def test_evaluate_by_name(capsys):
    assert main(["evaluate", "wdbc-willow_pink", "--samples", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["device"] == "willow_pink" and report["samples"] == 3


def test_a_checkpoint_runs_the_step_it_was_trained_on():
    """The shipped checkpoints record the ring kept; checkpoints that record nothing ran the
    ring-kept step (they predate the ``auto`` default) and keep running it; a recorded choice
    is compiled as recorded."""
    shipped = pretrained.load("digits-willow_pink")
    assert shipped.extra["absorb_ring"] == 0
    extra = {k: v for k, v in shipped.extra.items() if k != "absorb_ring"}
    checkpoint = dataclasses.replace(shipped, extra=extra)
    assert checkpoint.absorb_ring == 0
    assert checkpoint.compiled_step("willow_pink").absorbed == ()
    assert qc.compile(checkpoint.model, "willow_pink").absorbed != ()  # the default absorbs one
    recorded = dataclasses.replace(checkpoint, extra={**checkpoint.extra, "absorb_ring": "all"})
    assert len(recorded.compiled_step("willow_pink").absorbed) == 8
