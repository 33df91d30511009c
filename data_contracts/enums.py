"""Controlled vocabularies of the domain (values are stable identifiers, labels are French)."""

from __future__ import annotations

from enum import StrEnum


class OpportunityKind(StrEnum):
    """What an opportunity is."""

    JOB_OFFER = "job_offer"
    INTERNSHIP = "internship"
    TRAINING = "training"


class ContractType(StrEnum):
    """Contract or scheme under which an opportunity is offered."""

    CDI = "cdi"
    CDD = "cdd"
    INTERIM = "interim"
    ARTICLE_60 = "article_60"
    ARTICLE_61 = "article_61"
    TITRES_SERVICES = "titres_services"
    STAGE = "stage"
    FORMATION = "formation"


JOB_CONTRACTS = frozenset(
    {
        ContractType.CDI,
        ContractType.CDD,
        ContractType.INTERIM,
        ContractType.ARTICLE_60,
        ContractType.ARTICLE_61,
        ContractType.TITRES_SERVICES,
    }
)


class CefrLevel(StrEnum):
    """Common European Framework of Reference language levels, ordered A1 < … < C2."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"

    @property
    def rank(self) -> int:
        """0 for A1 up to 5 for C2."""
        return _CEFR_RANK[self.value]


_CEFR_RANK = {level.value: i for i, level in enumerate(CefrLevel)}


class LicenceCategory(StrEnum):
    """Belgian driving licence categories."""

    AM = "AM"
    A1 = "A1"
    A2 = "A2"
    A = "A"
    B = "B"
    BE = "BE"
    C1 = "C1"
    C1E = "C1E"
    C = "C"
    CE = "CE"
    D1 = "D1"
    D1E = "D1E"
    D = "D"
    DE = "DE"
    G = "G"


class EducationLevel(StrEnum):
    """Highest completed education (Belgian French-speaking system), ordered."""

    NONE = "none"  # no certificate
    PRIMARY = "primary"  # CEB
    LOWER_SECONDARY = "lower_secondary"  # CE1D / CESI
    UPPER_SECONDARY = "upper_secondary"  # CESS or CQ6/CQ7
    HIGHER_SHORT = "higher_short"  # bachelier
    HIGHER_LONG = "higher_long"  # master

    @property
    def rank(self) -> int:
        """0 for none up to 5 for a master's degree."""
        return list(EducationLevel).index(self)


class TransportMode(StrEnum):
    """How a person can travel to work."""

    WALK = "walk"
    BIKE = "bike"
    PUBLIC_TRANSPORT = "public_transport"
    CAR = "car"


class Shift(StrEnum):
    """Working-time slots that decide what is realistic (childcare, transport)."""

    EARLY = "early"  # starts before 7:00 (cleaning, logistics)
    DAY = "day"
    EVENING = "evening"  # ends after 19:00 (hospitality, retail)
    NIGHT = "night"
    WEEKEND = "weekend"


class TrajectoryPhase(StrEnum):
    """Phases of the insertion trajectory (Molenbeek's cells, Liège's Cap Insertion)."""

    PROJECT = "project"  # bilan socioprofessionnel with a project facilitator
    FRENCH = "french"  # alphabétisation / French
    TRAINING = "training"  # études et formations
    EMPLOYMENT = "employment"  # job search with a job coach
    ARTICLE_60 = "article_60"  # in an article 60 §7 post


class SkillEvidence(StrEnum):
    """How a beneficiary's skill is known."""

    DECLARED = "declared"
    EXPERIENCE = "experience"
    TRAINING = "training"
    VALIDATED = "validated"  # validation des compétences, certificate


class OpportunitySource(StrEnum):
    """Where an opportunity comes from."""

    FOREM = "forem"
    ACTIRIS = "actiris"
    FRANCE_TRAVAIL = "france_travail"
    EMPLOYER = "employer"
    CISP = "cisp"
    CPAS = "cpas"
    MAISON_EMPLOI = "maison_emploi"


class EmployerKind(StrEnum):
    """Kind of employer or training provider."""

    PRIVATE = "private"
    PUBLIC = "public"  # the City, the CPAS itself, public bodies
    SOCIAL_ECONOMY = "social_economy"
    TITRES_SERVICES = "titres_services"
    TRAINING_PROVIDER = "training_provider"  # Forem centre, CISP, promotion sociale
    INTERIM = "interim"


class OutcomeType(StrEnum):
    """What happened after an opportunity was put in front of a beneficiary."""

    SHOWN = "shown"
    OPENED = "opened"
    PROPOSED = "proposed"
    APPLIED = "applied"
    INTERVIEW = "interview"
    HIRED = "hired"
    REFUSED = "refused"
    TRAINING_ENROLLED = "training_enrolled"
    TRAINING_COMPLETED = "training_completed"


class RefusalReason(StrEnum):
    """Why a proposal did not go on."""

    BENEFICIARY_NOT_INTERESTED = "beneficiary_not_interested"
    EMPLOYER_PROFILE_MISMATCH = "employer_profile_mismatch"
    SKILLS = "skills"
    LANGUAGE = "language"
    DISTANCE = "distance"
    SCHEDULE = "schedule"
    HEALTH = "health"
    POSITION_FILLED = "position_filled"
    OTHER = "other"


class ActorRole(StrEnum):
    """Who recorded an event."""

    COACH = "coach"
    EMPLOYER = "employer"
    MAISON_EMPLOI = "maison_emploi"
    BENEFICIARY = "beneficiary"
    SYSTEM = "system"


class AgeBand(StrEnum):
    """Age bands (monitoring only)."""

    AGE_18_25 = "18-25"
    AGE_26_35 = "26-35"
    AGE_36_45 = "36-45"
    AGE_46_55 = "46-55"
    AGE_56_PLUS = "56+"


class Gender(StrEnum):
    """Gender (monitoring only)."""

    FEMALE = "female"
    MALE = "male"
    X = "x"
    UNDISCLOSED = "undisclosed"


class Origin(StrEnum):
    """Nationality group (monitoring only)."""

    BELGIAN = "belgian"
    EU = "eu"
    NON_EU = "non_eu"
    UNDISCLOSED = "undisclosed"
