"""The sample's outcome events (proposed, applied, interview, hired, refused) drawn from the
hidden truth, with the biased employers' gap when asked."""

from __future__ import annotations

import datetime as dt

from data_contracts.enums import (
    ActorRole,
    OpportunityKind,
    OutcomeType,
    RefusalReason,
)
from data_contracts.models import (
    BeneficiaryProfile,
    Opportunity,
    OutcomeEvent,
)
from tremplin.sample.draw import REFERENCE_DATE, Draw
from tremplin.sample.offers import sector_of
from tremplin.sample.truth import BIAS_FACTOR, BIASED_GROUP, sigmoid, suitability
from tremplin.taxonomy import Taxonomy


def draw_outcomes(
    d: Draw,
    tax: Taxonomy,
    beneficiaries: list[BeneficiaryProfile],
    opportunities: list[Opportunity],
    biased: set[str],
) -> tuple[list[OutcomeEvent], list[tuple[str, str, float]]]:
    by_sector: dict[str, list[Opportunity]] = {}
    for o in opportunities:
        by_sector.setdefault(sector_of(o.occupation.rome_code or "").key, []).append(o)
    events: list[OutcomeEvent] = []
    truth: list[tuple[str, str, float]] = []
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    span = (dt.datetime.combine(REFERENCE_DATE, dt.time(17), tzinfo=dt.UTC) - start).total_seconds()
    counter = 0

    def emit(
        b: BeneficiaryProfile,
        o: Opportunity,
        kind: OutcomeType,
        at: dt.datetime,
        rank: int | None,
        reason: RefusalReason | None = None,
        actor: ActorRole = ActorRole.COACH,
    ) -> None:
        nonlocal counter
        counter += 1
        events.append(
            OutcomeEvent(
                id=f"evt-{counter:07d}",
                beneficiary_id=b.id,
                cpas_id=b.cpas_id,
                opportunity_id=o.id,
                type=kind,
                occurred_at=at,
                actor=actor,
                refusal_reason=reason,
                shortlist_id=None,
                rank=rank,
            )
        )

    for b in beneficiaries:
        sectors = sorted(
            {sector_of(t).key for t in b.aspirations.target_rome_codes}
            | {sector_of(e.rome_code).key for e in b.experiences if e.rome_code}
        )
        near = [o for s in sectors for o in by_sector.get(s, [])]
        shown = d.some(near, 10) + d.some(opportunities, 5)
        seen: set[str] = set()
        at = start + dt.timedelta(seconds=d.r.random() * span * 0.9)
        for rank, o in enumerate(shown, start=1):
            if o.id in seen:
                continue
            seen.add(o.id)
            score, obstacle = suitability(b, o, tax)
            truth.append((b.id, o.id, round(score, 4)))
            noisy = score + d.r.gauss(0.0, 0.5)
            t = at + dt.timedelta(minutes=rank)
            emit(b, o, OutcomeType.SHOWN, t, rank, actor=ActorRole.SYSTEM)
            if not d.chance(sigmoid(noisy - 1.5)):
                continue
            emit(b, o, OutcomeType.PROPOSED, t + dt.timedelta(days=1), rank)
            if not d.chance(sigmoid(noisy - 1.2)):
                emit(
                    b,
                    o,
                    OutcomeType.REFUSED,
                    t + dt.timedelta(days=3),
                    rank,
                    obstacle or RefusalReason.BENEFICIARY_NOT_INTERESTED,
                    ActorRole.BENEFICIARY,
                )
                continue
            if o.kind is OpportunityKind.TRAINING:
                emit(b, o, OutcomeType.TRAINING_ENROLLED, t + dt.timedelta(days=7), rank)
                if d.chance(sigmoid(noisy - 1.0)):
                    emit(b, o, OutcomeType.TRAINING_COMPLETED, t + dt.timedelta(days=60), rank)
                continue
            emit(b, o, OutcomeType.APPLIED, t + dt.timedelta(days=4), rank)
            bias = (
                BIAS_FACTOR
                if (o.employer_id in biased and b.monitoring.origin is BIASED_GROUP)
                else 1.0
            )
            if not d.chance(sigmoid(noisy - 1.8) * bias):
                emit(
                    b,
                    o,
                    OutcomeType.REFUSED,
                    t + dt.timedelta(days=12),
                    rank,
                    obstacle or RefusalReason.EMPLOYER_PROFILE_MISMATCH,
                    ActorRole.EMPLOYER,
                )
                continue
            emit(b, o, OutcomeType.INTERVIEW, t + dt.timedelta(days=14), rank)
            if d.chance(sigmoid(noisy - 2.0) * bias):
                emit(
                    b,
                    o,
                    OutcomeType.HIRED,
                    t + dt.timedelta(days=21),
                    rank,
                    actor=ActorRole.EMPLOYER,
                )
            else:
                emit(
                    b,
                    o,
                    OutcomeType.REFUSED,
                    t + dt.timedelta(days=18),
                    rank,
                    obstacle or RefusalReason.EMPLOYER_PROFILE_MISMATCH,
                    ActorRole.EMPLOYER,
                )
    events.sort(key=lambda e: (e.occurred_at, e.id))
    return events, truth
