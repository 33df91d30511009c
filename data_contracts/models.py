"""The domain's contracts as pydantic v2 models (one source of truth).

JSON Schemas (data_contracts/schemas/) and the tabular import schemas
(data_contracts/tabular.py) are derived from these classes. No contract carries a
name, an address or a national register number: beneficiaries are pseudonymous.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Self

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from data_contracts.contract import Contract as Contract  # every contract's base
from data_contracts.contract import string_to_mapping
from data_contracts.enums import (
    JOB_CONTRACTS,
    ActorRole,
    AgeBand,
    CefrLevel,
    ContractType,
    EducationLevel,
    EmployerKind,
    Gender,
    LicenceCategory,
    OpportunityKind,
    OpportunitySource,
    Origin,
    OutcomeType,
    RefusalReason,
    Shift,
    SkillEvidence,
    TrajectoryPhase,
    TransportMode,
)
from data_contracts.types import (
    EscoOccupationUri,
    ExternalId,
    Hours,
    IscoCode,
    LanguageCode,
    LongText,
    Postcode,
    RomeCode,
    ShortText,
    SkillId,
    WrittenDateTime,
)

SCHEMA_VERSION = "1.2.0"


class SkillRef(Contract):
    """A taxonomy skill required or offered by an opportunity."""

    id: SkillId
    label: str | None = Field(default=None, max_length=300)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return string_to_mapping("id")(value)


class SkillSource(Contract):
    """Where an offer's skill was read: the ad's own words (an ad that listed none)."""

    id: SkillId
    sentence: str = Field(max_length=300)


class ProfileSkill(SkillRef):
    """A skill of a beneficiary, with a level (1 notions … 4 expert) and its evidence."""

    level: int = Field(default=2, ge=1, le=4)
    evidence: SkillEvidence = SkillEvidence.DECLARED


class Occupation(Contract):
    """The occupation of an opportunity in ROME and/or ESCO terms."""

    rome_code: RomeCode | None = None
    esco_uri: EscoOccupationUri | None = None
    isco_code: IscoCode | None = None
    appellation: str | None = Field(
        default=None, max_length=200, description="The ROME job title the source gives, if any."
    )


class Location(Contract):
    """A Belgian place: an employer's seat, a job day's venue (postcode required; street,
    commune and point optional)."""

    postcode: Postcode
    commune: str | None = Field(default=None, max_length=100)
    street: str | None = Field(
        default=None,
        max_length=200,
        description="Street and number, and the venue's name if any: what a convocation gives.",
    )
    lat: float | None = Field(default=None, ge=49.4, le=51.6)
    lng: float | None = Field(default=None, ge=2.5, le=6.5)


COUNTRY_BELGIUM = "BE"


class Workplace(Contract):
    """Where an opportunity takes place: a Belgian postcode, or a place abroad kept by name.

    Feeds such as France Travail's carry offers in other countries; they are stored as
    published and left out of shortlists by the distance filter, with that reason.
    """

    postcode: Postcode | None = None
    commune: str | None = Field(default=None, max_length=100)
    street: str | None = Field(default=None, max_length=200)
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
    ] = COUNTRY_BELGIUM
    lat: float | None = Field(default=None, ge=49.4, le=51.6)
    lng: float | None = Field(default=None, ge=2.5, le=6.5)

    @property
    def abroad(self) -> bool:
        """True for a place outside Belgium."""
        return self.country != COUNTRY_BELGIUM

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if not self.abroad and self.postcode is None:
            raise ValueError(
                "code postal requis pour un lieu en Belgique / a Belgian place needs a postcode"
            )
        if self.abroad and self.postcode is not None:
            raise ValueError(
                "un lieu hors de Belgique n'a pas de code postal belge : laissez location.postcode "
                "vide / a place abroad has no Belgian postcode"
            )
        return self


class LanguageNeed(Contract):
    """A language an opportunity asks for: required, or only an asset."""

    language: LanguageCode
    level: CefrLevel | None = None
    required: bool = True


class Prerequisites(Contract):
    """Hard requirements an applicant must meet."""

    driving_licence: LicenceCategory | None = None
    french_level: CefrLevel | None = None
    education_level: EducationLevel | None = None
    article_60_eligibility: bool = False


class Opportunity(Contract):
    """A job offer, an internship place or a training module."""

    id: ExternalId
    kind: OpportunityKind
    title: ShortText
    description: LongText = ""
    occupation: Occupation = Field(default_factory=Occupation)
    required_skills: list[SkillRef] = Field(default_factory=list, max_length=60)
    optional_skills: list[SkillRef] = Field(default_factory=list, max_length=60)
    taught_skills: list[SkillRef] = Field(
        default_factory=list,
        max_length=60,
        description="Skills a training module or internship teaches.",
    )
    skill_sources: list[SkillSource] = Field(
        default_factory=list,
        max_length=60,
        description="For skills read from the ad's text (it listed none): the words they "
        "came from.",
    )
    employer_id: ExternalId | None = None
    employer_name: str | None = Field(
        default=None,
        max_length=200,
        description="The employer as the source names it (none when the source hides it).",
    )
    provider: str | None = Field(default=None, max_length=200)
    location: Workplace
    contract_type: ContractType
    hours_per_week: Hours | None = None
    salary: str | None = Field(default=None, max_length=200, description="As the source words it.")
    languages: list[LanguageNeed] = Field(default_factory=list, max_length=10)
    experience_months: int | None = Field(
        default=None,
        ge=0,
        le=600,
        description="Experience asked for; 0 when beginners are welcome.",
    )
    shifts: list[Shift] = Field(default_factory=list)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    places_available: int = Field(default=1, ge=0, le=10_000)
    prerequisites: Prerequisites = Field(default_factory=Prerequisites)
    source: OpportunitySource
    source_reference: str | None = Field(
        default=None, max_length=64, description="The offer's number at its source (Forem, ...)."
    )
    source_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://\S+$",
        description="Where a person reads the full offer and applies.",
    )
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    reserved_for_cpas: ExternalId | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date avant start_date / end_date is before start_date")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until avant valid_from / valid_until is before valid_from")
        expected = {
            OpportunityKind.TRAINING: {ContractType.FORMATION},
            OpportunityKind.INTERNSHIP: {ContractType.STAGE},
            OpportunityKind.JOB_OFFER: set(JOB_CONTRACTS),
        }[self.kind]
        if self.contract_type not in expected:
            allowed = ", ".join(sorted(c.value for c in expected))
            raise ValueError(
                f"contract_type {self.contract_type.value} incompatible avec kind {self.kind.value} "
                f"(attendu / expected: {allowed})"
            )
        if (
            self.contract_type is ContractType.ARTICLE_60
            and not self.prerequisites.article_60_eligibility
        ):
            raise ValueError(
                "un poste article 60 exige prerequisites.article_60_eligibility=true / "
                "an article 60 post requires prerequisites.article_60_eligibility=true"
            )
        required = {s.id for s in self.required_skills}
        if required & {s.id for s in self.optional_skills}:
            raise ValueError(
                "une compétence est à la fois requise et optionnelle / skill both required and optional"
            )
        return self


class LanguageSkill(Contract):
    """A language and its CEFR level."""

    language: LanguageCode
    level: CefrLevel


class Experience(Contract):
    """A past job or internship, described by its title (no employer name needed)."""

    title: ShortText
    rome_code: RomeCode | None = None
    months: int = Field(default=0, ge=0, le=600)
    end_year: int | None = Field(default=None, ge=1950, le=2100)


WISH_MAX_LENGTH = 2000  # characters of a wish in the person's words


class Aspirations(Contract):
    """What the person wants: free French text and target occupations."""

    text: str = Field(default="", max_length=WISH_MAX_LENGTH)
    target_rome_codes: list[RomeCode] = Field(default_factory=list, max_length=10)
    target_esco_uris: list[EscoOccupationUri] = Field(default_factory=list, max_length=10)


class Constraints(Contract):
    """What makes an opportunity realistic or not for the person."""

    home_postcode: Postcode
    max_distance_km: float = Field(default=25.0, gt=0, le=200)
    max_travel_minutes: int | None = Field(default=None, gt=0, le=240)
    transport_modes: list[TransportMode] = Field(
        default_factory=lambda: [TransportMode.PUBLIC_TRANSPORT]
    )
    driving_licences: list[LicenceCategory] = Field(default_factory=list)
    driving_licences_unknown: bool = Field(
        default=False,
        description="The licence was not asked yet: offers asking one are kept, with a question "
        "for the coach, instead of being left out.",
    )
    available_shifts: list[Shift] = Field(default_factory=lambda: [Shift.DAY])
    max_hours_per_week: Hours = 38.0
    available_from: dt.date | None = None
    childcare: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if (
            TransportMode.CAR in self.transport_modes
            and not self.driving_licences
            and not self.driving_licences_unknown
        ):
            raise ValueError(
                "déplacement en voiture sans permis de conduire : cochez le permis, ou « pas encore "
                "demandé » / transport mode 'car' without a driving licence"
            )
        return self


class Consent(Contract):
    """Consents given by the beneficiary."""

    employer_pool: bool = False
    given_at: dt.date | None = None


class FairnessAttributes(Contract):
    """Recorded for fairness monitoring only; never read by matching or training features."""

    gender: Gender = Gender.UNDISCLOSED
    age_band: AgeBand | None = None
    origin: Origin = Origin.UNDISCLOSED


class BeneficiaryProfile(Contract):
    """A beneficiary's pseudonymous skills profile, aspirations and constraints."""

    id: ExternalId
    cpas_id: ExternalId
    skills: list[ProfileSkill] = Field(default_factory=list, max_length=100)
    skill_notes: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                       max_length=200)]] = Field(
        default_factory=list,
        max_length=30,
        description="Skills the coach typed that no taxonomy label names: kept as written for "
        "the coach, not matched on and never shown to employers.",
    )  # fmt: skip
    experiences: list[Experience] = Field(default_factory=list, max_length=30)
    education_level: EducationLevel = EducationLevel.NONE
    languages: list[LanguageSkill] = Field(default_factory=list, max_length=10)
    aspirations: Aspirations = Field(default_factory=Aspirations)
    constraints: Constraints
    trajectory_phase: TrajectoryPhase = TrajectoryPhase.PROJECT
    article_60_eligible: bool = False
    consent: Consent = Field(default_factory=Consent)
    monitoring: FairnessAttributes = Field(default_factory=FairnessAttributes)

    @property
    def french_level(self) -> CefrLevel | None:
        """The person's French CEFR level, if recorded."""
        return next((lang.level for lang in self.languages if lang.language == "fr"), None)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        seen: set[str] = set()
        for lang in self.languages:
            if lang.language in seen:
                raise ValueError(
                    f"langue {lang.language} en double / duplicate language {lang.language}"
                )
            seen.add(lang.language)
        return self


class Employer(Contract):
    """An employer or training provider (business data, no personal data)."""

    id: ExternalId
    name: ShortText
    kind: EmployerKind
    location: Location
    sectors: list[RomeCode] = Field(default_factory=list, max_length=30)
    partner_cpas: list[ExternalId] = Field(default_factory=list)


class Stand(Contract):
    """An employer's stand at a job day."""

    employer_id: ExternalId
    rome_codes: list[RomeCode] = Field(default_factory=list)
    opportunity_ids: list[ExternalId] = Field(default_factory=list)
    interview_slots: int = Field(default=8, ge=0, le=200)
    slot_minutes: int = Field(default=15, ge=5, le=120)


class JobDay(Contract):
    """A job day (salon, job dating) organised by a Maison de l'emploi."""

    id: ExternalId
    title: ShortText
    date: dt.date
    start_time: dt.time = dt.time(9, 0)
    end_time: dt.time = dt.time(16, 0)
    location: Location
    organiser: ShortText
    cpas_ids: list[ExternalId] = Field(default_factory=list)
    visitor_capacity: int = Field(default=100, ge=1, le=100_000)
    stands: list[Stand] = Field(default_factory=list)
    theme_rome_codes: list[RomeCode] = Field(
        default_factory=list, max_length=30, description="The trades the day is about."
    )
    max_interviews_per_person: int = Field(default=3, ge=1, le=10)
    min_gap_minutes: int = Field(
        default=15, ge=0, le=240, description="Free time between two interviews of one person."
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.end_time <= self.start_time:
            raise ValueError("end_time doit suivre start_time / end_time must follow start_time")
        employers = [s.employer_id for s in self.stands]
        if len(employers) != len(set(employers)):
            raise ValueError("un employeur a deux stands / an employer has two stands")
        return self


class Vacancy(Contract):
    """A vacancy an employer posted, open or long closed: the offer history that the hiring
    forecast learns from (business data, no personal data)."""

    id: ExternalId
    employer_id: ExternalId
    rome_code: RomeCode
    posted_on: dt.date
    places: int = Field(default=1, ge=1, le=10_000)
    contract_type: ContractType = ContractType.CDD
    postcode: Postcode | None = None

    @field_validator("posted_on")
    @classmethod
    def _plausible(cls, value: dt.date) -> dt.date:
        if value.year < 2000:
            raise ValueError(
                "date antérieure à 2000 : vérifiez la saisie / date before 2000: check the input"
            )
        return value


class OutcomeEvent(Contract):
    """Something that happened to a (beneficiary, opportunity) pair: the training signal."""

    id: ExternalId
    beneficiary_id: ExternalId
    cpas_id: ExternalId
    opportunity_id: ExternalId
    type: OutcomeType
    occurred_at: WrittenDateTime
    actor: ActorRole = ActorRole.COACH
    refusal_reason: RefusalReason | None = None
    shortlist_id: str | None = Field(default=None, max_length=64)
    rank: int | None = Field(default=None, ge=1, le=1000)

    @field_validator("occurred_at")
    @classmethod
    def _plausible(cls, value: dt.datetime) -> dt.datetime:
        """No outcome predates the service's era (a number read as seconds since 1970 would)."""
        if value.year < 2000:
            raise ValueError(
                "date antérieure à 2000 : vérifiez la saisie / date before 2000: check the input"
            )
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if (self.type is OutcomeType.REFUSED) != (self.refusal_reason is not None):
            raise ValueError(
                "refusal_reason est requis pour 'refused' et seulement pour lui / "
                "refusal_reason is required for 'refused' and only for it"
            )
        return self


CONTRACTS: dict[str, type[Contract]] = {
    "opportunity": Opportunity,
    "beneficiary_profile": BeneficiaryProfile,
    "employer": Employer,
    "job_day": JobDay,
    "vacancy": Vacancy,
    "outcome_event": OutcomeEvent,
}
