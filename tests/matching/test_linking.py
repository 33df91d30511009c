"""The title linker's mechanics on a small vocabulary: lookup keys, lookup first, masks, scores."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.linking import LINK_FEATURES, LabelRow, LinkMask, LinkModel, TitleLinker, title_keys

ROWS = [
    LabelRow("clean", "agent d'entretien", "preferred"),
    LabelRow("clean", "nettoyeur de locaux", "alternative"),
    LabelRow("cook", "cuisinier", "preferred"),
    LabelRow("cook", "chef de cuisine", "alternative"),
    LabelRow("help", "aide-cuisinier", "preferred"),
    LabelRow("drive", "conducteur de bus", "preferred"),
]
MAPPINGS = [
    LabelRow("help", "commis de cuisine", "crosswalk"),
    LabelRow("clean", "technicien de surface", "synonym"),
]


def _linker() -> TitleLinker:
    return TitleLinker(ROWS, MAPPINGS, concept_label=str.upper)


def test_keys_fold_gender_marks_case_and_accents() -> None:
    assert title_keys("Technicien de surface (h/f/x)") == title_keys("TECHNICIEN DE SURFACE")
    assert title_keys("Technicienne de surface") & title_keys("technicien de surface")
    assert title_keys("Conducteur / Conductrice de bus") >= title_keys("conductrice de bus")
    assert title_keys("agent chargé de la sauvegarde") & title_keys("agent chargé sauvegarde")


def test_a_mapping_is_an_official_answer_ranked_first() -> None:
    found = _linker().link("Commis de cuisine H/F", 3)
    assert found[0].concept == "help" and found[0].mapped and found[0].score >= 0.95
    own = _linker().link("cuisinier", 3)
    assert own[0].concept == "cook" and own[0].exact and not own[0].mapped


def test_every_mask_takes_its_knowledge_away() -> None:
    linker = _linker()
    for mask in (
        LinkMask(concepts=frozenset({"help"})),
        LinkMask(mapped_labels=frozenset({("help", "commis de cuisine")})),
        LinkMask(no_mappings=True),
        LinkMask(keys=title_keys("commis de cuisine")),
    ):
        assert not any(m.mapped for m in linker.link("commis de cuisine", 5, mask)), mask
    hidden = linker.link("cuisinier", 5, LinkMask(labels=frozenset({("cook", "cuisinier")})))
    assert not any(m.exact and m.concept == "cook" for m in hidden)


@settings(max_examples=50, deadline=None)
@given(
    query=st.sampled_from(
        ["cuisine", "aide cuisine", "bus", "nettoyage", "technicien", "chef", "entretien locaux"]
    ),
    top=st.integers(1, 5),
)
def test_scores_never_rise_down_the_list(query: str, top: int) -> None:
    found = _linker().link(query, top)
    scores = [m.score for m in found]
    assert scores == sorted(scores, reverse=True)
    assert len({m.concept for m in found}) == len(found) <= top
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_model_round_trips_as_json(tmp_path: Path) -> None:
    model = LinkModel.untrained()
    path = tmp_path / "m.json"
    model.save(path)
    again = LinkModel.load(path)
    assert again == model and again.features == list(LINK_FEATURES)


def test_lookup_levels_are_the_linker_s_choice() -> None:
    from matching.linking import OWN_FIRST

    mappings = [LabelRow("help", "cuisinier", "crosswalk")]
    crosswalk_first = TitleLinker(ROWS, mappings, concept_label=str.upper)
    assert crosswalk_first.link("cuisinier", 2)[0].concept == "help"
    own_first = TitleLinker(ROWS, mappings, concept_label=str.upper, levels=OWN_FIRST)
    found = own_first.link("cuisinier", 2)
    assert found[0].concept == "cook" and not found[0].mapped and found[1].mapped


def test_a_local_usage_outranks_the_official_crosswalk() -> None:
    mappings = [
        LabelRow("cook", "plongeur", "crosswalk"),
        LabelRow("help", "plongeur", "synonym"),
    ]
    linker = TitleLinker(ROWS, mappings, concept_label=str.upper)
    found = linker.link("plongeuse", 3)
    assert [m.concept for m in found[:2]] == ["help", "cook"]
    assert found[0].score >= 0.95 and found[0].score >= found[1].score and found[1].mapped
