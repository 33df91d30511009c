"""No personal field ever reaches a pool card, whatever the profile (hypothesis)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from factories import beneficiaries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts.enums import AgeBand, Gender, Origin
from data_contracts.models import BeneficiaryProfile, Experience, FairnessAttributes
from matching.candidates import CandidateScore
from services.pool_cards import Member, build_card
from services.pool_schemas import PoolCard
from tremplin.anonymity import PersonFacts, fully_hidden, k_anonymous
from tremplin.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
CONTEXT: Any = SimpleNamespace(pseudonym_key=b"test-key" * 4)
CATALOGUE: Any = SimpleNamespace(taxonomy=TAXONOMY)
CARD_FIELDS = set(PoolCard.model_fields)
NEVER = {"id", "cpas_id", "beneficiary_id", "name", "birth_date", "address", "national_number",
         "nationality", "gender", "age_band", "origin", "monitoring", "health", "judicial",
         "aspirations", "experiences", "constraints", "home_postcode", "consent"}  # fmt: skip


@st.composite
def people(draw: st.DrawFn) -> list[BeneficiaryProfile]:
    """A small pool: profiles with distinct ids, monitoring attributes and free texts."""
    found = draw(st.lists(beneficiaries(), min_size=1, max_size=12, unique_by=lambda b: b.id))
    out = []
    for n, b in enumerate(found):
        out.append(
            b.model_copy(
                update={
                    "monitoring": FairnessAttributes(
                        gender=draw(st.sampled_from(list(Gender))),
                        age_band=draw(st.sampled_from(list(AgeBand))),
                        origin=draw(st.sampled_from(list(Origin))),
                    ),
                    "aspirations": b.aspirations.model_copy(
                        update={"text": f"SECRET-WISH-{n} {b.aspirations.text}"}
                    ),
                    "experiences": [Experience(title=f"SECRET-JOB-{n}", months=14 * n)],
                }
            )
        )
    return [BeneficiaryProfile.model_validate(p.model_dump()) for p in out]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=people(), k=st.integers(1, 5))
def test_a_card_carries_nothing_personal(pool: list[BeneficiaryProfile], k: int) -> None:
    facts = [PersonFacts.of(p) for p in pool]
    shown = k_anonymous(facts, k) or fully_hidden(k, len(facts))
    for person in pool:
        found = CandidateScore(
            index=0,
            score=0.5,
            matched_skills=tuple(s.id for s in person.skills),
            missing_skills=(),
            km=3.2,
            aspiration=1.0,
        )
        card = build_card(
            CONTEXT, CATALOGUE, "emp-x", Member(1, person.cpas_id, person), found, shown,
            dt.date(2026, 11, 1),
        )  # fmt: skip
        data = card.model_dump(mode="json")
        assert set(data) == CARD_FIELDS and not set(data) & NEVER
        text = card.model_dump_json()
        for secret in (person.id, person.cpas_id, "SECRET-WISH", "SECRET-JOB"):
            assert secret not in text.replace(card.card, ""), secret
        values = {v.value for v in (*Gender, *Origin, *AgeBand)} - {"x"}
        words = set(text.replace('"', " ").replace(",", " ").split())
        assert not words & values, words & values
