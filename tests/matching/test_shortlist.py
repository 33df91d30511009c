"""The hybrid shortlist, pathways and duplicate collapse, on hand-made cases and the sample."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from data_contracts.enums import OpportunityKind
from matching.catalogue import OpportunityCatalogue, build_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.filters import violations
from matching.shortlist import score_opportunities, shortlist
from tests.factories import beneficiary, opportunity
from tremplin.errors import EmptyProfileError
from tremplin.sample.draw import REFERENCE_DATE
from tremplin.sample.generator import generate
from tremplin.taxonomy import load_taxonomy

TODAY = dt.date(2026, 11, 1)
ALL = frozenset(OpportunityKind)


@pytest.fixture(scope="module")
def sample_catalogue(encoder: Encoder, embedding_cache: EmbeddingCache) -> OpportunityCatalogue:
    data = generate(42, n_opportunities=600, n_beneficiaries=40)
    ids = np.arange(100, 100 + len(data.opportunities), dtype=np.int64)
    index = build_vector_index(data.opportunities, ids, encoder, embedding_cache)
    cat = OpportunityCatalogue(data.opportunities, ids=ids, encoder=encoder, index=index)
    cat.sample_beneficiaries = data.beneficiaries  # type: ignore[attr-defined]
    return cat


def test_a_free_text_wish_finds_its_trade_through_the_dense_channel(
    sample_catalogue: OpportunityCatalogue,
) -> None:
    person = beneficiary(
        aspirations={"text": "je voudrais travailler dans les soins aux personnes âgées"},
        constraints={"home_postcode": 4000, "max_distance_km": 60},
    )
    result = shortlist(person, sample_catalogue, top=10, today=REFERENCE_DATE)
    assert result.encoder_version and result.items
    care = {"J1501", "J1301", "K1302", "K1311", "K1304"}
    codes = [
        sample_catalogue.opportunities[
            sample_catalogue.by_external_id[i.opportunity_id]
        ].occupation.rome_code
        for i in result.items[:5]
    ]
    assert sum(c in care for c in codes) >= 3, codes
    assert all(i.channels.dense >= 0 for i in result.items)


def test_sample_shortlists_respect_constraints_and_explain_themselves(
    sample_catalogue: OpportunityCatalogue,
) -> None:
    by_id = {o.id: o for o in sample_catalogue.opportunities}
    for person in sample_catalogue.sample_beneficiaries[:15]:  # type: ignore[attr-defined]
        result = shortlist(person, sample_catalogue, top=10, today=REFERENCE_DATE)
        scores = [i.score for i in result.items]
        assert scores == sorted(scores, reverse=True)
        for item in result.items:
            assert violations(person, by_id[item.opportunity_id], REFERENCE_DATE, ALL) == []
            assert item.reasons, item
        for kind, items in result.by_kind.items():
            assert all(i.kind is kind for i in items) and len(items) <= 10
        # pathways close the gap they claim to
        for pathway in result.pathways:
            have = {s.id for s in person.skills}
            covered = set(pathway.covered_skills)
            for step in pathway.steps:
                if step.step == "training":
                    taught = {s.id for s in by_id[step.opportunity_id].taught_skills}
                    labels = {sample_catalogue.taxonomy.skill_label(s) for s in taught}
                    assert set(step.brings) <= labels
                if step.opportunity_id:
                    assert step.opportunity_id in by_id
            for job in pathway.reachable_job_ids:
                required = {s.id for s in by_id[job].required_skills}
                assert required <= have | covered


def test_pathway_picks_fewest_modules_then_internship_then_jobs() -> None:
    tax = load_taxonomy()
    core = tax.core_skills("K2204")[:2]
    assert len(core) == 2
    person = beneficiary(aspirations={"target_rome_codes": ["K2204"]})
    job = dict(occupation={"rome_code": "K2204"}, required_skills=core)
    items = [
        opportunity(id="job-1", **job),
        opportunity(id="job-2", **job, location={"postcode": 4020}),
        opportunity(
            id="t-one", kind="training", contract_type="formation", title="Formation nettoyage",
            required_skills=[], taught_skills=core[:1],
        ),
        opportunity(
            id="t-both", kind="training", contract_type="formation", title="Formation complète",
            required_skills=[], taught_skills=core, location={"postcode": 4020},
        ),
        opportunity(
            id="stage", kind="internship", contract_type="stage", title="Stage nettoyage",
            occupation={"rome_code": "K2204"}, required_skills=core[:1],
        ),
    ]  # fmt: skip
    result = shortlist(person, OpportunityCatalogue(items), today=TODAY)
    assert len(result.pathways) == 1
    path = result.pathways[0]
    assert [s.step for s in path.steps] == ["training", "internship", "job", "job"]
    assert path.steps[0].opportunity_id == "t-both"
    assert set(path.covered_skills) == set(core) and path.remaining_gap == []
    assert set(path.reachable_job_ids) == {"job-1", "job-2"}
    # once the person has the skills, the métier is open and no pathway is proposed
    skilled = beneficiary(
        aspirations={"target_rome_codes": ["K2204"]}, skills=[{"id": s} for s in core]
    )
    assert shortlist(skilled, OpportunityCatalogue(items), today=TODAY).pathways == []


def test_a_licence_blocker_becomes_a_prerequisite_step() -> None:
    person = beneficiary(
        aspirations={"target_rome_codes": ["N4101"]}, skills=[{"id": "rome:100023"}]
    )
    items = [
        opportunity(
            id="truck", occupation={"rome_code": "N4101"}, required_skills=["rome:100023"],
            prerequisites={"driving_licence": "C"},
        ),
        opportunity(
            id="permis", kind="training", contract_type="formation",
            title="Formation permis C", required_skills=[],
        ),
    ]  # fmt: skip
    result = shortlist(person, OpportunityCatalogue(items), today=TODAY)
    assert result.items == [] or all(i.opportunity_id != "truck" for i in result.items)
    path = result.pathways[0]
    assert path.steps[0].step == "prerequisite" and path.steps[0].opportunity_id == "permis"
    assert "permis C requis" in path.blocking and path.reachable_job_ids == ["truck"]


def test_the_same_offer_posted_twice_is_shown_once() -> None:
    person = beneficiary(skills=[{"id": "rome:100023"}])
    same = dict(employer_id="emp-1", occupation={"rome_code": "K2205"})
    items = [
        opportunity(id="forem-1", title="Technicien de surface (h/f/x)", **same),
        opportunity(id="site-1", title="TECHNICIENNE DE SURFACE H/F", **same),
        opportunity(id="other", title="Technicien de surface", employer_id="emp-2"),
    ]
    result = shortlist(person, OpportunityCatalogue(items), today=TODAY)
    ids = [i.opportunity_id for i in result.items]
    assert len(ids) == 2 and "other" in ids
    kept = next(i for i in result.items if i.opportunity_id != "other")
    assert kept.duplicates == [({"forem-1", "site-1"} - {kept.opportunity_id}).pop()]


def test_an_empty_profile_is_refused_and_constraints_never_empty_silently() -> None:
    with pytest.raises(EmptyProfileError, match="profil vide"):
        shortlist(beneficiary(), OpportunityCatalogue([opportunity()]), today=TODAY)
    person = beneficiary(skills=[{"id": "rome:100023"}])
    result = shortlist(person, OpportunityCatalogue([opportunity(places_available=0)]), today=TODAY)
    assert result.items == [] and result.removed_by_constraint == {"places": 1}
    assert any("aucune opportunité" in n for n in result.notes)


def test_a_job_day_pair_scores_what_the_shortlist_scores(
    sample_catalogue: OpportunityCatalogue,
) -> None:
    """Job days rate a (person, stand offer) pair with :func:`score_opportunities`
    (``services.jobdays.scoring``): for every offer a person's shortlist shows, that is the
    shortlist's own score, and the ranks keep the shortlist's order within each kind."""
    cat = sample_catalogue
    compared = 0
    for person in cat.sample_beneficiaries[:12]:  # type: ignore[attr-defined]
        result = shortlist(person, cat, top=15, today=REFERENCE_DATE, with_pathways=False)
        for items in result.by_kind.values():
            if not items:
                continue
            positions = np.asarray([cat.by_external_id[i.opportunity_id] for i in items])
            rated = score_opportunities(person, cat, positions, REFERENCE_DATE)
            assert rated.eligible.all()
            for item, quality in zip(items, rated.quality, strict=True):
                assert quality == pytest.approx(min(max(item.score, 0.0), 1.0), abs=1e-4)
            assert list(rated.rank) == sorted(rated.rank)  # the shortlist's order
            assert rated.rank[0] >= 1
            compared += len(items)
    assert compared > 50


def test_pathway_steps_run_forward_in_time_and_never_require_what_they_bring() -> None:
    """The internship starts after the modules (not the one starting before them), a job offer of today keeps no date before the preparation ends, and a
    prerequisite without a module names the goal without claiming to bring it."""
    tax = load_taxonomy()
    core = tax.core_skills("K2204")[:1]
    person = beneficiary(
        aspirations={"target_rome_codes": ["K2204"]}, languages=[{"language": "fr", "level": "A1"}]
    )
    job = dict(occupation={"rome_code": "K2204"}, required_skills=core)
    training = dict(kind="training", contract_type="formation", required_skills=[])
    items = [
        opportunity(
            id="job", **job, start_date="2026-11-08", prerequisites={"french_level": "A2"}
        ),
        opportunity(
            id="t-late", **training, title="Formation nettoyage", taught_skills=core,
            start_date="2026-12-26", location={"postcode": 4020},
        ),
        opportunity(
            id="stage-before", kind="internship", contract_type="stage", title="Stage avant",
            occupation={"rome_code": "K2204"}, required_skills=[], start_date="2026-12-06",
        ),
        opportunity(
            id="stage-after", kind="internship", contract_type="stage", title="Stage après",
            occupation={"rome_code": "K2204"}, required_skills=[], start_date="2027-01-20",
            location={"postcode": 4020},
        ),
    ]  # fmt: skip
    path = shortlist(person, OpportunityCatalogue(items), today=TODAY).pathways[0]
    assert [s.step for s in path.steps] == ["prerequisite", "training", "internship", "job"]
    prerequisite = path.steps[0]
    assert prerequisite.opportunity_id is None and prerequisite.brings == []
    assert "français niveau A2" in prerequisite.title
    assert [s.opportunity_id for s in path.steps[1:]] == ["t-late", "stage-after", "job"]
    dates = [s.start_date for s in path.steps if s.start_date]
    assert dates == sorted(dates) and path.steps[-1].start_date is None
