"""The exception hierarchy of qru_compile.

Every error the library raises on purpose derives from :class:`QRUError`, so callers (and the
command line) can tell a problem with their input from a bug. Messages name what was wrong and
where: the field, the parameter, the file (and line), the option. Any other exception escaping
the library is a bug.

``QRUError`` > ``ModelError`` (model definitions and files), ``InputError`` (arrays, data,
checkpoint and OpenQASM files, output paths; ``OptionError`` for command-line options,
``qru_compile.export.QasmError`` for OpenQASM), ``BackendError``, ``DeviceError``,
``CompileError`` (> ``ContractError``, ``PreconditionError``, ``PostconditionError``).
"""

from __future__ import annotations


class QRUError(Exception):
    """Base class of every error qru_compile raises on purpose."""


class ModelError(QRUError, ValueError):
    """A QRU model definition or model file is malformed or inconsistent."""


class InputError(QRUError, ValueError):
    """Arrays handed to the library have the wrong shape, type or contain NaN/inf."""


class OptionError(InputError):
    """Command-line options that are missing, contradict each other or do not fit the data."""


class BackendError(QRUError, ValueError):
    """An unknown simulator backend was requested or a backend cannot run a circuit."""


class DeviceError(QRUError, ValueError):
    """An unknown device, an unsupported gateset, or a circuit the device rejects."""


class CompileError(QRUError):
    """Compilation failed: the model does not fit the device, or a pass could not finish."""


class ContractError(CompileError):
    """A pipeline whose passes' contracts do not chain (raised when it is built)."""


class PreconditionError(CompileError):
    """A pass received a unit lacking a fact the pass requires (the caller's fault)."""


class PostconditionError(CompileError):
    """A pass broke a promise it declared (a bug in the pass, caught in audit mode)."""
