"""Reading the files users hand to the library: model, parameter, input and checkpoint files.

Every text file goes through :func:`read_text` and every JSON file through :func:`read_json`,
so an unreadable, binary, non-UTF-8 or malformed file raises the caller's error class (a
:class:`~qru_compile.errors.QRUError`) with a message naming the file, instead of whatever
Python's decoders raise. A UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from qru_compile.errors import InputError, QRUError


def read_text(path: str | Path, what: str = "file",
              error: type[QRUError] = InputError) -> str:
    """The contents of a UTF-8 text file (without a byte-order mark).

    Args:
        path: the file.
        what: what the file is, for messages ("model file").
        error: the error class raised.

    Raises:
        error: if the file cannot be read, holds NUL bytes or is not UTF-8.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if b"\0" in data:
        raise error(f"{path}: not a text file (a {what} is UTF-8 text; this one holds NUL "
                    "bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}: 0x{data[exc.start]:02x}); "
                    f"a {what} must be UTF-8") from None


def read_json(path: str | Path, what: str = "file", error: type[QRUError] = InputError) -> Any:
    """The JSON value in a file (see :func:`parse_json`)."""
    return parse_json(read_text(path, what, error), f"{path}", error)


def parse_json(text: str, where: str, error: type[QRUError] = InputError) -> Any:
    """Parse JSON text, refusing duplicate keys and nesting too deep for Python's parser.

    Args:
        text: the JSON text.
        where: the file name (or other origin) the messages start with.
        error: the error class raised.

    Raises:
        error: for invalid JSON, a duplicated key or too deep a nesting.
    """
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                    f"{exc.msg})") from None
    except RecursionError:
        raise error(f"{where}: JSON arrays or objects nested too deeply to parse (about "
                    f"{sys.getrecursionlimit()} levels or more)") from None
    except _DuplicateKey as exc:
        raise error(f"{where}: key {exc.args[0]!r} appears twice in one object") from None


class _DuplicateKey(Exception):
    """A JSON object with a key twice (raised inside ``json.loads``)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result
