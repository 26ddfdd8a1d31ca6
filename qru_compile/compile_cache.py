"""An on-disk cache of compile results, so that compiling the same model again is instant.

A result is stored under a key made of everything that decides it: the model, the device and
gateset names, the seed and the options of :func:`qru_compile.compile`, the versions of
qru_compile, Cirq, cirq_google and networkx, and a digest of the package's own source (so an
edited checkout never reads a result compiled by other code). Only compiles with the default
pipeline and a named device are cached; devices are stored by name and looked up again on
load.

Where: ``$QRU_CACHE_DIR``, else ``$XDG_CACHE_HOME/qru_compile``, else ``~/.cache/qru_compile``.
``QRU_COMPILE_CACHE=off`` turns the cache off. The files are Python pickles: the cache trusts
its own directory, as any pickle cache does. An unreadable or corrupt entry is compiled again
and replaced; a directory that cannot be written is skipped (the cache only saves time).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import cirq
import cirq_google
import networkx

from qru_compile.devices import Device, get_device
from qru_compile.errors import DeviceError
from qru_compile.version import __version__

if TYPE_CHECKING:
    from qru_compile.compiler import CompileResult
    from qru_compile.model import QRUModel

#: Entries kept; the oldest go first once there are more.
MAX_ENTRIES = 512
_FORMAT = 1


def enabled() -> bool:
    """Whether compiles use the cache by default (``QRU_COMPILE_CACHE`` is not ``off``)."""
    return os.environ.get("QRU_COMPILE_CACHE", "on").strip().lower() not in ("off", "0", "no")


def cache_directory() -> Path:
    """Where entries live (see the module docstring)."""
    if os.environ.get("QRU_CACHE_DIR"):
        return Path(os.environ["QRU_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "qru_compile"


@functools.cache
def _source_digest() -> str:
    """A digest of the package's Python source (computed once per process)."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(model: QRUModel, device: str, gateset: str, **options: Any) -> str:
    """The key of a compile: model, device, gateset, options and the code that compiles."""
    described = {
        "format": _FORMAT, "model": model.to_dict(), "device": device, "gateset": gateset,
        "options": options, "qru_compile": __version__, "source": _source_digest(),
        "cirq": cirq.__version__, "cirq_google": cirq_google.__version__,
        "networkx": networkx.__version__,
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


class _Pickler(pickle.Pickler):
    """Devices by name; mapping proxies as the dicts they wrap."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = {MappingProxyType: lambda m: (_mapping_proxy, (dict(m),))}

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Device) and registered(obj):
            return ("device", obj.name)
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        kind, name = pid
        if kind != "device":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        return get_device(name)


def registered(device: Device) -> bool:
    """Whether ``device`` is the one :func:`get_device` gives for its name (only those are
    cached: they are stored by name)."""
    try:
        return get_device(device.name) is device
    except DeviceError:
        return False


def load(key: str) -> CompileResult | None:
    """The stored result of ``key``, or None (missing, unreadable or from another format)."""
    path = cache_directory() / f"{key}.pickle"
    try:
        result = _Unpickler(io.BytesIO(path.read_bytes())).load()
    except Exception:  # noqa: BLE001 -- missing, corrupt or foreign: a miss, compiled again
        return None
    from qru_compile.compiler import CompileResult  # here: the compiler imports this module

    return result if isinstance(result, CompileResult) else None


def store(key: str, result: CompileResult) -> None:
    """Keep ``result`` under ``key`` (atomically; nothing happens if the directory cannot be
    written)."""
    directory = cache_directory()
    buffer = io.BytesIO()
    try:
        _Pickler(buffer).dump(result)
    except (pickle.PicklingError, TypeError, AttributeError):  # a result holding a foreign
        return  # object (a custom gate, say) is simply not cached
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as f:
            f.write(buffer.getvalue())
        try:
            os.replace(f.name, directory / f"{key}.pickle")
        finally:
            Path(f.name).unlink(missing_ok=True)  # gone after a replace; a leftover otherwise
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in entries[: max(0, len(entries) - MAX_ENTRIES)]:
        old.unlink(missing_ok=True)


def clear() -> int:
    """Delete every entry; returns how many there were."""
    entries = list(cache_directory().glob("*.pickle"))
    for path in entries:
        path.unlink(missing_ok=True)
    return len(entries)
