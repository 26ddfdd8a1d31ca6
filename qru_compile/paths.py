"""Checks on the paths output is written to, made before any work starts.

A bad path (an output directory that is a file, a file under a file, a file name that reaches
outside its directory) raises :class:`~qru_compile.errors.InputError` naming the path, instead
of failing half-way or writing somewhere the user did not ask for.
"""

from __future__ import annotations

from pathlib import Path

from qru_compile.errors import InputError


def output_directory(path: str | Path, what: str = "output") -> Path:
    """``path`` as a directory output can be written into (it need not exist yet).

    Args:
        path: the directory.
        what: how the message names it (an option such as ``--output``).

    Raises:
        InputError: if ``path`` is an existing file or lies under one.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path}: is a file, not a directory")
    _check_ancestors(path, what)
    return path


def output_file(path: str | Path, what: str = "output") -> Path:
    """``path`` as a file output can be written to (it may exist and is then replaced).

    Raises:
        InputError: if ``path`` is an existing directory or lies under a file.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path}: is a directory, not a file")
    _check_ancestors(path, what)
    return path


def plain_file_name(name: str, what: str) -> str:
    """``name`` if it names a file inside a directory: no separator, not ``.`` or ``..``.

    Args:
        name: the file name (or the stem a file name is made from).
        what: where the name comes from, for the message.

    Raises:
        InputError: for a name with a path separator or NUL, an empty name, ``.`` or ``..``.
    """
    if name in ("", ".", "..") or any(c in name for c in "/\\\0"):
        raise InputError(f"{what} {name!r} is not a plain file name (output files are named "
                         "after it): it must not be empty, '.' or '..', nor contain '/', '\\' "
                         "or NUL")
    return name


def _check_ancestors(path: Path, what: str) -> None:
    """Raise if the nearest existing ancestor of ``path`` is not a directory."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{what} {path}: cannot be created, {parent} is a file")
            return
