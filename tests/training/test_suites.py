"""External suites: built from vendored data only, split by concept, withholding what they test."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts.enums import OpportunityKind
from matching.linking import LinkMask, title_keys
from training.suites.metrics import query_metrics, summarise
from training.suites.shortlists import RECIPES, build_suite
from training.suites.split import fold_of, split_of
from training.suites.titles import (
    appellation_cases,
    belgian_cases,
    esco_alt_cases,
    melo_cases,
    noisy,
    noisy_title,
    withholding,
)
from tremplin.taxonomy import load_taxonomy
from tremplin.text import normalize


def test_the_split_is_by_concept_stable_and_about_half() -> None:
    tax = load_taxonomy()
    sides = Counter(split_of(c) for c in tax.metiers)
    assert 0.4 < sides["test"] / len(tax.metiers) < 0.6
    assert split_of("K2205") == split_of("K2205")  # a hash, not a draw
    assert {fold_of(c, 5) for c in tax.metiers} == set(range(5))


def test_melo_france_is_the_vendored_set() -> None:
    cases = melo_cases()
    assert len(cases) == 1435
    tax = load_taxonomy()
    assert all(len(c.gold) == 1 and min(c.gold) in tax.esco_occupations for c in cases)
    assert all(c.split == split_of(min(c.gold)) for c in cases)
    # the query is a crosswalk title of its answer: that mapping is withheld from the index
    assert all(c.held_mapped for c in cases)


def test_every_case_sits_on_its_answer_s_side() -> None:
    tax = load_taxonomy()
    for cases in (esco_alt_cases(tax, 200), appellation_cases(tax, 200), belgian_cases(tax)):
        assert cases and all(c.split == split_of(min(c.gold)) for c in cases)
        assert all((min(c.gold), normalize(c.query)) in c.held | c.held_mapped for c in cases)


def test_a_title_withheld_as_new_is_new_everywhere() -> None:
    tax = load_taxonomy()
    for case in appellation_cases(tax, 300):
        assert title_keys(case.query) <= case.held_keys  # its lookup keys find nothing
        norm = normalize(case.query)
        owners = {c for c, label in case.held if label == norm}
        filed = {a.code_rome for a in tax.appellations.values() if normalize(a.label) == norm}
        assert filed <= owners  # withheld from every métier that files the same title


def test_gender_forms_of_an_alternative_label_are_withheld_together() -> None:
    tax = load_taxonomy()
    for case in esco_alt_cases(tax, 300):
        uri = min(case.gold)
        occ = tax.esco_occupations[uri]
        folded = {k for k in title_keys(case.query) if k.startswith("~")}
        for label in [*occ.alt_labels]:
            if folded & {k for k in title_keys(label) if k.startswith("~")}:
                assert (uri, normalize(label)) in case.held


def test_masks_withhold_every_test_concept_and_the_dev_fold() -> None:
    tax = load_taxonomy()
    held = withholding(sorted(tax.esco_occupations))
    for case in melo_cases()[:300]:
        mask = held.mask(case)
        assert held.test <= mask.concepts
        if case.split == "dev":
            assert case.gold <= mask.concepts
            fold = fold_of(min(case.gold), 5)
            assert all(fold_of(c, 5) == fold for c in mask.concepts - held.test)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 1434))
def test_noise_changes_the_text_not_the_answer(seed: int, index: int) -> None:
    case = melo_cases()[index]
    rng = random.Random(seed)
    text = noisy_title(case.query, rng)
    assert normalize(text)
    (variant,) = noisy([case], seed)
    assert variant.gold == case.gold and variant.split == case.split
    assert variant.held_mapped == case.held_mapped


@pytest.mark.parametrize("recipe", RECIPES)
def test_shortlist_recipes_are_deterministic_and_graded_by_rome(recipe: str) -> None:
    tax = load_taxonomy()
    suite = build_suite(recipe, tax, seeds=8)
    again = build_suite(recipe, tax, seeds=8)
    assert [o.model_dump() for o in suite.opportunities] == [
        o.model_dump() for o in again.opportunities
    ]
    assert [p.model_dump() for p in suite.profiles] == [p.model_dump() for p in again.profiles]
    assert suite.profiles
    for p in suite.profiles:
        target = suite.target[p.id]
        assert p.aspirations.target_rome_codes == [] and p.aspirations.text
        assert suite.split[p.id] == split_of(target)
        gains = suite.gains(p.id, tax)
        assert 3.0 in gains.values()  # its own métier is in the catalogue
        for o in suite.opportunities:
            m = suite.metier[o.id]
            if m == target:
                assert gains[o.id] == 3.0
            elif o.kind is not OpportunityKind.TRAINING and m in tax.mobilities(target):
                assert gains[o.id] == 2.0
        # skills are never the target's core ones (the recipes' design)
        assert not {s.id for s in p.skills} & set(tax.core_skills(target))
    coded = all(o.occupation.rome_code for o in suite.opportunities)
    assert coded == (recipe != "uncoded")
    kinds = {o.kind for o in suite.opportunities}
    assert kinds == (set(OpportunityKind) if recipe == "pathways" else {OpportunityKind.JOB_OFFER})


def test_uncoded_is_the_coded_recipe_without_codes() -> None:
    tax = load_taxonomy()
    coded, uncoded = build_suite("coded", tax, seeds=6), build_suite("uncoded", tax, seeds=6)
    assert [o.title for o in coded.opportunities] == [o.title for o in uncoded.opportunities]
    assert [p.aspirations.text for p in coded.profiles] == [
        p.aspirations.text for p in uncoded.profiles
    ]


def test_ranking_metrics_on_known_rankings() -> None:
    gains = {"a": 3.0, "b": 2.0, "c": 0.0, "d": 1.0}
    perfect = query_metrics(["a", "b", "d", "c"], gains, 2.0)
    assert perfect == (1.0, 1.0, 1.0, 1.0)
    worst = query_metrics(["c", "d"], gains, 2.0)
    assert worst[1:] == (0.0, 0.0, 0.0) and 0 < worst[0] < 0.5
    second = query_metrics(["c", "a"], gains, 2.0)
    assert second[2] == 0.5 and second[3] == 0.0 and second[1] == 0.5
    figures = summarise(np.asarray([perfect, worst, second]))
    assert figures["mrr"].low <= figures["mrr"].value <= figures["mrr"].high


def test_no_mapping_mask_is_truthy() -> None:
    assert LinkMask(no_mappings=True) and not LinkMask()
