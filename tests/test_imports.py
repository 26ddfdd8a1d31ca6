"""Package health: every module imports on its own in either order, and modules stay small."""

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import qru_compile

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qru_compile"
#: Lines a module of qru_compile may have (one job per module).
MAX_LINES = 400


def _modules() -> list[str]:
    """Every module of qru_compile except ``__main__`` (importing it runs the command line)."""
    found = pkgutil.walk_packages(qru_compile.__path__, prefix="qru_compile.")
    return sorted(info.name for info in found if not info.name.endswith(".__main__"))


def _import_in_fresh_interpreter(modules: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    script = ("import importlib, sys\n"
              "for name in sys.argv[1:]:\n"
              "    importlib.import_module(name)\n"
              f"assert importlib.import_module('qru_compile').__file__.startswith({str(ROOT)!r})\n")
    return subprocess.run([sys.executable, "-c", script, *modules], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_module_list_covers_the_package():
    assert Path(qru_compile.__file__).resolve().is_relative_to(ROOT), \
        f"qru_compile imported from {qru_compile.__file__}; run with PYTHONPATH={ROOT}"
    files = set()
    for path in PACKAGE.rglob("*.py"):
        parts = ("qru_compile", *path.relative_to(PACKAGE).with_suffix("").parts)
        files.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    assert set(_modules()) == files - {"qru_compile", "qru_compile.__main__"}


@pytest.mark.parametrize("order", ["alphabetical", "reverse"])
def test_every_module_imports_without_a_cycle(order):
    modules = _modules()
    if order == "reverse":
        modules.reverse()
    done = _import_in_fresh_interpreter(modules)
    assert done.returncode == 0, done.stderr


def test_modules_stay_small():
    sizes = {path.relative_to(PACKAGE).as_posix(): len(path.read_text().splitlines())
             for path in PACKAGE.rglob("*.py")}
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"
