"""Job-title linking to ESCO occupations (and ROME métiers)."""

from __future__ import annotations

from fastapi import APIRouter

from matching.occupations import LinkResult
from matching.skill_text import SkillMention
from services import linking
from services.schemas import LinkRequest, Message, SkillTextRequest
from serving.compute import LINK_CHUNK, Priority
from serving.deps import Caller, State, roles, throttle
from tremplin.actors import Role
from tremplin.errors import NotReadyError

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
    if not state.matching.linker_ready:
        state.matching.prepare_linker()
        raise NotReadyError(
            "le lien des métiers se prépare après le démarrage, réessayez dans une minute",
            "the title linker is being built after a start, retry in a minute",
        )
    titles = len(body.titles)
    message = ("trop de titres à lier, réessayez plus tard", "too many titles to link, retry later")
    throttle(state, f"user:{principal.user_id}", message, budget=state.title_budget, cost=titles)
    throttle(state, f"role:{principal.role}", message, budget=state.role_title_budget, cost=titles)
    if principal.role is Role.COACH:
        return await state.compute(linking.link_titles, state, body, priority=Priority.INTERACTIVE)
    results: list[LinkResult] = []
    for start in range(0, titles, LINK_CHUNK):
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
    message = ("trop de demandes, réessayez plus tard", "too many requests, retry later")
    throttle(state, f"user:{principal.user_id}", message, budget=state.title_budget, cost=1)
    return linking.suggest_skills(body)
