"""Page tasks kept in the database (SQLite and PostgreSQL): any worker answers their poll, a
task whose worker died is interrupted (not "running" forever), a stopping service lets tasks
end or marks them interrupted, and the page offers to start an interrupted task again."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tremplin.errors import NotFoundError, NotReadyError, UnreadableFileError
from web.tasks import Progress, Retry, TaskRunner


class Later:
    """A clock ``offset`` seconds ahead of the real one (another worker, later)."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


def wait_until_ended(runner: TaskRunner, task_id: str, owner: int) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task = runner.get(task_id, owner)
        if not task.running:
            return task.status
        time.sleep(0.02)
    raise AssertionError("the task did not end")


def test_a_task_run_by_one_worker_is_seen_by_another(factory: sessionmaker[Session]) -> None:
    a, b = TaskRunner(factory), TaskRunner(factory)
    release = threading.Event()

    def work(progress: Progress) -> dict[str, object]:
        progress("lecture", 0.4)
        release.wait(10)
        return {"file": "offres.csv", "stored": True}

    task = a.start(7, "Import de offres.csv", work, result_template="maison/_import_report.html")
    deadline = time.monotonic() + 10
    while b.get(task.id, 7).step != "lecture" and time.monotonic() < deadline:
        time.sleep(0.02)
    seen = b.get(task.id, 7)
    assert (seen.running, seen.step, seen.fraction) == (True, "lecture", 0.4)
    with pytest.raises(NotFoundError):  # another user never sees it
        b.get(task.id, 8)
    release.set()
    assert wait_until_ended(b, task.id, 7) == "done"
    assert b.get(task.id, 7).result == {"file": "offres.csv", "stored": True}
    for runner in (a, b):
        runner.shutdown()


def test_errors_end_the_task_with_a_french_message(sqlite_factory: sessionmaker[Session]) -> None:
    runner = TaskRunner(sqlite_factory)

    def refused(progress: Progress) -> None:
        raise UnreadableFileError("la ligne 3 n'a pas de titre : ajoutez-le")

    def broken(progress: Progress) -> None:
        raise KeyError("x")

    first, second = runner.start(1, "Import", refused), runner.start(1, "Import", broken)
    assert wait_until_ended(runner, first.id, 1) == "failed"
    assert runner.get(first.id, 1).error == "la ligne 3 n'a pas de titre : ajoutez-le"
    assert wait_until_ended(runner, second.id, 1) == "failed"
    assert runner.get(second.id, 1).error == "échec inattendu (KeyError)"
    runner.shutdown()


def test_a_task_whose_worker_stopped_beating_is_interrupted(
    factory: sessionmaker[Session],
) -> None:
    """The worker running the task is gone (its heartbeat stopped): another worker, reading
    the task past the staleness limit, answers "interrupted" with what was kept and how to
    start again; nothing says "running" forever."""
    a = TaskRunner(factory, heartbeat_s=0.05, stale_s=1.0)
    release = threading.Event()
    task = a.start(
        3,
        "Planification des entretiens",
        lambda progress: release.wait(10),
        kept="Le planning précédent reste en vigueur.",
        retry=Retry("/maison/journees/j1/planifier", {"fresh": "1"}),
    )
    a._stop.set()  # the worker's heartbeat stops, as when its process is killed
    a._beat.join(2)  # type: ignore[union-attr]
    b = TaskRunner(factory, stale_s=1.0, clock=Later(2.0))
    seen = b.get(task.id, 3)
    assert seen.status == "interrupted"
    assert seen.kept == "Le planning précédent reste en vigueur."
    assert seen.retry == Retry("/maison/journees/j1/planifier", {"fresh": "1"})
    # a live worker's task is not: the heartbeat keeps it running past the limit
    c = TaskRunner(factory, heartbeat_s=0.05, stale_s=1.0)
    other = c.start(3, "Vérification du journal", lambda progress: release.wait(10))
    time.sleep(1.3)
    assert c.get(other.id, 3).running
    release.set()
    assert wait_until_ended(c, other.id, 3) == "done"
    c.shutdown()


def test_a_stopping_service_lets_tasks_end_or_marks_them_interrupted(
    sqlite_factory: sessionmaker[Session],
) -> None:
    runner = TaskRunner(sqlite_factory, grace_s=0.3)
    quick = runner.start(1, "Rechargement du moteur", lambda progress: time.sleep(0.1))
    release = threading.Event()
    slow = runner.start(1, "Planification des entretiens", lambda progress: release.wait(10))
    assert runner.shutdown() == 1
    assert runner.get(quick.id, 1).status == "done"
    assert runner.get(slow.id, 1).status == "interrupted"
    with pytest.raises(NotReadyError, match="le service redémarre"):
        runner.start(1, "Import", lambda progress: None)
    release.set()  # it ends after all: what really happened wins over the mark
    deadline = time.monotonic() + 10
    while runner.get(slow.id, 1).status != "done" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert runner.get(slow.id, 1).status == "done"
