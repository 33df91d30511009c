"""What a page handler reads from its request (the app's state, its task runner) and the one
way pages answer with a download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from services import documents
from services.jobday_schemas import Convocation
from serving.state import ServiceState
from web.tasks import Progress, Retry, TaskRunner
from web.templating import render


def service_state(request: Request) -> ServiceState:
    """The app's shared state (the services' context)."""
    state: ServiceState = request.app.state.tremplin
    return state


def task_runner(request: Request) -> TaskRunner:
    """The app's background task runner."""
    runner: TaskRunner = request.app.state.tasks
    return runner


def start_task(
    request: Request,
    owner: int,
    label: str,
    work: Callable[[Progress], Any],
    redirect: Callable[[Any], str | None] | None = None,
    result_template: str | None = None,
    kept: str | None = None,
    retry: Retry | None = None,
) -> Response:
    """Start ``work`` as a background task of user ``owner`` and answer its progress fragment
    (202: the page polls it until the task is done). ``kept`` says what stays in place if the
    service stops before the task ends, ``retry`` how to start it again."""
    task = task_runner(request).start(
        owner, label, work, redirect, result_template, kept=kept, retry=retry
    )
    return render(request, "_task.html", {"task": task}, status_code=202)


def download(content: str | bytes, media_type: str, filename: str) -> Response:
    """A file to save (``Content-Disposition: attachment``)."""
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def calendar(convocations: list[Convocation], filename: str) -> Response:
    """Convocations as an ICS file to save."""
    return download(documents.convocations_ics(convocations), "text/calendar", filename)
