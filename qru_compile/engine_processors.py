"""Processors of cirq_google's Engine API from an engine specification ``KIND:PROCESSOR``.

Engine specifications:

* ``qvm:PROCESSOR``: cirq_google's noisy quantum virtual machine,
  ``create_default_noisy_quantum_virtual_machine(PROCESSOR, simulator_class=QSimSimulator)``
  (median calibration noise of the processor, readout error included).
* ``qvm-noiseless:PROCESSOR``: the same processor without noise: a
  ``SimulatedLocalProcessor`` with the processor's device, its device specification and the
  Engine's circuit and program validators, sampled by a seeded qsim simulator.
* ``google:PROCESSOR`` or ``google:PROCESSOR:CONFIG``:
  ``cirq_google.get_engine(project).get_processor(PROCESSOR)`` on Google Quantum Engine, jobs
  run with ``device_config_name=CONFIG`` (empty by default); the project comes from
  ``GOOGLE_CLOUD_PROJECT``, credentials from Google's application-default credentials.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from qru_compile.errors import BackendError

#: Engine kinds of an engine specification ``KIND:PROCESSOR``.
ENGINE_KINDS: tuple[str, ...] = ("qvm", "qvm-noiseless", "google")
#: Seconds the ``google:`` hand-off may take to reach the processor before it is given up.
GOOGLE_TIMEOUT_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class EngineSpec:
    """A parsed engine specification ``KIND:PROCESSOR`` (``google:PROCESSOR:CONFIG``).

    Attributes:
        kind: one of :data:`ENGINE_KINDS`.
        processor: the processor name (a virtual processor for ``qvm`` kinds).
        config: the device configuration jobs run with (``device_config_name``); only
            ``google`` takes one.
    """

    kind: str
    processor: str
    config: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.processor}" + (f":{self.config}" if self.config else "")

    @classmethod
    def parse(cls, spec: str) -> EngineSpec:
        """Parse ``qvm:PROCESSOR``, ``qvm-noiseless:PROCESSOR`` or ``google:PROCESSOR[:CONFIG]``.

        Raises:
            BackendError: for a malformed specification or an unknown kind.
        """
        kind, sep, rest = str(spec).partition(":")
        processor, _, config = rest.partition(":")
        if not sep or not processor or kind not in ENGINE_KINDS or \
                (config and kind != "google") or ":" in config:
            raise BackendError(
                f"unknown engine {spec!r}; expected KIND:PROCESSOR with KIND one of "
                f"{', '.join(ENGINE_KINDS)} (e.g. qvm:willow_pink; google:PROCESSOR:CONFIG "
                "selects a device configuration)"
            )
        return cls(kind, processor, config)


def _virtual_processor_name(spec: EngineSpec) -> str:
    from cirq_google.engine import virtual_engine_factory

    known = virtual_engine_factory.list_virtual_processors()
    name = {p.lower(): p for p in known}.get(spec.processor.lower())
    if name is None:
        raise BackendError(f"engine {spec}: no virtual processor {spec.processor!r}; "
                           f"virtual processors: {', '.join(known)}")
    return name


def _noiseless_processor(name: str, seed: int | None) -> Any:
    import qsimcirq
    from cirq_google.engine import SimulatedLocalEngine, engine_validator, virtual_engine_factory
    from cirq_google.engine.simulated_local_processor import SimulatedLocalProcessor

    # What create_noiseless_virtual_engine_from_templates builds, but with a seeded sampler:
    # the factory's processors share one unseeded cirq.Simulator (a default argument).
    processor = SimulatedLocalProcessor(
        processor_id=name,
        sampler=qsimcirq.QSimSimulator(seed=seed),
        device=virtual_engine_factory.create_device_from_processor_id(name),
        validator=engine_validator.create_engine_validator(),
        program_validator=engine_validator.create_program_validator(),
        device_specification=virtual_engine_factory.create_device_spec_from_processor_id(name),
    )
    return SimulatedLocalEngine([processor]).get_processor(name)


def _noisy_processor(name: str, seed: int | None) -> Any:
    import qsimcirq
    from cirq_google.engine import create_default_noisy_quantum_virtual_machine

    engine = create_default_noisy_quantum_virtual_machine(
        name, simulator_class=qsimcirq.QSimSimulator, seed=seed)
    return engine.get_processor(name)


def _google_processor(spec: EngineSpec, timeout: float) -> Any:
    """The Quantum Engine hand-off, bounded by ``timeout`` seconds; every failure is one line."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT", "").strip()
    if not project:  # checked first, so a missing project never probes for credentials
        raise BackendError(
            f"engine {spec}: Google Quantum Engine needs a Google Cloud project with access "
            "to the processor: set GOOGLE_CLOUD_PROJECT and application-default credentials "
            "(gcloud auth application-default login); use qvm:PROCESSOR to simulate"
        )
    outcome: dict[str, Any] = {}

    def reach() -> None:
        try:
            import cirq_google

            processor = cirq_google.get_engine(project).get_processor(spec.processor)
            processor.get_device()  # the first call that needs the network and credentials
            outcome["processor"] = processor
        except BaseException as exc:  # noqa: BLE001 - any failure of the hand-off is reported
            outcome["error"] = exc

    worker = threading.Thread(target=reach, name=f"qru-engine-{spec.processor}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise BackendError(f"engine {spec}: Quantum Engine did not answer within {timeout:g} s "
                           f"(project {project!r}); no network access?")
    if "error" in outcome:
        exc = outcome["error"]
        message = (str(exc).strip().splitlines() or [""])[0][:300]
        raise BackendError(f"engine {spec}: cannot reach processor {spec.processor!r} of "
                           f"project {project!r}: {type(exc).__name__}"
                           + (f": {message}" if message else ""))
    return outcome["processor"]


def open_processor(spec: str | EngineSpec, *, seed: int | None = None,
                   timeout: float = GOOGLE_TIMEOUT_SECONDS) -> Any:
    """The engine processor an engine specification names.

    Args:
        spec: ``qvm:PROCESSOR``, ``qvm-noiseless:PROCESSOR`` or ``google:PROCESSOR``.
        seed: seed of the virtual machine's simulator (ignored by ``google``).
        timeout: seconds the ``google`` hand-off may take to reach the processor.

    Returns:
        A ``cirq_google.engine.AbstractProcessor`` (a ``SimulatedLocalProcessor`` or an
        ``EngineProcessor``).

    Raises:
        BackendError: for an unknown specification or processor, or a failed hand-off.
    """
    spec = spec if isinstance(spec, EngineSpec) else EngineSpec.parse(spec)
    if spec.kind == "google":
        return _google_processor(spec, timeout)
    name = _virtual_processor_name(spec)
    return _noisy_processor(name, seed) if spec.kind == "qvm" else _noiseless_processor(name, seed)
