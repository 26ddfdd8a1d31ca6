"""QasmError: an OpenQASM 3 program that cannot be read, or a circuit that cannot be written."""

from __future__ import annotations

from qru_compile.errors import InputError


class QasmError(InputError):
    """An OpenQASM 3 program that cannot be read (or a circuit that cannot be written).

    Attributes:
        line: 1-based line of the program where the problem is, if known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
