"""The stored state of page tasks (table ``page_task``): written by the worker that runs a task,
read by whichever worker answers the page that polls it.

A running task's worker renews its heartbeat; a task whose heartbeat is older than the
staleness limit lost its worker (killed, host gone) and is marked interrupted the first time it
is read. Ended tasks are swept after a while.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session, sessionmaker

from tremplin.store.db import transaction
from tremplin.store.shared_rows import PageTaskRow
from tremplin.store.widths import TASK_ERROR_LENGTH, TASK_TEXT_LENGTH

RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"


def create(factory: sessionmaker[Session], row: PageTaskRow) -> None:
    """Store a new task."""
    row.label, row.step = row.label[:TASK_TEXT_LENGTH], row.step[:TASK_TEXT_LENGTH]
    with transaction(factory) as session:
        session.add(row)


def report(factory: sessionmaker[Session], task_id: str, step: str, fraction: float) -> None:
    """Where a running task is."""
    with transaction(factory) as session:
        session.execute(
            update(PageTaskRow)
            .where(PageTaskRow.id == task_id, PageTaskRow.status == RUNNING)
            .values(step=step[:TASK_TEXT_LENGTH], fraction=fraction)
        )


def finish(
    factory: sessionmaker[Session],
    task_id: str,
    now: float,
    status: str,
    *,
    result: Any = None,
    redirect: str | None = None,
    error: str | None = None,
) -> None:
    """How the task ended (also over an "interrupted" mark made while it still ran: what really
    happened wins)."""
    values: dict[str, Any] = {"status": status, "finished_at": now, "result": result,
                              "redirect": redirect, "error": error and error[:TASK_ERROR_LENGTH]}  # fmt: skip
    if status == DONE:
        values.update(step="terminé", fraction=1.0)
    with transaction(factory) as session:
        session.execute(update(PageTaskRow).where(PageTaskRow.id == task_id).values(**values))


def heartbeat(factory: sessionmaker[Session], worker: str, now: float) -> None:
    """The worker ``worker`` is alive: its running tasks are not interrupted."""
    with transaction(factory) as session:
        session.execute(
            update(PageTaskRow)
            .where(PageTaskRow.worker == worker, PageTaskRow.status == RUNNING)
            .values(heartbeat_at=now)
        )


def read(
    factory: sessionmaker[Session], task_id: str, now: float, stale_s: float
) -> PageTaskRow | None:
    """The task ``task_id`` (marked interrupted first when its worker stopped beating); a
    poll of a live task only reads."""
    with transaction(factory) as session:
        row = session.get(PageTaskRow, task_id)
        if row is not None and row.status == RUNNING and row.heartbeat_at < now - stale_s:
            session.execute(
                update(PageTaskRow)
                .where(
                    PageTaskRow.id == task_id,
                    PageTaskRow.status == RUNNING,
                    PageTaskRow.heartbeat_at < now - stale_s,
                )
                .values(status=INTERRUPTED, finished_at=now)
                .execution_options(synchronize_session=False)
            )
            session.refresh(row)
        return row


def interrupt(factory: sessionmaker[Session], worker: str, now: float) -> int:
    """Mark the running tasks of ``worker`` interrupted (the service stops before they end);
    returns how many."""
    with transaction(factory) as session:
        done = session.execute(
            update(PageTaskRow)
            .where(PageTaskRow.worker == worker, PageTaskRow.status == RUNNING)
            .values(status=INTERRUPTED, finished_at=now)
        )
        return int(getattr(done, "rowcount", 0) or 0)


def sweep(factory: sessionmaker[Session], now: float, keep_s: float, lost_s: float) -> None:
    """Forget tasks ended more than ``keep_s`` ago, and those whose worker has not beaten for
    ``lost_s`` (nobody polled them since)."""
    with transaction(factory) as session:
        session.execute(
            delete(PageTaskRow).where(
                or_(
                    PageTaskRow.finished_at < now - keep_s,
                    PageTaskRow.heartbeat_at < now - lost_s,
                )
            )
        )
