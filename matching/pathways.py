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
    missing = cat.missing_required(view.skills)  # the same for every aspired métier
    for code in view.targets:
        pathway = _pathway(view, cat, filtered, code, missing)
        if pathway is not None:
            out.append(pathway)
    return out


def _km(filtered: FilterResult, p: int) -> float | None:
    return None if np.isnan(filtered.km[p]) else round(float(filtered.km[p]), 1)


def _best(candidates: np.ndarray, *keys: np.ndarray) -> int:
    """The candidate that sorts first on ``keys`` (aligned with ``candidates``, primary key
    first, no NaN), ties to the lowest: the candidates holding each key's minimum are kept,
    key after key (tens of thousands of training modules are narrowed without a sort)."""
    keep = np.ones(len(candidates), dtype=bool)
    for key in keys:
        if np.count_nonzero(keep) == 1:
            break
        keep &= key == key[keep].min()
    return int(candidates[keep].min())


def _km_at(filtered: FilterResult, positions: np.ndarray) -> np.ndarray:
    """Distances of ``positions`` (0 when unknown: such offers rank as near)."""
    return np.asarray(np.nan_to_num(filtered.km[positions], nan=0.0), dtype=np.float64)


def _among(ascending: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Whether each of ``positions`` is in the ``ascending`` positions (a binary search:
    ``np.isin`` hashed a large métier's ten thousand offers for each pathway)."""
    found = np.searchsorted(ascending, positions)
    inside = found < len(ascending)
    out = np.zeros(len(positions), dtype=bool)
    out[inside] = ascending[found[inside]] == positions[inside]
    return out


def _of_kind(cat: OpportunityCatalogue, positions: np.ndarray, kind: OpportunityKind) -> np.ndarray:
    """The ``positions`` of opportunities of ``kind``."""
    return np.asarray(positions[cat.kind_mask[kind][positions]], dtype=np.int64)


def _pathway(
    view: ProfileView,
    cat: OpportunityCatalogue,
    filtered: FilterResult,
    code: str,
    missing: np.ndarray,
) -> Pathway | None:
    """The pathway to métier ``code``; ``missing``: required skills the person lacks, per
    opportunity. Works on the métier's positions (a few hundred), not on whole masks."""
    tax = cat.taxonomy
    have = view.skills
    same, family = cat.family_positions(code)
    jobs = _of_kind(cat, same, OpportunityKind.JOB_OFFER)
    # blockers other than the prerequisites a pathway can address make an offer out of reach
    in_reach = jobs[filtered.passes_except(frozenset(PREREQUISITES), at=jobs)]
    if not len(in_reach):
        return None
    if (filtered.passes[in_reach] & (missing[in_reach] == 0)).any():
        return None  # the métier is open today: its offers are in the shortlist
    prereq_count = sum(filtered.broken[k][in_reach].astype(np.int64) for k in PREREQUISITES)
    easiest = _best(in_reach, missing[in_reach] + 2 * prereq_count, _km_at(filtered, in_reach))
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
    trainings = np.flatnonzero(
        filtered.passes & cat.kind_mask[OpportunityKind.TRAINING] & (cat.start >= after)
    )
    modules: list[PathwayStep] = []
    covered: set[str] = set()
    uncovered = set(gap)
    for _ in range(MAX_MODULES):
        if not uncovered or not len(trainings):
            break
        gains = cat.taught.sums(cat.skill_columns(uncovered))[trainings]
        best = _best(trainings, -gains, _km_at(filtered, trainings), cat.start[trainings])
        gain = uncovered & {s.id for s in cat.opportunities[best].taught_skills}
        if not gain:
            break
        trainings = trainings[trainings != best]
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
    internships = _of_kind(cat, family, OpportunityKind.INTERNSHIP)
    internships = internships[filtered.passes[internships] & (cat.start[internships] >= after)]
    if len(internships):
        internship = _best(
            internships,
            ~_among(same, internships),
            still_missing[internships],
            _km_at(filtered, internships),
        )
        steps.append(
            _step(
                "internship",
                cat,
                filtered,
                internship,
                ["une première expérience dans le métier", "un contact avec un employeur"],
            )
        )
    unmet = np.zeros(len(in_reach), dtype=bool)  # a prerequisite the pathway does not prepare
    for key in PREREQUISITES:
        if key not in needed:
            unmet |= filtered.broken[key][in_reach]
    open_after = in_reach[(still_missing[in_reach] == 0) & ~unmet]
    near = np.lexsort((open_after, _km_at(filtered, open_after)))
    reachable = [int(p) for p in open_after[near][:MAX_JOBS]]
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
