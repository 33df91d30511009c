"""k-anonymity of the pool's cards and the unlinkability of their pseudonyms (hypothesis)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts.enums import CefrLevel, EducationLevel, LicenceCategory
from tremplin.anonymity import (
    CARD_CHARS,
    CARD_PREFIX,
    HIDDEN,
    QUASI_IDENTIFIERS,
    PersonFacts,
    card_pseudonym,
    fully_hidden,
    information_loss,
    k_anonymous,
    participant_code,
)

POSTCODES = (1000, 1080, 1070, 4000, 4020, 4100, 4040, 4400, 4600, 5000, 6000, 9999)

facts = st.builds(
    PersonFacts,
    postcode=st.sampled_from(POSTCODES),
    languages=st.lists(
        st.tuples(
            st.sampled_from(["fr", "ar", "nl", "en", "tr"]), st.sampled_from(list(CefrLevel))
        ),
        max_size=3,
        unique_by=lambda x: x[0],
    ).map(lambda xs: tuple(sorted(xs))),
    education=st.sampled_from(list(EducationLevel)),
    licences=st.lists(st.sampled_from(list(LicenceCategory)), max_size=3, unique=True).map(
        lambda xs: tuple(sorted(xs))
    ),
    experience_months=st.integers(0, 400),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population=st.lists(facts, max_size=120), k=st.integers(1, 12))
def test_every_shown_combination_is_shared_by_k_people(
    population: list[PersonFacts], k: int
) -> None:
    shown = k_anonymous(population, k)
    if len(population) < k:
        assert shown is None
        return
    assert shown is not None
    counts = Counter(tuple(shown.show(f).values()) for f in population)
    assert min(counts.values()) >= k
    assert shown.smallest_class == min(counts.values())
    assert 0.0 <= shown.loss <= 1.0


@settings(max_examples=30, deadline=None)
@given(population=st.lists(facts, min_size=5, max_size=60))
def test_the_least_lossy_generalisation_is_chosen(population: list[PersonFacts]) -> None:
    shown = k_anonymous(population, 5)
    assert shown is not None
    hidden = fully_hidden(5, len(population))
    assert shown.loss <= hidden.loss == 1.0
    assert set(hidden.show(population[0]).values()) == {HIDDEN}


def test_identical_people_show_exactly() -> None:
    one = PersonFacts(
        4000, (("fr", CefrLevel.B2),), EducationLevel.UPPER_SECONDARY, (LicenceCategory.B,), 30
    )
    shown = k_anonymous([one] * 6, 5)
    assert shown is not None and information_loss(shown.levels) == 0.0
    assert shown.show(one) == {
        "area": "Liège",
        "languages": "français B2",
        "education": "CESS",
        "licence": "B",
        "experience": "1 à 3 ans",
    }
    assert tuple(shown.show(one)) == QUASI_IDENTIFIERS


@given(
    employer_a=st.text(min_size=1, max_size=20),
    employer_b=st.text(min_size=1, max_size=20),
    person=st.text(min_size=1, max_size=20),
)
def test_card_pseudonyms_are_stable_and_differ_across_employers(
    employer_a: str, employer_b: str, person: str
) -> None:
    key = b"k" * 32
    a = card_pseudonym(key, employer_a, "cpas-liege", person)
    assert a == card_pseudonym(key, employer_a, "cpas-liege", person)
    assert a.startswith(CARD_PREFIX) and len(a) == len(CARD_PREFIX) + CARD_CHARS
    if employer_a != employer_b:
        assert a != card_pseudonym(key, employer_b, "cpas-liege", person)
    assert a != card_pseudonym(b"other-key" * 4, employer_a, "cpas-liege", person)
    assert a != participant_code(key, employer_a, "cpas-liege", person)
