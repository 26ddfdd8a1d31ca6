"""Where independent tasks run: in this process (the default) or on a Dask cluster.

Training folds, random restarts, chunks of a mini-batch's parameter-shift evaluations and
compile sweeps are all "map a module-level function over a list of picklable jobs". The
:class:`Executor` does exactly that and no more: Dask's distributed scheduler (not a job system
of ours) places the tasks, re-runs those of a worker that dies, and reports errors with the
worker's traceback. Every job carries its own seed, so results do not depend on where or in
which order it ran.

``open_executor(None)`` runs in-process; ``"local:N"`` starts a ``LocalCluster`` of N
single-threaded worker processes on loopback; ``"tcp://HOST:PORT"`` connects to a running
scheduler (its workers need this package installed, at the same version).
"""

from __future__ import annotations

import abc
import dataclasses
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self, TypeVar

from qru_compile.errors import BackendError, InputError

Job = TypeVar("Job")
Result = TypeVar("Result")

#: Worker environment: one thread each for BLAS and numba, so N workers use N cores.
_SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                    "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}


class Executor(abc.ABC):
    """Runs a function over independent jobs; use as a context manager."""

    #: True when jobs run in this process (callbacks such as progress bars can be passed).
    in_process: bool = False
    #: True when jobs see this process's files (so they can save and find training states).
    shared_filesystem: bool = False

    @property
    @abc.abstractmethod
    def workers(self) -> int:
        """How many jobs can run at once."""

    @abc.abstractmethod
    def map(self, function: Callable[[Job], Result], jobs: Sequence[Job], *,
            on_result: Callable[[int, Result], None] | None = None,
            names: Sequence[str] | None = None) -> list[Result]:
        """``[function(job) for job in jobs]``, in the order of ``jobs``.

        Args:
            function: a module-level (picklable) function of one job.
            jobs: picklable jobs.
            on_result: called in this process with (index, result) as each job finishes,
                in completion order: the place to write a checkpoint.
            names: a readable name per job (Dask task keys; must be unique).

        Raises:
            Whatever ``function`` raised for the first failing job.
        """

    def forwarder(self, handler: Callable[..., None]) -> Callable[..., None]:
        """A picklable stand-in for ``handler`` that jobs can call wherever they run.

        Each call reaches ``handler`` in this process with the same arguments, which must be
        plain data (numbers, strings, None, lists, dicts): progress reports from workers.
        """
        return handler

    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """Runs the jobs one after another in this process."""

    in_process = True
    shared_filesystem = True

    @property
    def workers(self) -> int:
        return 1

    def map(self, function: Callable[[Job], Result], jobs: Sequence[Job], *,
            on_result: Callable[[int, Result], None] | None = None,
            names: Sequence[str] | None = None) -> list[Result]:
        results = []
        for index, job in enumerate(jobs):
            results.append(function(job))
            if on_result is not None:
                on_result(index, results[-1])
        return results

    def __repr__(self) -> str:
        return "LocalExecutor()"


class DaskExecutor(Executor):
    """Runs the jobs as tasks of a ``dask.distributed`` client.

    Args:
        client: a connected ``distributed.Client``.
        cluster: a cluster this executor started and closes with itself, if any.
    """

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        # workers of a cluster we started run on this machine; a remote cluster's may not
        self.shared_filesystem = cluster is not None

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info()["workers"]))

    def map(self, function: Callable[[Job], Result], jobs: Sequence[Job], *,
            on_result: Callable[[int, Result], None] | None = None,
            names: Sequence[str] | None = None) -> list[Result]:
        from distributed import as_completed

        if not jobs:
            return []
        keys = None
        if names is not None:  # readable on the dashboard, unique across calls
            token = uuid.uuid4().hex[:8]
            keys = [f"{name}-{token}" for name in names]
        # At most one job per worker is handed to Dask at a time, the next as one finishes:
        # given all at once, Dask queued 3 of 5 folds on one worker and left the other idle
        # (their durations are unknown to it, so it had no reason to move them).
        jobs = list(jobs)
        index: dict[str, int] = {}
        submitted: list[Any] = []
        running = as_completed(with_results=True)

        def submit(i: int) -> None:
            future = self.client.submit(function, jobs[i], key=None if keys is None else keys[i],
                                        pure=False)
            index[future.key] = i
            submitted.append(future)
            running.add(future)

        results: list[Any] = [None] * len(jobs)
        try:
            for i in range(min(self.workers, len(jobs))):
                submit(i)
            for future, result in running:
                results[index[future.key]] = result
                if on_result is not None:
                    on_result(index[future.key], result)
                free = self.workers - running.count()
                while free > 0 and len(submitted) < len(jobs):
                    submit(len(submitted))
                    free -= 1
        finally:
            self.client.cancel(submitted)
        return results

    def forwarder(self, handler: Callable[..., None]) -> Callable[..., None]:
        # Dask's event topics: a worker's log_event reaches the subscribed client's handler
        topic = f"qru-compile-{uuid.uuid4().hex[:8]}"
        self.client.subscribe_topic(topic, lambda event: handler(*event[1]))
        return _ToTopic(topic)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address}, workers={self.workers})"


@dataclasses.dataclass(frozen=True)
class _ToTopic:
    """Sends its arguments from a Dask worker to the clients subscribed to ``topic``."""

    topic: str

    def __call__(self, *args: Any) -> None:
        from distributed import get_worker

        get_worker().log_event(self.topic, list(args))


def open_executor(scheduler: str | None = None, *, connect_timeout: float = 10.0) -> Executor:
    """The executor a ``--scheduler`` value names.

    Args:
        scheduler: ``None`` or ``"local"`` (in-process), ``"local:N"`` (a ``LocalCluster`` of N
            worker processes on loopback) or ``"tcp://HOST:PORT"`` (an existing scheduler).
        connect_timeout: seconds to wait for a remote scheduler.

    Raises:
        InputError: for a value of none of these forms, or an address without a valid port
            (1 to 65535).
        BackendError: when the scheduler cannot be reached (a refused connection or an
            unknown host is reported at once, not after ``connect_timeout``) or the cluster
            cannot start.
    """
    if scheduler is not None and not isinstance(scheduler, str):
        raise InputError(f"scheduler: expected an address (a str) or None, got {scheduler!r}")
    if scheduler is None or scheduler == "local":
        return LocalExecutor()
    if scheduler.startswith("local:"):
        count = scheduler.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise InputError(f"--scheduler {scheduler!r}: expected local:N with N >= 1 workers")
        return _local_cluster(int(count))
    if scheduler.startswith(("tcp://", "tls://")):
        host, port = scheduler_address(scheduler)
        _probe(scheduler, host, port, connect_timeout)
        return _connect(scheduler, connect_timeout)
    raise InputError(f"--scheduler {scheduler!r}: expected 'local', 'local:N' or "
                     "'tcp://HOST:PORT'")


def scheduler_address(scheduler: str) -> tuple[str, int]:
    """The host and port of a ``tcp://HOST:PORT`` (or ``tls://``) scheduler address.

    Raises:
        InputError: for a missing host, a missing port or one outside 1 to 65535.
    """
    rest = scheduler.split("://", 1)[1]
    host, colon, port = rest.rpartition(":")
    host = host.strip("[]")  # an IPv6 address is written [::1]:8786
    if not colon or not host or "/" in rest:
        raise InputError(f"--scheduler {scheduler!r}: expected tcp://HOST:PORT (the port the "
                         "scheduler listens on, 8786 by default)")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InputError(f"--scheduler {scheduler!r}: port {port!r} is not a number from 1 to "
                         "65535")
    return host, int(port)


def _probe(address: str, host: str, port: int, timeout: float) -> None:
    """Fail at once if the host is unknown or refuses the connection (nothing listens)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as error:
        raise BackendError(f"cannot reach the Dask scheduler at {address}: unknown host "
                           f"{host!r} ({error.strerror})") from None
    except ConnectionRefusedError:
        raise BackendError(f"cannot reach the Dask scheduler at {address}: connection refused "
                           "(nothing listens there); is `dask scheduler` running?") from None
    except TimeoutError:
        raise BackendError(f"cannot reach the Dask scheduler at {address}: no answer within "
                           f"{timeout:g} s") from None
    except OSError as error:
        raise BackendError(f"cannot reach the Dask scheduler at {address}: "
                           f"{error.strerror or error}") from None


def _local_cluster(workers: int) -> DaskExecutor:
    from distributed import Client, LocalCluster

    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0",
                               env=_SINGLE_THREADED)
    # Dask raises several kinds: name the cause, no deep traceback
    except Exception as error:  # noqa: BLE001
        raise BackendError(f"could not start a local Dask cluster of {workers} workers: "
                           f"{error}") from None
    return DaskExecutor(Client(cluster), cluster)


def _connect(address: str, timeout: float) -> DaskExecutor:
    from distributed import Client

    try:
        client = Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as error:
        raise BackendError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                           f"({error}); is `dask scheduler` running there?") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        client.close()
        raise BackendError(f"the Dask scheduler at {address} has no workers after "
                           f"{timeout:g} s; start some with `dask worker {address}`") from None
    return DaskExecutor(client)


def chunks(count: int, size: int | None) -> Iterable[slice]:
    """Slices of ``range(count)`` of ``size`` each (one slice for ``None``)."""
    size = count if size is None or size >= count else size
    return (slice(first, min(first + size, count)) for first in range(0, count, size))
