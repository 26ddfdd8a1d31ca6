"""What a simulation or a training run executes: a model's step, logical or compiled.

Entry points that run a QRU take a *target*: a model (its logical step, or with a device name
its step compiled by the default pipeline), a :class:`~qru_compile.compiler.CompileResult`
(compiled with any pipeline, seed or gateset) or a :class:`~qru_compile.program.StepProgram`.
"""

from __future__ import annotations

import functools

from qru_compile.compiler import CompileResult
from qru_compile.compiler import compile as compile_model
from qru_compile.errors import InputError
from qru_compile.lowering import lower
from qru_compile.model import QRUModel
from qru_compile.program import StepProgram

#: Everything :func:`step_program` accepts.
Target = QRUModel | CompileResult | StepProgram


def step_program(target: Target, device: str | None = None) -> StepProgram:
    """The step program of ``target``.

    Args:
        target: a model, a compile result or a step program (returned as it is).
        device: with a model: compile for this device (default pipeline, gateset and seed;
            cached). With a compile result or a program it must be None or name its device.

    Raises:
        InputError: for a ``device`` that contradicts the target, or a target of another type.
    """
    if isinstance(target, QRUModel):
        return _logical(target) if device is None else _compiled(target, device).program
    if isinstance(target, CompileResult):
        target = target.program
    if not isinstance(target, StepProgram):
        raise InputError(f"expected a QRUModel, a CompileResult or a StepProgram, got "
                         f"{type(target).__name__}")
    if device is not None and target.device != device:
        raise InputError(f"device {device!r} contradicts the step's target {target.target!r}; "
                         "give the device or the compiled step, not both")
    return target


def model_of(target: Target) -> QRUModel:
    """The model a target runs."""
    return target if isinstance(target, QRUModel) else step_program(target).model


@functools.lru_cache(maxsize=64)
def _logical(model: QRUModel) -> StepProgram:
    return StepProgram.logical(lower(model))


@functools.lru_cache(maxsize=16)
def _compiled(model: QRUModel, device: str) -> CompileResult:
    return compile_model(model, device)
