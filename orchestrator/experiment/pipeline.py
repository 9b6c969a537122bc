"""An experiment's scenarios, each in a process and a network namespace of
its own, measured one at a time. The next is brought up while the one
before collects and tears down, and measures once it has ended. Where the
spec sets prepare_ahead (measurements of seconds), the next is brought up,
its services started and warmed up while the one before measures, and it
measures as soon as that one has drained. Whatever is not measuring runs
at the lowest CPU priority (emulation/priority.py), so the measuring
scenario gets the cores first.

The parent process owns the console: each scenario's lines are passed up
and printed whole and in the scenarios' order, and the measuring one's
progress is shown."""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from orchestrator.emulation import apart, priority
from orchestrator.errors import AppLabError
from orchestrator.experiment.scenario import Turn
from orchestrator.experiment.spec import ResolvedSpec

# A preparation beside a measuring scenario, at the lowest priority, can
# take longer than the same alone: it is started this much earlier than the
# longest one seen so far would need, and this many seconds more.
PREPARE_MARGIN = 1.5
PREPARE_SPARE_S = 2.0
# A worker that has sent its result has torn down already.
WORKER_EXIT_S = 60.0
GO, ABORT = "go", "abort"
PR_SET_PDEATHSIG = 1


class ScenarioProcessError(AppLabError):
    """A scenario's process failed in a way that could not be passed on
    whole, or ended without a result."""


class Aborted(AppLabError):
    """A prepared scenario was told not to measure: another one failed."""


@dataclass
class Job:
    """What one worker process runs: ``body(console, turn, namespace)``,
    whose return value is its result, in the namespace ``needs`` allows."""
    name: str
    needs: ResolvedSpec
    body: Callable[[Console, Turn, str], object]
    title: str = ""               # the rule its lines begin with
    duration_s: float = 0.0       # how long it measures once its turn comes
    holds: bool = False           # it keeps its network up until Ctrl-C
    # It prepares at the lowest priority, beside another's measurement, and
    # measures in its turn; a job that does neither (the calibration, a
    # measurement alone) keeps the normal priority throughout.
    takes_turns: bool = True
    # Its measurement allows the next job's preparation beside it, and the
    # teardown of the one before (the spec's prepare_ahead).
    prepare_ahead: bool = False
    # What it readies in the machine's namespace before it leaves it, held
    # open by the stack until it ends: its container hosts' engine and images.
    in_machine_namespace: Callable[[ExitStack, Console], None] | None = None


def namespace_needs(job: Job) -> dict:
    spec = job.needs
    return {"switch": spec.switch, "controlled": bool(spec.controller),
            "machines": bool(spec.machines),
            "containers": bool(spec.containers) and job.in_machine_namespace is None}


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives a trip between processes, else its words."""
    try:
        return pickle.loads(pickle.dumps(exc))
    except Exception:
        return ScenarioProcessError(f"{type(exc).__name__}: {exc}")


def tell(conn: Connection, message: tuple) -> None:
    """Send to the parent; a parent that has gone is not waited for: the
    worker still tears down."""
    with suppress(OSError):
        conn.send(message)


class _ToParent:
    """A console's file: what is printed goes to the parent, whole."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def write(self, text: str) -> int:
        tell(self.conn, ("say", text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class ParentTurn(Turn):
    """A worker's turn, given by the parent."""

    def __init__(self, conn: Connection, namespace: str):
        self.conn, self.namespace = conn, namespace

    def begin(self, run) -> None:
        tell(self.conn, ("ready",))
        try:
            told = self.conn.recv()
        except (EOFError, OSError):
            told = ABORT
        if told != GO:
            raise Aborted(f"scenario {run.spec.scenario} was prepared, but not run: "
                          "another scenario failed")
        priority.raise_processes(priority.processes_of(
            [host.pid for host in run.net.hosts], own_namespace=self.namespace == apart.OWN))
        tell(self.conn, ("measuring",))

    def end(self) -> None:
        priority.lower_this_thread()
        tell(self.conn, ("drained",))

    @contextmanager
    def progress(self, spec):
        yield lambda elapsed, status: tell(self.conn, ("progress", elapsed, status))


def _die_with(parent: int) -> None:
    """A run killed outright is killed whole, its workers with it (`applab
    clean` then removes what they left), as a run in one process was."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)     # it died before the line above


def _worker_main(conn: Connection, job: Job, console_options: dict, parent: int) -> None:
    """The worker process: its namespace, then the job; its result or its
    error goes to the parent."""
    _die_with(parent)
    apart.process_may_move = True       # this process is the scenario's own
    # A Ctrl-C at the terminal reaches the parent alone, which passes it on
    # to each worker once (a second could cut into its teardown).
    os.setpgid(0, 0)
    if job.takes_turns:
        priority.lower_this_thread()
    console = Console(file=_ToParent(conn), **console_options)
    if job.title:
        console.rule(job.title)
    try:
        with ExitStack() as stack:
            if job.in_machine_namespace is not None:
                job.in_machine_namespace(stack, console)
            where = stack.enter_context(
                apart.kept_apart(**namespace_needs(job), say=console.print))
            value = job.body(console, ParentTurn(conn, where), where)
        tell(conn, ("done", value))
    except BaseException as exc:       # KeyboardInterrupt too: the parent waits for it
        tell(conn, ("failed", portable(exc)))


@dataclass
class Worker:
    index: int
    job: Job
    process: multiprocessing.Process | None = None
    conn: Connection | None = None
    started_at: float | None = None
    prepared_s: float | None = None
    ready: bool = False
    measuring: bool = False
    drained: bool = False
    finished: bool = False
    said: list[str] = field(default_factory=list)   # kept until its turn to print

    def start(self, console_options: dict) -> None:
        parent_end, child_end = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=_worker_main, args=(child_end, self.job, console_options, os.getpid()),
            name=f"applab scenario {self.job.name}")
        self.process.start()
        child_end.close()
        self.conn, self.started_at = parent_end, time.monotonic()

    @property
    def live(self) -> bool:
        return self.process is not None and not self.finished

    def send(self, message: str) -> None:
        with suppress(OSError):     # it has ended already: its EOF is read next
            self.conn.send(message)

    def interrupt(self, *_) -> None:
        """As Ctrl-C would: it tears down (or ends its hold) and reports."""
        with suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGINT)


class Pipeline:
    """Runs jobs in their order, each in a worker process; ``on_result(name,
    value)`` is called in the parent as each one ends, in order."""

    def __init__(self, console: Console, overlap: bool = True,
                 announce: Callable[[str], None] | None = None):
        self.console, self.overlap, self.announce = console, overlap, announce
        self.console_options = {"width": console.width, "force_terminal": console.is_terminal,
                                "color_system": console.color_system}
        self.workers: list[Worker] = []
        self.printing = 0             # the worker whose lines are printed as they come
        self.next_start_at: float | None = None
        self.failure: BaseException | None = None
        self.bar: Progress | None = None
        self.bar_task = None

    def run(self, jobs: list[Job], on_result: Callable[[str, object], None]) -> None:
        self.workers = [Worker(i, job) for i, job in enumerate(jobs)]
        self.on_result = on_result
        interrupt = signal.getsignal(signal.SIGINT)
        columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[status]}")]
        with Progress(*columns, console=self.console, transient=True,
                      auto_refresh=False) as self.bar:
            try:
                if self.workers:
                    self._start(self.workers[0])
                    self._flush(self.workers[0])
                while not all(w.finished for w in self.workers):
                    self._step()
            except BaseException as exc:
                self.failure = self.failure or exc
                self._wind_down()
            finally:
                signal.signal(signal.SIGINT, interrupt)
                for worker in self.workers:
                    if worker.process is not None:
                        worker.process.join(WORKER_EXIT_S)
        if self.failure is not None:
            raise self.failure

    # -- scheduling --------------------------------------------------------

    def _start(self, worker: Worker) -> None:
        worker.start(self.console_options)
        self.next_start_at = None

    def _following(self, worker: Worker) -> Worker | None:
        return self.workers[worker.index + 1] if worker.index + 1 < len(self.workers) else None

    def _lead_s(self) -> float:
        prepared = [w.prepared_s for w in self.workers if w.prepared_s is not None]
        return PREPARE_MARGIN * max(prepared, default=0.0) + PREPARE_SPARE_S

    def _step(self) -> None:
        timeout = None if self.next_start_at is None else \
            max(0.0, self.next_start_at - time.monotonic())
        for conn in wait([w.conn for w in self.workers if w.live], timeout):
            worker = next(w for w in self.workers if w.conn is conn)
            if worker.finished:
                continue            # ended while an earlier message was handled
            try:
                message = conn.recv()
            except (EOFError, OSError):
                self._ended_without_result(worker)
                continue
            self._handle(worker, message)
        if self.next_start_at is not None and time.monotonic() >= self.next_start_at:
            self._start(next(w for w in self.workers if w.process is None))
        self._pass_turn()

    def _pass_turn(self) -> None:
        """The first worker not yet drained measures once it is ready, and,
        unless it prepares ahead, once those before it have torn down."""
        turn = next((w for w in self.workers if not w.drained and not w.finished), None)
        if turn is None or not turn.ready or turn.measuring or self.failure is not None:
            return
        if not (self.overlap and turn.job.prepare_ahead) and \
                not all(w.finished for w in self.workers[:turn.index]):
            return
        turn.measuring = True
        turn.send(GO)

    def _handle(self, worker: Worker, message: tuple) -> None:
        kind, *rest = message
        if kind == "say":
            self._say(worker, rest[0])
        elif kind == "progress":
            self.bar.update(self.bar_task, completed=min(rest[0], worker.job.duration_s),
                            status=rest[1])
            self.bar.refresh()
        elif kind == "ready":
            worker.ready = True
            worker.prepared_s = time.monotonic() - worker.started_at
        elif kind == "measuring":
            self.bar_task = self.bar.add_task(f"scenario {worker.job.name}: workload",
                                              total=worker.job.duration_s, status="")
            following = self._following(worker)
            if self.overlap and worker.job.prepare_ahead and following is not None \
                    and following.process is None:
                self.next_start_at = time.monotonic() + max(
                    0.0, worker.job.duration_s - self._lead_s())
        elif kind == "drained":
            self._drained(worker)
        elif kind == "done":
            self._finish(worker)
            self.on_result(worker.job.name, rest[0])
            self._advance(worker)
        elif kind == "failed":
            self.failure = self.failure or rest[0]
            self._finish(worker)
            self._wind_down()

    def _drained(self, worker: Worker) -> None:
        worker.drained = True
        if worker.job.holds and not worker.finished:
            # Ctrl-C now ends its hold; it then reports, and the run goes on.
            signal.signal(signal.SIGINT, worker.interrupt)
        if self.bar_task is not None:
            self.bar.remove_task(self.bar_task)
            self.bar.refresh()
            self.bar_task = None
        following = self._following(worker)
        if self.overlap and following is not None and following.process is None:
            self._start(following)       # it ended sooner than its duration

    def _finish(self, worker: Worker) -> None:
        if worker.measuring and not worker.drained:
            self._drained(worker)
        worker.drained = worker.finished = True

    def _advance(self, worker: Worker) -> None:
        """After ``worker`` ended: the next one starts if it has not, and the
        next one's lines are printed."""
        following = self._following(worker)
        if following is not None and following.process is None and self.failure is None:
            self._start(following)
        while self.printing < len(self.workers) and self.workers[self.printing].finished:
            self.printing += 1
            if self.printing < len(self.workers):
                self._flush(self.workers[self.printing])

    def _ended_without_result(self, worker: Worker) -> None:
        worker.process.join(WORKER_EXIT_S)
        self.failure = self.failure or ScenarioProcessError(
            f"the process of {worker.job.name} ended without a result "
            f"(exit code {worker.process.exitcode})")
        self._finish(worker)
        self._wind_down()

    def _wind_down(self) -> None:
        """After a failure: the prepared ones are told not to measure, the
        measuring one is interrupted; each tears down and reports. Those
        not started never will be."""
        self.next_start_at = None
        interrupted = isinstance(self.failure, KeyboardInterrupt)
        for worker in self.workers:
            if worker.process is None:
                worker.finished = True
            if not worker.live:
                continue
            if interrupted or (worker.measuring and not worker.drained):
                worker.interrupt()
            else:
                worker.send(ABORT)
        while any(w.live for w in self.workers):
            for conn in wait([w.conn for w in self.workers if w.live]):
                worker = next(w for w in self.workers if w.conn is conn)
                try:
                    kind, *rest = conn.recv()
                except (EOFError, OSError):
                    worker.finished = True
                    continue
                if kind == "say":
                    self._say(worker, rest[0])
                elif kind in ("done", "failed"):
                    worker.finished = True
        for worker in self.workers[self.printing:]:
            self._flush(worker)
        self.printing = len(self.workers)

    # -- the console -------------------------------------------------------

    def _say(self, worker: Worker, text: str) -> None:
        if worker.index == self.printing:
            self.console.print(Text.from_ansi(text.removesuffix("\n")), soft_wrap=True)
        else:
            worker.said.append(text)

    def _flush(self, worker: Worker) -> None:
        if self.announce and worker.process is not None:
            self.announce(worker.job.name)
        for text in worker.said:
            self.console.print(Text.from_ansi(text.removesuffix("\n")), soft_wrap=True)
        worker.said.clear()
