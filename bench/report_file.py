"""Shared by the benchmark scripts: package versions and writing one section of a Markdown file."""

from __future__ import annotations

import importlib.metadata
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from qru_compile.tables import markdown_table


def package_version(name: str) -> str:
    """The installed version of ``name``, or "not installed"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def replace_section(existing: str, section: str) -> str:
    """``existing`` with the section headed like ``section`` (its first line) replaced.

    A section runs from its "## " heading to the next "## " heading or the end of the file; a
    file without the section gets it appended.
    """
    heading = section.splitlines()[0].rstrip()
    lines = existing.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip() == heading]
    if not starts:
        return existing.rstrip("\n") + "\n\n" + section
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + section + ("\n" + tail if tail else "")


def write_section(path: Path, section: str) -> None:
    """Write ``section`` into ``path``, keeping the file's other sections."""
    existing = path.read_text() if path.exists() else "# Benchmarks\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(existing, section))


def publish_table(path: Path, heading: str, script: str, argv: Sequence[str] | None, doc: str,
                  header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print the Markdown table of ``rows`` and write it as the section ``## heading``: the
    command that ran (``script`` with ``argv``, the command line's if None), what the script
    measures (the first paragraph of ``doc`` after its indented usage block) and the table."""
    table = markdown_table(header, rows)
    print(table)
    paragraphs = doc.split("\n\n")
    usage = next(i for i, p in enumerate(paragraphs) if p.startswith("    "))
    described = paragraphs[usage + 1].replace("\n", " ")
    command = shlex.join(["python", script, *(sys.argv[1:] if argv is None else argv)])
    write_section(path, f"## {heading}\n\nCommand: `{command}`. {described}\n\n{table}\n")
