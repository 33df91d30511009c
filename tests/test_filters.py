"""Hard filters: never violated in a shortlist; relaxing a constraint never shrinks candidates."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.filters import CONSTRAINT_LABELS, violations
from matching.shortlist import OpportunityCatalogue, shortlist
from tests.factories import beneficiaries, beneficiary, opportunities, opportunity

TODAY = dt.date(2026, 11, 1)
ALL = frozenset(OpportunityKind)
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(
    beneficiaries(), st.lists(opportunities(), min_size=1, max_size=12, unique_by=lambda o: o.id)
)
def test_no_shortlist_item_violates_a_hard_constraint(
    b: BeneficiaryProfile, items: list[Opportunity]
) -> None:
    result = shortlist(b, OpportunityCatalogue(items), top=50, today=TODAY)
    by_id = {o.id: o for o in items}
    for item in result.items:
        assert violations(b, by_id[item.opportunity_id], TODAY, ALL) == []
    # nothing disappears silently: each constraint's count is exactly what it removed
    broken = {o.id: violations(b, o, TODAY, ALL) for o in items}
    expected = Counter(key for keys in broken.values() for key in keys)
    assert result.removed_by_constraint == {CONSTRAINT_LABELS[k]: n for k, n in expected.items()}
    assert {i.opportunity_id for i in result.items} == {o for o, keys in broken.items() if not keys}


@PROPS
@given(
    beneficiaries(),
    st.lists(opportunities(), min_size=1, max_size=12, unique_by=lambda o: o.id),
    st.floats(1, 100),
)
def test_relaxing_distance_never_shrinks_the_candidate_set(
    b: BeneficiaryProfile, items: list[Opportunity], extra: float
) -> None:
    relaxed = b.model_copy(
        update={
            "constraints": b.constraints.model_copy(
                update={"max_distance_km": min(200.0, b.constraints.max_distance_km + extra)}
            )
        }
    )

    def kept(p: BeneficiaryProfile) -> set[str]:
        return {o.id for o in items if not violations(p, o, TODAY, ALL)}

    assert kept(b) <= kept(relaxed)


def test_each_filter_removes_what_it_should() -> None:
    person = beneficiary(
        constraints={
            "home_postcode": 4000,
            "max_distance_km": 20,
            "available_shifts": ["day"],
            "max_hours_per_week": 24,
        },
        languages=[{"language": "fr", "level": "A2"}],
    )
    cases = {
        "distance": opportunity(location={"postcode": 1080}),
        "licence": opportunity(prerequisites={"driving_licence": "C"}),
        "french": opportunity(prerequisites={"french_level": "B2"}),
        "hours": opportunity(hours_per_week=38),
        "shifts": opportunity(shifts=["night"]),
        "article_60": opportunity(
            contract_type="article_60", prerequisites={"article_60_eligibility": True}
        ),
        "places": opportunity(places_available=0),
        "expired": opportunity(valid_until="2026-10-01"),
    }
    for key, o in cases.items():
        assert violations(person, o, TODAY, ALL) == [key], key
    assert violations(person, opportunity(), TODAY, ALL) == []
    with_c = person.model_copy(
        update={"constraints": person.constraints.model_copy(update={"driving_licences": ["CE"]})}
    )
    assert "licence" not in violations(with_c, cases["licence"], TODAY, ALL)  # CE entitles to C


def test_shortlist_explains_matches_and_reports_removals() -> None:
    person = beneficiary(
        skills=[{"id": "rome:100023"}], aspirations={"target_rome_codes": ["K2205"]}
    )
    items = [opportunity(id="near"), opportunity(id="far", location={"postcode": 1080})]
    result = shortlist(person, OpportunityCatalogue(items), today=TODAY)
    assert [i.opportunity_id for i in result.items] == ["near"]
    assert result.removed_by_constraint == {"trop loin du domicile": 1}
    assert any("projet" in r for r in result.items[0].reasons) and result.items[0].matched_skills
