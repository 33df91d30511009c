"""Contracts: round-trips (JSON and tabular), domain rejects, schema files up to date."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from data_contracts.models import BeneficiaryProfile, Opportunity, OutcomeEvent
from data_contracts.schemas import SCHEMA_DIR, render_schemas
from data_contracts.tabular import to_flat_row, validate_table
from tests.factories import beneficiaries, beneficiary, opportunities, opportunity

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(opportunities())
def test_opportunity_json_round_trip(o: Opportunity) -> None:
    assert Opportunity.model_validate_json(o.model_dump_json()) == o


@SLOW
@given(beneficiaries())
def test_beneficiary_json_round_trip(b: BeneficiaryProfile) -> None:
    assert BeneficiaryProfile.model_validate_json(b.model_dump_json()) == b


@SLOW
@given(opportunities())
def test_opportunity_tabular_round_trip(o: Opportunity) -> None:
    result = validate_table(pd.DataFrame([to_flat_row(o)], dtype=object), [2], Opportunity)
    assert result.errors == [] and result.file_errors == []
    assert result.valid[0][1] == o


@SLOW
@given(beneficiaries())
def test_beneficiary_tabular_round_trip(b: BeneficiaryProfile) -> None:
    result = validate_table(pd.DataFrame([to_flat_row(b)], dtype=object), [2], BeneficiaryProfile)
    assert result.errors == [] and result.valid[0][1] == b


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"location": {"postcode": 4999}}, "inconnu"),
        ({"location": {"postcode": 999}}, "1000 et 9992"),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date"),
        ({"contract_type": "formation"}, "incompatible"),
        ({"contract_type": "article_60"}, "article 60"),
        ({"required_skills": ["Nettoyer"]}, "pattern"),
        ({"prerequisites": {"french_level": "B3"}}, "french_level"),
        ({"prerequisites": {"driving_licence": "Z"}}, "driving_licence"),
        ({"name": "Jean Dupont"}, "Extra inputs"),
    ],
)
def test_opportunity_rejects_domain_errors(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        opportunity(**overrides)
    assert fragment in str(exc.value)


def test_beneficiary_rejects_personal_fields_and_incoherence() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        beneficiary(nom="Dupont")
    with pytest.raises(ValidationError, match="Extra inputs"):
        beneficiary(niss="85073003328")
    with pytest.raises(ValidationError, match="permis"):
        beneficiary(constraints={"home_postcode": 4000, "transport_modes": ["car"]})
    with pytest.raises(ValidationError, match="double"):
        beneficiary(
            languages=[{"language": "fr", "level": "A2"}, {"language": "FR", "level": "B1"}]
        )


def test_postcode_accepts_belgian_prefixes() -> None:
    assert opportunity(location={"postcode": "B-4000"}).location.postcode == 4000


def test_refusal_needs_a_reason() -> None:
    base = {
        "id": "e1",
        "beneficiary_id": "b1",
        "cpas_id": "c1",
        "opportunity_id": "o1",
        "occurred_at": "2026-01-01T10:00:00Z",
    }
    with pytest.raises(ValidationError, match="refusal_reason"):
        OutcomeEvent.model_validate({**base, "type": "refused"})
    with pytest.raises(ValidationError, match="refusal_reason"):
        OutcomeEvent.model_validate({**base, "type": "hired", "refusal_reason": "distance"})
    assert OutcomeEvent.model_validate({**base, "type": "refused", "refusal_reason": "distance"})


def test_checked_in_json_schemas_are_current() -> None:
    for name, text in render_schemas().items():
        path = SCHEMA_DIR / name
        assert path.read_text(encoding="utf-8") == text, (
            f"{name} is stale: run `tremplin contracts export {SCHEMA_DIR}`"
        )
        assert json.loads(text)["x-schema-version"]
