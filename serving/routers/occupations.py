"""Job-title linking to ESCO occupations."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from matching.occupations import LinkResult
from serving.deps import State, roles
from serving.roles import Role
from serving.schemas import LinkRequest, Message

router = APIRouter(prefix="/api/v1/occupations", tags=["métiers / occupations"])


@router.post(
    "/link",
    response_model=list[LinkResult],
    responses={429: {"model": Message}},
    **roles(Role.COACH, Role.MAISON_EMPLOI, Role.EMPLOYER, search=True),
)
async def link_titles(body: LinkRequest, state: State) -> list[LinkResult]:
    """The ``top`` ESCO occupations for each title or aspiration, best first."""
    linker = await run_in_threadpool(state.matching.linker)  # waits for the build, no CPU
    return await state.compute(linker.link_many, body.titles, body.top)
