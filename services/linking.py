"""The title-linking use case: job titles and aspirations to ESCO occupations and ROME métiers.

The linker is the served engine's own (built once per process with the served encoder); the API
waits for it with :func:`title_linker` outside its compute slots, then links in one.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from data_contracts.models import Aspirations, BeneficiaryProfile, Constraints, ProfileSkill
from matching.ad_coding import Ad, CodedMetier
from matching.occupations import LinkResult, OccupationLinker
from matching.profile import ProfileView
from matching.skill_text import SkillMention, skill_reader
from services.context import ServiceContext
from services.schemas import LinkRequest, SkillTextRequest
from tremplin.ingest import InferredOccupation
from tremplin.taxonomy import load_taxonomy

SHOWN_READINGS = 6  # readings of a wish a coach sees
SHOWN_MIN_PROBABILITY = 0.02  # ... beside the first, from this probability


def title_linker(ctx: ServiceContext) -> OccupationLinker:
    """The served title linker (built on first use, then kept)."""
    return ctx.matching.linker()


def link_titles(ctx: ServiceContext, request: LinkRequest) -> list[LinkResult]:
    """The ``top`` occupations (and ROME métiers) for each title, best first."""
    return title_linker(ctx).link_many(request.titles, request.top)


def code_ads(ctx: ServiceContext, ads: Sequence[Ad], top: int = 3) -> list[list[CodedMetier]]:
    """The ``top`` ROME métiers of each ad (title and description), most probable first."""
    return ctx.matching.ad_coder().code_many(ads, top)


def inferred_occupations(
    ctx: ServiceContext, items: Sequence[tuple[str, str, str]]
) -> list[InferredOccupation]:
    """The métier read from each ``(id, title, description)`` offer that came uncoded."""
    coded = code_ads(ctx, [Ad(title, description) for _, title, description in items], 1)
    out = []
    for (ident, title, _), found in zip(items, coded, strict=True):
        best = found[0] if found else None
        out.append(
            InferredOccupation(
                id=ident,
                title=title,
                code=best.code if best else None,
                label=best.label if best else None,
                appellation=best.appellation if best else None,
                probability=best.probability if best else 0.0,
            )
        )
    return out


def suggest_skills(request: SkillTextRequest) -> list[SkillMention]:
    """The skills a pasted CV or a coach's notes name, each with the words it came from, for
    the coach to confirm: nothing is stored, and the text is not kept or logged."""
    return skill_reader(load_taxonomy()).read(request.text, limit=request.limit)


class WishReading(BaseModel):
    """A métier a wish may mean, with how sure the reading is (0-1)."""

    code: str
    label: str
    probability: float


def read_wish(ctx: ServiceContext, text: str, skills: Sequence[str] = ()) -> list[WishReading]:
    """The métiers a wish may mean, as the shortlist reads it (title, sector, activities; the
    person's ``skills`` — ids or labels — choosing among a vague wish's readings): at most
    :data:`SHOWN_READINGS`, the first always, the others from :data:`SHOWN_MIN_PROBABILITY`
    (a sure reading is not followed by a list of "sûr à 0 %")."""
    tax = load_taxonomy()
    held = [r.skill.id for r in (tax.resolve_skill(s) for s in skills) if r.skill is not None]
    person = BeneficiaryProfile(
        id="lecture-du-souhait",
        cpas_id="lecture",
        skills=[ProfileSkill(id=s) for s in dict.fromkeys(held)][:100],
        aspirations=Aspirations(text=text[:2000]),
        constraints=Constraints(home_postcode=1000),
    )
    view = ProfileView(person, tax, ctx.matching.linker(), ctx.matching.ad_coder())
    readings = view.wish_readings[:SHOWN_READINGS]
    return [
        WishReading(code=code, label=tax.metiers[code].label, probability=round(p, 3))
        for rank, (code, p) in enumerate(readings)
        if rank == 0 or p >= SHOWN_MIN_PROBABILITY
    ]
