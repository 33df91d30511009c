"""Skill-gap pathways: training modules -> internship -> jobs, for an aspired métier out of reach.

For each aspired ROME métier with job offers in reach (they pass the person's distance, hours,
shift... constraints) but none the person can take now (a required skill is missing, or a
licence or French level), the pathway:

1. picks the easiest such offer (fewest missing required skills) and its missing skills;
2. covers them with the fewest training modules the person can attend (greedy set cover:
   most missing skills taught first, then nearest, then soonest), at most ``MAX_MODULES``;
3. names the prerequisite to obtain (licence, French level), with a module that prepares it
   when the catalogue has one;
4. adds an internship in the métier (or its family) the person can take;
5. lists the offers that become reachable: every required skill held or covered, and the
   prerequisites named in step 3 being the only other blockers.

Steps run forward in time: modules start on or after the prerequisite's module, the
internship on or after the last module, and a job offer keeps its start date only when it
comes after the preparation (otherwise it stands for the offers of the métier, with none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, Field

from data_contracts.enums import OpportunityKind
from matching.filters import FilterResult

if TYPE_CHECKING:
    from matching.catalogue import OpportunityCatalogue
    from matching.profile import ProfileView

MAX_MODULES = 3
MAX_JOBS = 3
PREREQUISITES = ("licence", "french")


StepKind = Literal["prerequisite", "training", "internship", "job"]


class PathwayStep(BaseModel):
    """One step of a pathway and what it brings."""

    step: StepKind
    opportunity_id: str | None = None
    title: str
    brings: list[str] = Field(default_factory=list)
    start_date: dt.date | None = None
    distance_km: float | None = None


class Pathway(BaseModel):
    """A realistic route to an aspired métier whose offers are blocked today."""

    target_rome_code: str
    target_label: str
    blocking: list[str] = Field(description="What blocks the offers today, in French.")
    steps: list[PathwayStep]
    covered_skills: list[str] = Field(description="Skill ids the training steps teach.")
    remaining_gap: list[str] = Field(description="Missing skills no module in reach teaches.")
    reachable_job_ids: list[str]


def build_pathways(
    view: ProfileView, cat: OpportunityCatalogue, filtered: FilterResult, today: dt.date
) -> list[Pathway]:
    """Pathways for every aspired métier whose offers in reach are all blocked today."""
    out: list[Pathway] = []
    if not view.targets:
        return out
    shared = _Shared.of(view, cat, filtered)  # the same for every aspired métier
    for code in view.targets:
        pathway = _pathway(view, cat, filtered, code, shared)
        if pathway is not None:
            out.append(pathway)
    return out


def _km(filtered: FilterResult, p: int) -> float | None:
    return None if np.isnan(filtered.km[p]) else round(float(filtered.km[p]), 1)


def _best(candidates: np.ndarray, *keys: np.ndarray) -> int:
    """The candidate that sorts first on ``keys`` (primary key first), ties to the lowest."""
    order = np.lexsort((candidates, *[k[candidates] for k in reversed(keys)]))
    return int(candidates[order[0]])


@dataclass(frozen=True)
class _Shared:
    """What every pathway of one person reads (computed once: each is a pass over the
    whole catalogue, 1M opportunities at the largest size measured)."""

    other: np.ndarray  # broken by a constraint a pathway cannot address
    missing: np.ndarray  # required skills the person lacks, per opportunity
    prereq_count: np.ndarray  # prerequisites (licence, French) broken, per opportunity
    km: np.ndarray

    @classmethod
    def of(cls, view: ProfileView, cat: OpportunityCatalogue, filtered: FilterResult) -> _Shared:
        other = np.zeros(len(cat), dtype=bool)
        for key, mask in filtered.broken.items():
            if key not in PREREQUISITES:
                other |= mask
        return cls(
            other=other,
            missing=cat.missing_required(view.skills),
            prereq_count=np.asarray(
                sum(filtered.broken[k].astype(np.int64) for k in PREREQUISITES), dtype=np.int64
            ),
            km=np.nan_to_num(filtered.km, nan=0.0),
        )


def _pathway(
    view: ProfileView,
    cat: OpportunityCatalogue,
    filtered: FilterResult,
    code: str,
    shared: _Shared,
) -> Pathway | None:
    tax = cat.taxonomy
    have = view.skills
    same, family = cat.family_mask(code)
    jobs = same & cat.kind_mask[OpportunityKind.JOB_OFFER]
    if not jobs.any():
        return None
    # blockers other than the prerequisites a pathway can address make an offer out of reach
    in_reach = jobs & ~shared.other
    if not in_reach.any():
        return None
    missing = shared.missing
    if (in_reach & filtered.passes & (missing == 0)).any():
        return None  # the métier is open today: its offers are in the shortlist
    prereq_count = shared.prereq_count
    km = shared.km
    easiest = _best(np.flatnonzero(in_reach), missing + 2 * prereq_count, km)
    gap = {s.id for s in cat.opportunities[easiest].required_skills} - have
    steps: list[PathwayStep] = []
    blocking = [tax.skill_label(s) for s in sorted(gap)]
    needed = [k for k in PREREQUISITES if filtered.broken[k][easiest]]
    o = cat.opportunities[easiest]
    for key in needed:
        if key == "licence":
            what = f"permis {o.prerequisites.driving_licence}"
        else:
            what = f"français niveau {o.prerequisites.french_level}"
        blocking.append(f"{what} requis")
        steps.append(_prerequisite_step(cat, filtered, key, what))
    after = _latest_start(steps)
    trainings = filtered.passes & cat.kind_mask[OpportunityKind.TRAINING] & (cat.start >= after)
    modules: list[PathwayStep] = []
    covered: set[str] = set()
    uncovered = set(gap)
    for _ in range(MAX_MODULES):
        if not uncovered or not trainings.any():
            break
        gains = np.asarray(cat.taught @ cat.skill_vector(uncovered)).ravel()
        best = _best(np.flatnonzero(trainings), -gains, km, cat.start)
        gain = uncovered & {s.id for s in cat.opportunities[best].taught_skills}
        if not gain:
            break
        trainings[best] = False
        covered |= gain
        uncovered -= gain
        modules.append(
            _step("training", cat, filtered, best, [tax.skill_label(s) for s in sorted(gain)])
        )
    modules.sort(key=lambda m: m.start_date or dt.date.min)
    steps += modules
    after = _latest_start(steps)
    known = have | covered
    still_missing = cat.missing_required(known)
    internships = np.flatnonzero(
        filtered.passes & cat.kind_mask[OpportunityKind.INTERNSHIP] & family & (cat.start >= after)
    )
    if len(internships):
        internship = _best(internships, ~same, still_missing, km)
        steps.append(
            _step(
                "internship",
                cat,
                filtered,
                internship,
                ["une première expérience dans le métier", "un contact avec un employeur"],
            )
        )
    unmet = np.zeros(len(cat), dtype=bool)  # a prerequisite the pathway does not prepare
    for key in PREREQUISITES:
        if key not in needed:
            unmet |= filtered.broken[key]
    open_after = np.flatnonzero(in_reach & (still_missing == 0) & ~unmet)
    reachable = [int(p) for p in open_after[np.lexsort((open_after, km[open_after]))][:MAX_JOBS]]
    ready = max((s.start_date for s in steps if s.start_date), default=None)
    for p in reachable:
        job = _step("job", cat, filtered, p, ["un emploi dans le métier visé"])
        if ready and job.start_date and job.start_date < ready:
            job.start_date = None  # an offer of today: the métier's offers when ready
        steps.append(job)
    return Pathway(
        target_rome_code=code,
        target_label=tax.metiers[code].label,
        blocking=blocking,
        steps=steps,
        covered_skills=sorted(covered),
        remaining_gap=[tax.skill_label(s) for s in sorted(uncovered)],
        reachable_job_ids=[cat.opportunities[p].id for p in reachable],
    )


def _step(
    kind: StepKind, cat: OpportunityCatalogue, filtered: FilterResult, p: int, brings: list[str]
) -> PathwayStep:
    """A step that takes opportunity ``p``."""
    o = cat.opportunities[p]
    return PathwayStep(
        step=kind,
        opportunity_id=o.id,
        title=o.title,
        brings=brings,
        start_date=o.start_date,
        distance_km=_km(filtered, p),
    )


def _latest_start(steps: list[PathwayStep]) -> int:
    """The latest start among ``steps`` as a day ordinal (0 when none has one)."""
    return max((s.start_date.toordinal() for s in steps if s.start_date), default=0)


def _prerequisite_step(
    cat: OpportunityCatalogue, filtered: FilterResult, key: str, what: str
) -> PathwayStep:
    """The first module in reach that prepares ``key``, else the prerequisite alone."""
    found = np.flatnonzero(filtered.passes & cat.prepares[key])
    if len(found):
        return _step("prerequisite", cat, filtered, int(found[0]), [what])
    # no module prepares it within reach: the step names the goal, and brings nothing more
    return PathwayStep(step="prerequisite", title=f"Obtenir le {what} (à organiser avec le coach)")
