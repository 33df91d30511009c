"""Long operations started from a page (imports, planning, promotions, reloads): they run
in a worker thread while the page polls their progress, so no page waits on them.

A task belongs to the user who started it (another user's task answers "not found"), reports
steps with a fraction done, and ends with a result (what the page shows) or a French error.
Finished tasks are kept for an hour, at most :attr:`TaskRunner.keep` of them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tremplin.errors import DomainError, NotFoundError

Progress = Callable[[str, float], None]
KEEP_S = 3600.0


@dataclass
class Task:
    """One long operation and where it is."""

    id: str
    owner: int
    label: str
    step: str = "en attente"
    fraction: float = 0.0
    status: str = "running"  # running, done, failed
    result: Any = None
    error: str | None = None
    redirect: str | None = None
    result_template: str | None = None  # the fragment that shows the result, if any
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def report(self, step: str, fraction: float) -> None:
        """Progress: what is being done, and how much of the whole is done (0–1)."""
        self.step, self.fraction = step, max(0.0, min(1.0, fraction))

    @property
    def running(self) -> bool:
        """Whether the task has not ended yet."""
        return self.status == "running"

    @property
    def seconds(self) -> float:
        """How long it ran (or has been running)."""
        return (self.finished or time.monotonic()) - self.started


class TaskRunner:
    """Runs page tasks in a small thread pool and keeps their state for the polling page."""

    def __init__(self, workers: int = 2, keep: int = 200) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page-task")
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._lock = threading.Lock()
        self.keep = keep

    def start(
        self,
        owner: int,
        label: str,
        work: Callable[[Progress], Any],
        redirect: Callable[[Any], str | None] | None = None,
        result_template: str | None = None,
    ) -> Task:
        """Start ``work(progress)`` for user ``owner``; its return value is the task's result,
        shown by ``result_template``, and ``redirect(result)`` the page to go to when it is
        done (if any)."""
        task = Task(id=uuid.uuid4().hex, owner=owner, label=label, result_template=result_template)
        with self._lock:
            self._forget_old()
            self._tasks[task.id] = task

        def run() -> None:
            try:
                task.result = work(task.report)
                task.redirect = redirect(task.result) if redirect else None
                task.report("terminé", 1.0)
                task.status = "done"
            except DomainError as exc:
                task.error, task.status = exc.fr, "failed"
            except Exception as exc:  # the page says it failed; the log has the rest
                task.error, task.status = f"échec inattendu ({type(exc).__name__})", "failed"
            finally:
                task.finished = time.monotonic()

        self._pool.submit(run)
        return task

    def get(self, task_id: str, owner: int) -> Task:
        """The task ``task_id`` of user ``owner`` (not found for anyone else)."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or task.owner != owner:
            raise NotFoundError("tâche introuvable", "task not found")
        return task

    def _forget_old(self) -> None:
        now = time.monotonic()
        for key in [k for k, t in self._tasks.items() if t.finished and now - t.finished > KEEP_S]:
            del self._tasks[key]
        while len(self._tasks) >= self.keep:
            self._tasks.popitem(last=False)

    def shutdown(self) -> None:
        """Stop taking tasks (running ones finish)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
