"""Where independent model fits run: the one rule, and the one runner that applies it.

Walk-forward windows, evaluation folds and sample building are pure tasks (data in,
figures out), so they can run anywhere and in any order; their results are merged in
task order, so a run gives the same figures wherever it ran.

The rule (`runner_for`):
- `STOCKBOT_DASK_SCHEDULER` set → a Dask cluster through joblib's dask backend (the
  shared data scattered to every worker once, then each task sends only its rows);
- otherwise one local process per core through joblib's loky backend (each task is sent
  its own slice of the data, a few MB);
- one core, or a daemonic process (which may not start children) → in this process.

Every task runs single-threaded: LightGBM's own `num_threads=1`, BLAS and OpenMP pools
limited to one thread, TensorFlow's intra/inter-op pools to one. On a busy two-core
machine OpenMP threads spin-wait for each other (issue 17: 9.45 s of CPU for a fit that
takes 0.78 s on one thread); one single-threaded fit per process uses every core without
that waste.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from core.base.settings import Settings, SettingsError

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

Backend = Literal["sequential", "loky", "dask"]

SINGLE_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
"""Read by the libraries when their thread pools start: set in workers before the first
task imports them (TensorFlow is imported lazily, by the LSTM's first fit)."""

CONNECT_SECONDS = 10
"""How long to wait for the Dask scheduler to answer before giving up, in one line."""


class ClusterUnavailable(SettingsError):
    """STOCKBOT_DASK_SCHEDULER names a scheduler that does not answer. The command stops
    with this message: fix or unset the variable (work never silently moves back to
    this machine, where it could take hours instead of minutes)."""


@dataclass(frozen=True)
class Runner:
    """Runs `function(shared, task)` for many tasks; results in task order."""

    scheduler: str | None = None
    """tcp://host:8786: a Dask scheduler; None: this machine."""
    jobs: int | None = None
    """Local worker processes; None: one per core this process may use."""

    @property
    def backend(self) -> Backend:
        if self.scheduler:
            return "dask"
        if self.local_jobs() <= 1 or multiprocessing.current_process().daemon:
            return "sequential"
        return "loky"

    def local_jobs(self) -> int:
        return self.jobs if self.jobs is not None else len(os.sched_getaffinity(0))

    def describe(self) -> str:
        """For people: where the fits run."""
        backend = self.backend
        if backend == "dask":
            return f"on the Dask cluster at {self.scheduler}"
        if backend == "loky":
            return f"in {self.local_jobs()} local processes"
        return "in this process"

    def map(
        self,
        function: Callable[[S, T], R],
        tasks: Iterable[T],
        shared: S,
        *,
        pack: Callable[[S, T], tuple[S, T]] | None = None,
    ) -> TaskStream[R]:
        """Start `function(shared, task)` for every task and return the results in task
        order as they come. Work starts now (local processes and a cluster compute
        ahead of the reader); in this process each task runs when its result is read.

        `pack(shared, task)` cuts what one task needs out of `shared`: local processes
        are sent that instead of all of `shared` for every task. A cluster is sent
        `shared` once (scattered) and each task by itself."""
        backend = self.backend
        if backend == "sequential":
            return TaskStream(_single_threaded(function, shared, task) for task in tasks)
        return _parallel(self, backend, function, tasks, shared, pack)


class TaskStream(Generic[R], Iterator[R]):
    """Results in task order; `close()` stops outstanding work and lets go of the
    cluster connection (also done when the last result has been read)."""

    def __init__(self, results: Iterator[R], resources: contextlib.ExitStack | None = None):
        self._results = results
        self._resources = resources or contextlib.ExitStack()

    def __iter__(self) -> TaskStream[R]:
        return self

    def __next__(self) -> R:
        try:
            return next(self._results)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        close = getattr(self._results, "close", None)
        if close is not None:
            close()
        self._resources.close()


_override: ContextVar[Runner | None] = ContextVar("stockbot_runner", default=None)


def runner_for(settings: Settings | None = None) -> Runner:
    """The runner for this process: one chosen by `using` if any, else the rule above.
    Without settings (library callers: tests, the demo, the controls) it is this
    process, so a library call never starts processes behind its caller's back."""
    chosen = _override.get()
    if chosen is not None:
        return chosen
    if settings is None:
        return Runner(jobs=1)
    return Runner(scheduler=settings.env.stockbot_dask_scheduler)


@contextlib.contextmanager
def using(runner: Runner) -> Iterator[Runner]:
    """Run everything inside (walk-forward folds, windows, controls) through `runner`."""
    token = _override.set(runner)
    try:
        yield runner
    finally:
        _override.reset(token)


def stop_local_workers() -> None:
    """Stop the idle local worker processes now. joblib keeps them five minutes for the
    next call; a child process that used them (the weekly retrain's) would otherwise
    wait that long to exit, as Python joins a process's children before it ends."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


# -- the parallel backends -------------------------------------------------------------


def _single_threaded(function: Callable[[S, T], R], shared: S, task: T) -> R:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return function(shared, task)


def _in_worker(function: Callable[[S, T], R], shared: S, task: T) -> R:
    """A task in a worker process: thread pools that have not started yet (TensorFlow's)
    are told one thread, the ones that have are limited for the task's duration."""
    for name in SINGLE_THREAD_VARIABLES:
        os.environ[name] = "1"
    return _single_threaded(function, shared, task)


def _parallel(
    runner: Runner,
    backend: Backend,
    function: Callable[[S, T], R],
    tasks: Iterable[T],
    shared: S,
    pack: Callable[[S, T], tuple[S, T]] | None,
) -> TaskStream[R]:
    from joblib import Parallel, delayed, parallel_config

    resources = contextlib.ExitStack()
    try:
        if backend == "dask":
            client = resources.enter_context(_connect(runner.scheduler or ""))
            config = parallel_config(backend="dask", client=client, scatter=[shared])
            calls: Iterable[Any] = (delayed(_in_worker)(function, shared, t) for t in tasks)
            n_jobs = -1
        else:
            # loky starts its workers with these thread limits in their environment.
            config = parallel_config(backend="loky", inner_max_num_threads=1)
            packed = (pack(shared, t) if pack else (shared, t) for t in tasks)
            calls = (delayed(_in_worker)(function, s, t) for s, t in packed)
            n_jobs = runner.local_jobs()
        with config:
            results = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
    except BaseException:
        resources.close()
        raise
    return TaskStream(_Started(results), resources)


class _Started(Generic[R], Iterator[R]):
    """joblib sends its first tasks only when the first result is asked for, and keeps
    the workers busy from then on: ask for it in a thread now, so the workers compute
    while the caller does something else (the replay, the final fit)."""

    def __init__(self, results: Iterator[R]) -> None:
        self._results = results
        self._first: list[R] = []
        self._error: list[BaseException] = []
        self._thread: threading.Thread | None = threading.Thread(
            target=self._take_first, name="stockbot-first-result", daemon=True
        )
        self._thread.start()

    def _take_first(self) -> None:
        try:
            self._first.append(next(self._results))
        except BaseException as error:  # handed to the reader, raised there
            self._error.append(error)

    def __iter__(self) -> _Started[R]:
        return self

    def __next__(self) -> R:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            if self._error:
                raise self._error[0]
            return self._first.pop()
        return next(self._results)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        close = getattr(self._results, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def _connect(address: str) -> Iterator[Any]:
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise ClusterUnavailable(
            f"STOCKBOT_DASK_SCHEDULER = {address}: no Dask scheduler answered within "
            f"{CONNECT_SECONDS} s ({error}); start one (docs/operations.md) or unset it"
        ) from error
    try:
        yield client
    finally:
        client.close()
