"""Job-title linking to ESCO occupations (and ROME métiers)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from matching.occupations import LinkResult
from services import linking
from services.schemas import LinkRequest, Message
from serving.deps import State, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1/occupations", tags=["métiers / occupations"])


@router.post(
    "/link",
    response_model=list[LinkResult],
    responses={429: {"model": Message}},
    **roles(Role.COACH, Role.MAISON_EMPLOI, Role.EMPLOYER, search=True),
)
async def link_titles(body: LinkRequest, state: State) -> list[LinkResult]:
    """The ``top`` ESCO occupations for each title or aspiration, best first."""
    await run_in_threadpool(linking.title_linker, state)  # waits for the build, no compute slot
    return await state.compute(linking.link_titles, state, body)
