"""Command-line option values, checked while the command line is parsed.

Each ``type=`` function here turns an option's text into its value or raises
``argparse.ArgumentTypeError`` saying what is accepted, so ``--steps 0`` or ``--seed -1`` is
refused before any file is read or any work starts. :class:`Parser` raises such an error (and
every other usage error) as an :class:`~qru_compile.errors.OptionError`, which ``qru`` reports
as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import NoReturn

from qru_compile.errors import InputError, OptionError
from qru_compile.train.mitigation import check_scales

#: Largest seed: numpy's and scikit-learn's seeds are 32-bit.
MAX_SEED = 2**32 - 1


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors raise :class:`OptionError` (``--help`` exits)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.partition(" ")[2]
        raise OptionError(f"{command + ': ' if command else ''}{message} "
                          f"(see `{self.prog} --help`)")


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """The ``type=`` of an integer option in ``minimum..maximum``."""
    bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer {bounds}, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected an integer {bounds}, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in some messages
    return parse


def number(minimum: float, *, strict: bool = False,
           below: float | None = None) -> Callable[[str], float]:
    """The ``type=`` of a finite real option ``>= minimum`` (``> minimum`` if ``strict``),
    and ``< below`` if given."""
    bounds = f"{'>' if strict else '>='} {minimum:g}"
    if below is not None:
        bounds += f" and < {below:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number {bounds}, got {text!r}") from None
        if (not math.isfinite(value) or value < minimum or (strict and value == minimum)
                or (below is not None and value >= below)):
            raise argparse.ArgumentTypeError(f"expected a finite number {bounds}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def integer_list(minimum: int) -> Callable[[str], list[int]]:
    """The ``type=`` of a comma-separated list of distinct integers ``>= minimum``."""
    single = integer(minimum)

    def parse(text: str) -> list[int]:
        values = [single(part.strip()) for part in text.split(",")]
        if len(set(values)) != len(values):
            raise argparse.ArgumentTypeError(f"a number is given twice in {text!r}")
        return values

    parse.__name__ = "integer list"
    return parse


def number_list(text: str) -> list[float]:
    """The ``type=`` of a comma-separated list of finite numbers (``--bind-x 0.3,-1``)."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated numbers, got {part.strip()!r} in {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected finite numbers, got {part.strip()!r}")
        values.append(value)
    return values


def name_list(text: str) -> list[str]:
    """The ``type=`` of a comma-separated list of names (``--columns``, ``--devices``)."""
    names = [name.strip() for name in text.split(",")]
    if not any(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    if not all(names):
        raise argparse.ArgumentTypeError(f"an empty name in {text!r} (a stray comma?)")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"{', '.join(map(repr, repeated))} given twice in "
                                         f"{text!r}")
    return names


#: ``--seed``: numpy and scikit-learn take 32-bit seeds.
seed = integer(0, MAX_SEED)


def odd_scales(text: str) -> tuple[int, ...]:
    """The ``type=`` of ``--zne-scales``: comma-separated odd integers, starting with 1."""
    try:
        scales = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}"
                                         ) from None
    try:
        return check_scales(scales)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
