"""Ad coding: an uncoded ad's ROME métier read from its title and description, with a
calibrated probability, measured on the real dev ads with folds by métier."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from matching.ad_coding import Ad, AdCoder
from matching.catalogue import OpportunityCatalogue
from matching.encoder import Encoder
from matching.occupations import OccupationLinker
from matching.profile import ProfileView
from tests.factories import beneficiary, opportunity
from training.ad_coding import dev_ads
from tremplin.settings import get_settings
from tremplin_cli.main import app

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"


@pytest.fixture(scope="module")
def coder(encoder: Encoder, linker: OccupationLinker) -> AdCoder:
    from matching.engine import ad_coder

    return ad_coder(get_settings(), encoder)


def test_the_shipped_model_is_calibrated_and_reads_its_own_features(coder: AdCoder) -> None:
    """The fitted model the coder serves (its dev figures: the external evaluation's ad-coding
    table, tests/training/test_external_quality.py)."""
    model = coder.model
    assert model.temperature > 0 and len(model.coef) == len(model.features)
    assert model.dev_metrics["accuracy_at_1"] >= 0.70


def test_probabilities_are_ranked_and_sum_to_at_most_one(coder: AdCoder) -> None:
    ads = dev_ads()[:20]
    for found in coder.code_many([a.ad for a in ads], top=5):
        probs = [m.probability for m in found]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
        assert found[0].appellation  # the closest ROME title of the best métier


def test_an_ad_is_coded_with_the_rome_in_force_on_its_date(coder: AdCoder) -> None:
    text = (
        "Auxiliaire de vie (H/F)",
        "Vous accompagnez des personnes âgées à leur domicile : aide au lever, à la toilette, "
        "préparation des repas, courses.",
    )
    old = coder.code(Ad(*text, published=dt.date(2022, 6, 1)))[0]
    new = coder.code(Ad(*text))[0]
    tax = coder.taxonomy
    assert tax.metiers[old.code].parent == old.code  # one of the 532 historic fiches
    assert tax.metiers[new.code].parent == old.code  # the finest fiche under it


@pytest.mark.parametrize(
    ("title", "description", "code"),
    [
        ("Aide ménagère titres-services", "Entretien du domicile de nos clients.", "K1304"),
        ("Technicien de surface", "Nettoyage de bureaux le matin", "K2205"),
        (
            "Collaborateur polyvalent H/F",
            "Vous assurez la mise en rayon, le réassort et l'étiquetage des produits en magasin,"
            " et aidez les clients en caisse.",
            "D1507",
        ),
    ],
)
def test_titles_and_descriptions_people_write(
    coder: AdCoder, title: str, description: str, code: str
) -> None:
    found = coder.code(Ad(title, description), top=3)
    assert code in {m.code for m in found} or code in {
        coder.taxonomy.metiers[m.code].parent for m in found
    }, found


def test_an_uncoded_offer_weighs_its_possible_metiers_by_probability(
    coder: AdCoder, linker: OccupationLinker
) -> None:
    coded = opportunity(id="coded", title="Aide ménagère", occupation={"rome_code": "K1304"})
    uncoded = opportunity(
        id="uncoded",
        title="Aide ménagère titres-services",
        description="Entretien du domicile, repassage.",
        occupation={},
    )
    cat = OpportunityCatalogue([coded, uncoded], linker=linker, coder=coder)
    [(code, p), *_] = cat.inferred_occupations[1]
    assert cat.occupation_codes[1] == code and 0.2 <= p < 1.0
    person = beneficiary(aspirations={"target_rome_codes": ["K1304"]})
    from matching.features import query_signals

    signals = query_signals(ProfileView(person, cat.taxonomy), cat, dt.date(2026, 12, 6))
    assert signals.aspiration[0] == pytest.approx(1.0)  # the source's code: certain
    assert signals.aspiration[1] == pytest.approx(
        sum(
            p * (1.0 if c == "K1304" else ProfileView(person, cat.taxonomy).aspiration_score(c))
            for c, p in cat.inferred_occupations[1]
        ),
        abs=1e-5,
    )
    assert 0.2 <= signals.aspiration[1] < 1.0  # uncertain: never weighed as a certain match


def test_the_command_codes_feeds_ignoring_their_codes(
    coder: AdCoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        json.loads(x) for x in (FEEDS / "france_travail_dev_slice.jsonl").read_text().splitlines()
    ]
    wrong = dict(records[0], romeCode="A1101", intitule="Serveur en brasserie (H/F)")
    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    path = tmp_path / "ads.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [wrong, *records[1:4]]) + "\n")
    result = CliRunner().invoke(app, ["occupations", "code", "--input", str(path), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    assert [x["id"] for x in lines] == [r["id"] for r in [wrong, *records[1:4]]]
    first = lines[0]["metiers"]
    assert first[0]["code"].startswith("G18") and first[0]["code"] != "A1101"  # read, not copied
    assert {"code", "label", "appellation", "probability"} <= set(first[0])
    assert np.isclose(sum(m["probability"] for m in first), 1.0, atol=0.2)
    forem = CliRunner().invoke(
        app, ["occupations", "code", "--input", str(FEEDS / "forem_offers.jsonl"), "--json"]
    )
    assert forem.exit_code == 0 and "sans intitulé" in forem.output  # the titleless record
    csv = tmp_path / "a.csv"
    csv.write_text("id,title\n1,x\n")
    bad = CliRunner().invoke(app, ["occupations", "code", "--input", str(csv)])
    assert bad.exit_code == 2 and "France Travail" in bad.output
    get_settings.cache_clear()
