"""Valid contracts to start tests from, and hypothesis strategies for them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from data_contracts.enums import (
    CefrLevel,
    ContractType,
    EducationLevel,
    LicenceCategory,
    OpportunityKind,
    OpportunitySource,
    Shift,
    TrajectoryPhase,
    TransportMode,
)
from data_contracts.models import BeneficiaryProfile, Opportunity

# Real postcodes spread over the sample's area
POSTCODES = [4000, 4020, 4040, 4100, 4400, 4430, 4500, 4800, 1000, 1080, 1070, 1030]
SKILLS = [
    "rome:100023",
    "rome:100063",
    "rome:100003",
    "rome:100007",
    "rome:100011",
    "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab",
]
ROME = ["K2204", "K2205", "N1103", "J1501", "G1602", "M1602"]


def opportunity(**overrides: Any) -> Opportunity:
    """A valid job offer; ``overrides`` replaces top-level fields."""
    data: dict[str, Any] = {
        "id": "opp-1",
        "kind": "job_offer",
        "title": "Technicien de surface (h/f/x)",
        "location": {"postcode": 4000},
        "contract_type": "cdd",
        "source": "forem",
        "occupation": {"rome_code": "K2205"},
        "required_skills": ["rome:100023"],
    }
    data.update(overrides)
    return Opportunity.model_validate(data)


def beneficiary(**overrides: Any) -> BeneficiaryProfile:
    """A valid beneficiary of cpas-liege; ``overrides`` replaces top-level fields."""
    data: dict[str, Any] = {
        "id": "ben-1",
        "cpas_id": "cpas-liege",
        "constraints": {"home_postcode": 4000},
        "languages": [{"language": "fr", "level": "B1"}],
    }
    data.update(overrides)
    return BeneficiaryProfile.model_validate(data)


_dates = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
_CHARACTERS = st.characters(
    codec="utf-8", exclude_characters="\x00"
)  # the contracts refuse NUL (PostgreSQL)
_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip())


@st.composite
def opportunities(draw: st.DrawFn, ident: str | None = None) -> Opportunity:
    """Any valid opportunity."""
    kind = draw(st.sampled_from(list(OpportunityKind)))
    contract = {
        OpportunityKind.TRAINING: ContractType.FORMATION,
        OpportunityKind.INTERNSHIP: ContractType.STAGE,
    }.get(kind) or draw(
        st.sampled_from(
            [
                ContractType.CDI,
                ContractType.CDD,
                ContractType.INTERIM,
                ContractType.ARTICLE_60,
                ContractType.TITRES_SERVICES,
            ]
        )
    )
    skills = draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=5))
    split = draw(st.integers(0, len(skills)))
    start = draw(st.none() | _dates)
    end = (
        None
        if start is None
        else draw(st.none() | st.dates(min_value=start, max_value=dt.date(2028, 12, 31)))
    )
    return Opportunity(
        id=ident or draw(st.from_regex(r"[a-z0-9][a-z0-9_.:-]{0,20}", fullmatch=True)),
        kind=kind,
        title=draw(_text).strip()[:200],
        description=draw(st.text(_CHARACTERS, max_size=60)).strip(),
        occupation={"rome_code": draw(st.none() | st.sampled_from(ROME))},
        required_skills=skills[:split],
        optional_skills=skills[split:],
        location={"postcode": draw(st.sampled_from(POSTCODES))},
        contract_type=contract,
        hours_per_week=draw(st.none() | st.sampled_from([10.0, 19.0, 24.0, 30.0, 38.0])),
        shifts=draw(st.lists(st.sampled_from(list(Shift)), unique=True, max_size=3)),
        start_date=start,
        end_date=end,
        places_available=draw(st.integers(0, 5)),
        prerequisites={
            "driving_licence": draw(
                st.none() | st.sampled_from([LicenceCategory.B, LicenceCategory.C])
            ),
            "french_level": draw(st.none() | st.sampled_from(list(CefrLevel))),
            "article_60_eligibility": contract is ContractType.ARTICLE_60,
        },
        source=draw(st.sampled_from(list(OpportunitySource))),
        valid_until=draw(st.none() | _dates),
        reserved_for_cpas="cpas-liege"
        if contract is ContractType.ARTICLE_60 and draw(st.booleans())
        else None,
    )


@st.composite
def beneficiaries(draw: st.DrawFn) -> BeneficiaryProfile:
    """Any valid beneficiary profile of cpas-liege."""
    licences = draw(
        st.lists(
            st.sampled_from([LicenceCategory.B, LicenceCategory.C, LicenceCategory.CE]),
            unique=True,
            max_size=2,
        )
    )
    modes = draw(
        st.lists(
            st.sampled_from(
                [TransportMode.WALK, TransportMode.BIKE, TransportMode.PUBLIC_TRANSPORT]
            ),
            unique=True,
            min_size=1,
        )
    )
    if licences and draw(st.booleans()):
        modes.append(TransportMode.CAR)
    return BeneficiaryProfile(
        id=draw(st.from_regex(r"b[0-9]{1,6}", fullmatch=True)),
        cpas_id="cpas-liege",
        skills=[
            {"id": s, "level": draw(st.integers(1, 4))}
            for s in draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=5))
        ],
        education_level=draw(st.sampled_from(list(EducationLevel))),
        languages=[{"language": "fr", "level": draw(st.sampled_from(list(CefrLevel)))}],
        aspirations={
            "text": draw(st.text(_CHARACTERS, max_size=80)),
            "target_rome_codes": draw(st.lists(st.sampled_from(ROME), unique=True, max_size=2)),
        },
        constraints={
            "home_postcode": draw(st.sampled_from(POSTCODES)),
            "max_distance_km": draw(st.floats(1, 120)),
            "transport_modes": modes,
            "driving_licences": licences,
            "available_shifts": draw(
                st.lists(st.sampled_from(list(Shift)), unique=True, min_size=1)
            ),
            "max_hours_per_week": draw(st.sampled_from([19.0, 24.0, 38.0])),
            "available_from": draw(st.none() | _dates),
        },
        trajectory_phase=draw(st.sampled_from(list(TrajectoryPhase))),
        article_60_eligible=draw(st.booleans()),
    )
