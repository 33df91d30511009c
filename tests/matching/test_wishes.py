"""Wishes as people say them: a precise title, a vague one, activities, Belgian usage — read
with a probability, and the person's skills choosing among what a vague wish may mean."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np
import pytest

from matching.ad_coding import AdCoder
from matching.catalogue import OpportunityCatalogue, build_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder, TextKind
from matching.occupations import OccupationLinker
from matching.profile import ProfileView
from matching.shortlist import shortlist
from matching.skill_text import SkillReader, clauses
from tests.factories import beneficiary
from tremplin.sample.draw import REFERENCE_DATE
from tremplin.sample.generator import generate
from tremplin.settings import get_settings
from tremplin.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def coder(encoder: Encoder, linker: OccupationLinker) -> AdCoder:
    from matching.engine import ad_coder

    return ad_coder(get_settings(), encoder)


def _targets(
    text: str, coder: AdCoder, linker: OccupationLinker, skills: list[str] | None = None
) -> dict[str, float]:
    person = beneficiary(aspirations={"text": text}, skills=[{"id": s} for s in skills or []])
    return ProfileView(person, coder.taxonomy, linker, coder).target_weights


def test_a_precise_title_is_read_surely_and_a_belgian_one_too(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    caissiere = _targets("Je cherche un emploi de caissière", coder, linker)
    assert next(iter(caissiere)) == "D1505" and caissiere["D1505"] > 0.8
    # the report: linked to Repasseur (D1236) before the Belgian list knew it
    helper = _targets("Je voudrais travailler comme aide ménagère à domicile", coder, linker)
    assert next(iter(helper)) == "K1304" and "D1236" not in helper


def test_a_wish_told_as_activities_reaches_the_metier_that_does_them(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    wish = (
        "J'aimerais un travail où je peux conditionner des produits et contrôler un "
        "approvisionnement"
    )
    read = _targets(wish, coder, linker)
    assert next(iter(read)) == "H3302"  # agent de conditionnement
    assert all(not code.startswith("K21") for code in read)  # not conseiller d'orientation
    garden = _targets(
        "J'aimerais tailler les arbres et entretenir les espaces verts", coder, linker
    )
    assert next(iter(garden)).startswith("A12")


def test_the_person_s_skills_say_which_chef_is_meant(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    tax = load_taxonomy()
    alone = _targets("Je souhaite travailler comme chef", coder, linker)
    assert max(alone.values()) < 0.3  # vague: no reading weighs like a sure one
    cook = _targets(
        "Je souhaite travailler comme chef", coder, linker, tax.core_skills("G1601")[:5]
    )
    site = _targets(
        "Je souhaite travailler comme chef", coder, linker, tax.core_skills("F1202")[:5]
    )
    assert next(iter(cook)) == "G1601" and next(iter(site)) == "F1202"
    assert cook["G1601"] > 2 * max((v for c, v in cook.items() if c != "G1601"), default=0.0)


def test_a_career_changer_s_precise_wish_is_read_as_said_not_as_their_past(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    """Skills choose among what a *vague* wish may mean; a cook who wants to drive a forklift
    is read as a cariste, not sent back to the kitchen."""
    tax = load_taxonomy()
    cook = tax.core_skills("G1601")[:5]
    read = _targets("Je voudrais devenir cariste", coder, linker, cook)
    assert next(iter(read)) == "N1101" and read["N1101"] > 0.8
    assert all(tax.metiers[c].parent != "G1601" for c in read)


def test_a_wish_that_names_no_trade_is_read_as_nothing_sure(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    read = _targets(
        "Je voudrais un travail, n'importe lequel, le plus vite possible", coder, linker
    )
    assert max(read.values(), default=0.0) < 0.5


def test_readings_weigh_their_probability_and_never_more_than_the_wish(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    for text in (
        "Je souhaite travailler comme chef",
        "dans le nettoyage",
        "Je veux devenir aide-soignante",
    ):
        person = beneficiary(aspirations={"text": text})
        view = ProfileView(person, coder.taxonomy, linker, coder)
        readings = view.wish_readings
        assert readings and sum(p for _, p in readings) <= 1.0 + 1e-6
        assert all(view.target_weights[c] <= 1.0 for c in view.target_weights)
    given = beneficiary(aspirations={"text": "chef", "target_rome_codes": ["G1601"]})
    assert ProfileView(given, coder.taxonomy, linker, coder).target_weights["G1601"] == 1.0


def test_skills_named_in_a_text_are_found_with_their_sentence() -> None:
    reader = SkillReader(load_taxonomy())
    text = (
        "Vos missions :\n- Laver des vitres\n- Dépoussiérer les meubles et aérer les pièces\n"
        "Vous aimez le contact ; vous savez préparer des repas simples."
    )
    found = {m.label: m for m in reader.read(text)}
    assert "Laver des vitres" in found and found["Laver des vitres"].sentence == "Laver des vitres"
    assert "Préparer des repas" in found
    assert all(m.similarity >= 0.5 for m in found.values())
    assert reader.read("Bonjour, merci.") == []


def test_clauses_split_lists_sentences_and_joined_activities() -> None:
    assert clauses("tondre les pelouses et tailler les haies. Permis B souhaité") == [
        "tondre les pelouses",
        "tailler les haies",
        "Permis B souhaité",
    ]


def test_a_new_wish_costs_one_encoder_pass_and_none_the_second_time(
    coder: AdCoder,
    linker: OccupationLinker,
    encoder: Encoder,
    embedding_cache: EmbeddingCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cold path: the wish's clauses, the experience titles and what the ad coder reads go
    through the encoder together, once; the linker, the coder and the dense query read them
    from memory (the métiers' labels from the label vectors), and a second shortlist of the
    same person encodes nothing."""
    data = generate(5, n_opportunities=300, n_beneficiaries=2)
    ids = np.arange(len(data.opportunities), dtype=np.int64)
    index = build_vector_index(data.opportunities, ids, encoder, embedding_cache)
    cat = OpportunityCatalogue(
        data.opportunities, ids=ids, encoder=encoder, index=index, linker=linker, coder=coder
    )
    person = beneficiary(
        aspirations={"text": f"J'aimerais devenir magasinière, cariste {uuid.uuid4().hex[:6]}"},
        experiences=[
            {"title": "Préparatrice de commandes en entrepôt", "months": 8},
            {"title": "Caissière", "months": 20, "rome_code": "D1505"},
        ],
        constraints={"home_postcode": 4000},
    )
    passes: list[int] = []
    real = encoder.encode

    def counted(texts: Sequence[str], kind: TextKind) -> np.ndarray:
        passes.append(len(texts))
        return real(texts, kind)

    monkeypatch.setattr(encoder, "encode", counted)
    first = shortlist(person, cat, top=10, today=REFERENCE_DATE)
    assert first.items and len(passes) == 1, passes
    view = ProfileView.of(person, cat)
    assert "Préparatrice de commandes en entrepôt" in view.encoded_texts
    assert any(t.startswith("magasinière") for t in view.encoded_texts)  # lead-in removed
    q = view.query_vector(encoder)
    assert q.dtype == np.float32 and abs(float(np.linalg.norm(q)) - 1.0) < 1e-5
    # the surest métiers read in the wish join the query by their labels' vectors
    labels = {cat.taxonomy.metiers[c].label for c, w in view.target_weights.items() if w >= 0.5}
    assert labels and labels <= set(view.query_parts)
    assert all(linker.label_vector(label) is not None for label in labels)
    again = shortlist(person, cat, top=10, today=REFERENCE_DATE)
    assert len(passes) == 1, passes
    assert [i.opportunity_id for i in again.items] == [i.opportunity_id for i in first.items]
