"""Job-title linking to ESCO occupations (and ROME métiers)."""

from __future__ import annotations

from fastapi import APIRouter

from matching.occupations import LinkResult
from matching.skill_text import SkillMention
from services import linking
from services.schemas import LinkRequest, Message, SkillTextRequest
from serving import searches
from serving.compute import LINK_CHUNK, Priority
from serving.deps import Caller, State, roles
from tremplin.actors import Role

router = APIRouter(prefix="/api/v1/occupations", tags=["métiers / occupations"])


@router.post(
    "/link",
    response_model=list[LinkResult],
    responses={429: {"model": Message}, 503: {"model": Message}},
    **roles(Role.COACH, Role.MAISON_EMPLOI, Role.EMPLOYER, search=True),
)
async def link_titles(body: LinkRequest, state: State, principal: Caller) -> list[LinkResult]:
    """The ``top`` ESCO occupations for each title or aspiration, best first.

    Budgets count titles, not requests (per user, and per role for all its users together);
    coaches' links go before other roles' batches, which run a few titles at a time so that
    no coach's shortlist waits behind them. While the linker is still being built (after a
    start) the answer is 503 with Retry-After, and no request waits for it."""
    searches.linker_ready(state)
    searches.count_search(state, principal)
    searches.count_titles(state, principal, len(body.titles))
    if principal.role is Role.COACH:
        return await state.compute(linking.link_titles, state, body, priority=Priority.INTERACTIVE)
    results: list[LinkResult] = []
    for start in range(0, len(body.titles), LINK_CHUNK):
        chunk = body.model_copy(update={"titles": body.titles[start : start + LINK_CHUNK]})
        results += await state.compute(linking.link_titles, state, chunk, priority=Priority.BATCH)
    return results


@router.post(
    "/skills-in-text",
    response_model=list[SkillMention],
    responses={429: {"model": Message}},
    **roles(Role.COACH),
)
def skills_in_text(body: SkillTextRequest, state: State, principal: Caller) -> list[SkillMention]:
    """The ROME skills a pasted CV or a coach's notes name, each with the words it came from,
    best match first — suggestions for the coach to confirm on the profile. Nothing is stored
    and the text is neither kept nor logged."""
    searches.count_titles(state, principal, 1)
    return linking.suggest_skills(body)
