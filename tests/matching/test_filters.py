"""Hard filters: never violated in a shortlist; relaxing a constraint never shrinks candidates."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts.enums import OpportunityKind
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.catalogue import OpportunityCatalogue
from matching.filters import FilterColumns, apply_filters, violations
from matching.profile import ProfileView
from matching.shortlist import shortlist
from tests.factories import beneficiaries, beneficiary, opportunities, opportunity
from tremplin.errors import EmptyProfileError

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
    catalogue = OpportunityCatalogue(items)
    if ProfileView(b, catalogue.taxonomy).is_empty:
        with pytest.raises(EmptyProfileError):
            shortlist(b, catalogue, today=TODAY)
        return
    result = shortlist(b, catalogue, top=50, today=TODAY, with_pathways=False)
    by_id = {o.id: o for o in items}
    shown = [i.opportunity_id for i in result.items]
    shown += [d for i in result.items for d in i.duplicates]
    for ident in shown:
        assert violations(b, by_id[ident], TODAY, ALL) == []
    # nothing disappears silently: each constraint's count is exactly what it removed
    broken = {o.id: violations(b, o, TODAY, ALL) for o in items}
    expected = Counter(key for keys in broken.values() for key in keys)
    assert result.removed_by_constraint == dict(expected)
    assert set(shown) == {o for o, keys in broken.items() if not keys}
    assert result.eligible == len(set(shown))


@PROPS
@given(
    beneficiaries(),
    st.lists(opportunities(), min_size=1, max_size=15, unique_by=lambda o: o.id),
    st.sets(st.sampled_from(list(OpportunityKind)), min_size=1),
)
def test_vectorised_filters_agree_with_the_reference_rules(
    b: BeneficiaryProfile, items: list[Opportunity], kinds: set[OpportunityKind]
) -> None:
    wanted = frozenset(kinds)
    result = apply_filters(b, FilterColumns.of(items), TODAY, wanted)
    for o, ok, passes in zip(items, result.eligible, result.passes, strict=True):
        rules = violations(b, o, TODAY, wanted)
        assert bool(ok) == (rules == []), (o, rules)
        assert bool(passes) == ([r for r in rules if r != "kind"] == [])
    expected = Counter(
        k for o in items if o.kind in wanted for k in violations(b, o, TODAY, wanted)
    )
    assert result.removed == dict(expected)


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

    def kept_vectorised(p: BeneficiaryProfile) -> set[str]:
        mask = apply_filters(p, FilterColumns.of(items), TODAY, ALL).eligible
        return {o.id for o, ok in zip(items, mask, strict=True) if ok}

    assert kept(b) <= kept(relaxed)
    assert kept_vectorised(b) <= kept_vectorised(relaxed)


def test_each_filter_removes_what_it_should() -> None:
    person = beneficiary(
        constraints={
            "home_postcode": 4000,
            "max_distance_km": 20,
            "available_shifts": ["day"],
            "max_hours_per_week": 24,
            "available_from": "2026-12-01",
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
        "reserved": opportunity(reserved_for_cpas="cpas-autre"),
        "expired": opportunity(valid_until="2026-10-01"),
        "dates": opportunity(end_date="2026-11-15"),
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
    assert result.removed_by_constraint == {"distance": 1}
    assert result.notes == ["1 opportunité(s) écartée(s) : trop loin du domicile"]
    assert any("projet" in r for r in result.items[0].reasons) and result.items[0].matched_skills


def test_travel_time_limit_uses_the_fastest_mode() -> None:
    base = {"home_postcode": 4000, "max_distance_km": 100, "max_travel_minutes": 45}
    walker = beneficiary(constraints={**base, "transport_modes": ["walk"]})
    bus = beneficiary(constraints={**base, "transport_modes": ["walk", "public_transport"]})
    seraing = opportunity(location={"postcode": 4100})  # about 8 km from Liège
    assert violations(walker, seraing, TODAY, ALL) == ["travel_time"]
    assert violations(bus, seraing, TODAY, ALL) == []


def test_an_unknown_french_level_or_licence_is_a_question_not_a_refusal() -> None:
    """A new profile whose French level and licence were not asked yet keeps the offers that
    ask them; each card says what to check, and the notes count them."""
    unknown = beneficiary(
        languages=[],
        constraints={"home_postcode": 4000, "driving_licences_unknown": True},
        aspirations={"target_rome_codes": ["K2204"]},
    )
    a2 = opportunity(id="a2", prerequisites={"french_level": "A2"})
    van = opportunity(id="van", title="Chauffeur-livreur", prerequisites={"driving_licence": "B"})
    training = opportunity(
        id="fle",
        kind="training",
        contract_type="formation",
        title="Formation nettoyage",
        prerequisites={"french_level": "A1"},
    )
    for o in (a2, van, training):
        assert violations(unknown, o, TODAY, ALL) == [], o.id
    result = shortlist(unknown, OpportunityCatalogue([a2, van, training]), today=TODAY)
    checks = {i.opportunity_id: i.to_check for i in result.items}
    assert checks == {
        "a2": ["niveau de français à vérifier (A2 demandé)"],
        "van": ["permis de conduire à vérifier (permis B demandé)"],
        "fle": ["niveau de français à vérifier (A1 demandé)"],
    }
    assert result.removed_by_constraint == {}
    assert any("2 opportunité(s) en demandent un" in n for n in result.notes)
    # a level that is known and too low still removes the offer, and so does "no licence"
    known = beneficiary(languages=[{"language": "fr", "level": "A1"}])
    assert violations(known, a2, TODAY, ALL) == ["french"]
    assert violations(known, van, TODAY, ALL) == ["licence"]
    mask = apply_filters(known, FilterColumns.of([a2, van, training]), TODAY, ALL).eligible
    assert mask.tolist() == [False, False, True]
