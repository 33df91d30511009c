"""Long operations started from a page (imports, planning, promotions, reloads): they run
in a worker thread while the page polls their progress, so no page waits on them.

A task belongs to the user who started it (another user's task answers "not found"), reports
steps with a fraction done, and ends with a result (what the page shows) or a French error.
Its state lives in the database (``tremplin/store/page_tasks.py``): a poll answered by another
worker or host sees it, and a task whose worker died (killed, restarted) is shown as
interrupted, with what was kept and a button to start it again, instead of "running" forever.
When the service stops (SIGTERM), running tasks get :attr:`TaskRunner.grace_s` to end; those
still running then are marked interrupted. Ended tasks are kept for an hour.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session, sessionmaker

from tremplin.errors import DomainError, NotFoundError, NotReadyError
from tremplin.store import page_tasks
from tremplin.store.shared_rows import PageTaskRow

Progress = Callable[[str, float], None]
KEEP_S = 3600.0
LOST_S = 86_400.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retry:
    """How to start an interrupted task again: the form to send again (``fields``), or, for
    ``method="get"``, the page where it starts (an upload must be chosen again)."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    method: str = "post"


@dataclass
class Task:
    """One long operation and where it is, as the page shows it."""

    id: str
    owner: int
    label: str
    step: str = "en attente"
    fraction: float = 0.0
    status: str = page_tasks.RUNNING  # running, done, failed, interrupted
    result: Any = None
    error: str | None = None
    redirect: str | None = None
    result_template: str | None = None  # the fragment that shows the result, if any
    kept: str | None = None  # what an interruption left in place
    retry: Retry | None = None
    started: float = 0.0
    finished: float | None = None

    @property
    def running(self) -> bool:
        """Whether the task has not ended yet."""
        return self.status == page_tasks.RUNNING

    @property
    def seconds(self) -> float:
        """How long it ran (or has been running)."""
        return (self.finished or time.time()) - self.started

    @classmethod
    def of(cls, row: PageTaskRow) -> Task:
        """The task a stored row describes."""
        retry = Retry(**row.retry) if row.retry else None
        return cls(
            id=row.id, owner=row.owner, label=row.label, step=row.step, fraction=row.fraction,
            status=row.status, result=row.result, error=row.error, redirect=row.redirect,
            result_template=row.result_template, kept=row.kept, retry=retry,
            started=row.started_at, finished=row.finished_at,
        )  # fmt: skip


class TaskRunner:
    """Runs page tasks in a small thread pool; their state is in the database."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        workers: int = 2,
        heartbeat_s: float = 5.0,
        stale_s: float = 30.0,
        grace_s: float = 40.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.factory = factory
        self.worker = uuid.uuid4().hex
        self.heartbeat_s, self.stale_s, self.grace_s = heartbeat_s, stale_s, grace_s
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page-task")
        self._running: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def start(
        self,
        owner: int,
        label: str,
        work: Callable[[Progress], Any],
        redirect: Callable[[Any], str | None] | None = None,
        result_template: str | None = None,
        kept: str | None = None,
        retry: Retry | None = None,
    ) -> Task:
        """Start ``work(progress)`` for user ``owner``; its return value is the task's result,
        shown by ``result_template``, and ``redirect(result)`` the page to go to when it is
        done (if any). ``kept`` says what stays in place if the task is interrupted, ``retry``
        how to start it again."""
        if self._stop.is_set():
            raise NotReadyError("le service redémarre : relancez dans un instant", "stopping")
        now = self.clock()
        page_tasks.sweep(self.factory, now, KEEP_S, LOST_S)
        row = PageTaskRow(
            id=uuid.uuid4().hex, owner=owner, label=label, step="en attente", fraction=0.0,
            status=page_tasks.RUNNING, result_template=result_template, kept=kept,
            retry=to_jsonable_python(retry) if retry else None, worker=self.worker,
            started_at=now, heartbeat_at=now,
        )  # fmt: skip
        page_tasks.create(self.factory, row)
        self._ensure_heartbeat()
        task_id = row.id

        def progress(step: str, fraction: float) -> None:
            page_tasks.report(self.factory, task_id, step, max(0.0, min(1.0, fraction)))

        def run() -> None:
            try:
                result = work(progress)
                shown = to_jsonable_python(result) if result_template else None
                target = redirect(result) if redirect else None
                page_tasks.finish(self.factory, task_id, self.clock(), page_tasks.DONE,
                                  result=shown, redirect=target)  # fmt: skip
            except DomainError as exc:
                page_tasks.finish(self.factory, task_id, self.clock(), page_tasks.FAILED,
                                  error=exc.fr)  # fmt: skip
            except Exception as exc:  # the page says it failed; the log has the rest
                log.exception("page task failed")
                page_tasks.finish(self.factory, task_id, self.clock(), page_tasks.FAILED,
                                  error=f"échec inattendu ({type(exc).__name__})")  # fmt: skip

        future = self._pool.submit(run)
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._ended)
        return Task.of(row)

    def get(self, task_id: str, owner: int) -> Task:
        """The task ``task_id`` of user ``owner`` (not found for anyone else), whichever worker
        runs it; a task whose worker stopped beating is answered as interrupted."""
        row = page_tasks.read(self.factory, task_id, self.clock(), self.stale_s)
        if row is None or row.owner != owner:
            raise NotFoundError("tâche introuvable", "task not found")
        return Task.of(row)

    def shutdown(self) -> int:
        """Stop taking tasks, give the running ones :attr:`grace_s` to end, mark those still
        running interrupted, and stop the pool; returns how many were interrupted."""
        self._stop.set()
        with self._lock:
            running = set(self._running)
        if running:
            wait(running, timeout=self.grace_s)
        interrupted = page_tasks.interrupt(self.factory, self.worker, self.clock())
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._beat is not None:
            self._beat.join(timeout=self.heartbeat_s + 1)
        return interrupted

    def _ended(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def _ensure_heartbeat(self) -> None:
        with self._lock:
            if self._beat is None:
                self._beat = threading.Thread(
                    target=self._beating, name="page-task-heartbeat", daemon=True
                )
                self._beat.start()

    def _beating(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            with self._lock:
                idle = not self._running
            if idle:
                continue
            try:
                page_tasks.heartbeat(self.factory, self.worker, self.clock())
            except Exception:  # the database is back at the next beat; the log has this one
                log.exception("page task heartbeat failed")
