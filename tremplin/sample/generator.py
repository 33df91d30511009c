"""Deterministic sample data for the Liège basin and Brussels (see docs/sample-data.md).

Everything is drawn from one seeded ``random.Random``; iteration is over sorted
sequences only, so the same seed gives byte-identical files on any machine. Outcome
events come from a hidden ground-truth suitability model (:func:`suitability`) that the
matching engine never sees; behind ``employer_bias`` some employers discriminate against
one group, so that fairness monitoring can be shown to catch it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from data_contracts.enums import (
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
from data_contracts.models import (
    Aspirations,
    BeneficiaryProfile,
    Consent,
    Constraints,
    Employer,
    Experience,
    FairnessAttributes,
    JobDay,
    LanguageSkill,
    Location,
    Occupation,
    Opportunity,
    OutcomeEvent,
    Prerequisites,
    ProfileSkill,
    SkillRef,
    Stand,
    Vacancy,
    Workplace,
)
from tremplin.geo import distance_km, place
from tremplin.sample.catalogue import (
    BRUSSELS_POSTCODES,
    CPAS,
    EMPLOYER_NAMES,
    LICENCE_BY_ROME,
    LIEGE_POSTCODES,
    SECTORS,
    Sector,
    region_cpas,
    region_of,
    region_postcodes,
)
from tremplin.taxonomy import Taxonomy, load_taxonomy
from tremplin.text import gender_variants

T = TypeVar("T")
REFERENCE_DATE = dt.date(2026, 11, 1)
BIASED_GROUP = Origin.NON_EU
# ``--employer-bias``: this share of the hiring employers keep only BIAS_FACTOR of a non-EU
# candidate's interview and hire probability. Aggregated over employers, interview rates of
# non-EU applicants come out at about two thirds of the others', the order of the call-back
# gaps found by correspondence tests in Belgium (docs/fairness.md).
BIASED_SHARE = 0.5
BIAS_FACTOR = 0.35


@dataclass
class SampleData:
    """The generated objects, ready to write or to import."""

    cpas: list[dict[str, Any]]
    employers: list[Employer]
    opportunities: list[Opportunity]
    beneficiaries: list[BeneficiaryProfile]
    job_days: list[JobDay]
    outcomes: list[OutcomeEvent]
    vacancies: list[Vacancy] = field(default_factory=list)
    ground_truth: list[tuple[str, str, float]] = field(default_factory=list)
    biased_employers: list[str] = field(default_factory=list)


class _Draw:
    """Seeded draws over sorted sequences."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def one(self, items: Sequence[T]) -> T:
        return items[self.r.randrange(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self.r.choices(list(items), weights=list(weights), k=1)[0]

    def some(self, items: Sequence[T], k: int) -> list[T]:
        return self.r.sample(list(items), min(k, len(items)))

    def chance(self, p: float) -> bool:
        return self.r.random() < p


def _sector_of(code: str) -> Sector:
    return next(s for s in SECTORS if code in s.rome_codes)


# --- titles and texts --------------------------------------------------------------------

_TITLE_DECORATIONS = (
    "{t}",
    "{t} (h/f/x)",
    "{t} H/F",
    "{t} (H/F)",
    "{T}",
    "{t} - {c}",
    "{t} h/f",
    "{t} à {p}",
)


def _title(d: _Draw, tax: Taxonomy, code: str, commune: str, contract: ContractType) -> str:
    appellations = sorted(tax.appellations_of(code), key=lambda a: a.code_ogr)
    label = d.one(appellations).label if appellations and d.chance(0.8) else tax.metiers[code].label
    forms = gender_variants(label)
    base = d.one([forms[0], label, *forms]) if len(forms) > 1 else forms[0]
    contract_words = {
        ContractType.ARTICLE_60: "article 60",
        ContractType.CDD: "CDD",
        ContractType.CDI: "CDI",
        ContractType.INTERIM: "intérim",
        ContractType.TITRES_SERVICES: "titres-services",
    }
    pattern = d.one(_TITLE_DECORATIONS)
    title = pattern.format(
        t=base, T=base.upper(), c=contract_words.get(contract, "temps partiel"), p=commune
    )
    return title[:200]


def _kind_title(d: _Draw, kind: OpportunityKind, job_title: str) -> str:
    if kind is OpportunityKind.TRAINING:
        pattern = d.one(
            (
                "Formation {t}",
                "Formation qualifiante : {t}",
                "Module de formation - {t}",
                "Préformation {t}",
            )
        )
    elif kind is OpportunityKind.INTERNSHIP:
        pattern = d.one(
            ("Stage : {t}", "Stage en entreprise - {t}", "Stage d'immersion {t}", "{t} (stage)")
        )
    else:
        return job_title
    return pattern.format(t=job_title)[:200]


def _description(
    d: _Draw, tax: Taxonomy, code: str, kind: OpportunityKind, skills: list[str], employer: str
) -> str:
    sentences = tax.definition_sentences(code)
    body = " ".join(d.some(sentences, 2)) if sentences else ""
    skills_text = ", ".join(tax.skill_label(s).lower() for s in skills[:3])
    intro = {
        OpportunityKind.JOB_OFFER: d.one(
            [
                f"{employer} recrute.",
                f"Pour renforcer son équipe, {employer} cherche un profil motivé.",
                f"Offre transmise par le Forem pour {employer}.",
            ]
        ),
        OpportunityKind.INTERNSHIP: d.one(
            [f"Stage en entreprise chez {employer}.", f"{employer} accueille un(e) stagiaire."]
        ),
        OpportunityKind.TRAINING: d.one(
            [
                f"Formation organisée par {employer}.",
                f"Module de formation qualifiante ({employer}).",
            ]
        ),
    }[kind]
    asks = (
        f" Vous savez notamment : {skills_text}."
        if skills_text and kind is not OpportunityKind.TRAINING
        else ""
    )
    teaches = (
        f" Vous apprendrez : {skills_text}."
        if skills_text and kind is OpportunityKind.TRAINING
        else ""
    )
    return f"{intro} {body}{asks}{teaches}".strip()


# --- opportunities -------------------------------------------------------------------------


def _employers(d: _Draw) -> list[Employer]:
    postcodes = (*LIEGE_POSTCODES, *BRUSSELS_POSTCODES)
    out = []
    for kind in sorted(EMPLOYER_NAMES):
        for i, name in enumerate(EMPLOYER_NAMES[kind]):
            pc = (
                1080
                if "Molenbeek" in name or "Bruxelles" in name or name == "STIB"
                else d.one(postcodes)
            )
            sectors = sorted(d.one(SECTORS).rome_codes[:2])
            out.append(
                Employer(
                    id=f"emp-{kind[:4]}-{i:02d}",
                    name=name,
                    kind=EmployerKind(kind),
                    location=Location(postcode=pc),
                    sectors=sectors,
                    partner_cpas=region_cpas(region_of(pc)),
                )
            )
    return out


def _skill_refs(tax: Taxonomy, skill_ids: list[str]) -> list[SkillRef]:
    return [SkillRef(id=s, label=tax.skill_label(s)) for s in skill_ids]


def _opportunity(
    d: _Draw, tax: Taxonomy, n: int, kind: OpportunityKind, employers: list[Employer]
) -> Opportunity:
    sector = d.weighted(SECTORS, [s.weight for s in SECTORS])
    code = d.one(sector.rome_codes)
    core = tax.core_skills(code)
    other = [ms.skill_id for ms in tax.metier_skills(code) if not ms.core]
    if kind is OpportunityKind.TRAINING:
        contract = ContractType.FORMATION
        pool = [e for e in employers if e.kind is EmployerKind.TRAINING_PROVIDER]
    elif kind is OpportunityKind.INTERNSHIP:
        contract = ContractType.STAGE
        pool = [e for e in employers if e.kind is not EmployerKind.TRAINING_PROVIDER]
    else:
        contract = d.one(sector.contracts)
        kinds = {
            ContractType.ARTICLE_60: (EmployerKind.PUBLIC, EmployerKind.SOCIAL_ECONOMY),
            ContractType.TITRES_SERVICES: (EmployerKind.TITRES_SERVICES,),
            ContractType.INTERIM: (EmployerKind.INTERIM,),
        }.get(contract, (EmployerKind.PRIVATE, EmployerKind.SOCIAL_ECONOMY, EmployerKind.PUBLIC))
        pool = [e for e in employers if e.kind in kinds]
    employer = d.one(pool)
    postcode = (
        employer.location.postcode
        if d.chance(0.4)
        else d.one(region_postcodes(region_of(employer.location.postcode)))
    )
    found = place(postcode)
    commune = found.locality if found else ""
    required: list[str] = []
    optional: list[str] = []
    taught: list[str] = []
    if kind is OpportunityKind.TRAINING:
        taught = d.some(core, d.r.randint(3, 6)) + d.some(other, 2)
    else:
        required = d.some(
            core, d.r.randint(2, 5) if kind is OpportunityKind.JOB_OFFER else d.r.randint(1, 2)
        )
        optional = d.some([s for s in other if s not in required], d.r.randint(1, 4))
        if kind is OpportunityKind.INTERNSHIP:
            taught = d.some([s for s in core if s not in required], 3)
    licence = LICENCE_BY_ROME.get(code) or (
        sector.licence if d.chance(sector.licence_share) else None
    )
    if kind is OpportunityKind.TRAINING and licence is not LicenceCategory.C:
        licence = None
    french_levels = list(CefrLevel)
    french = sector.french if kind is not OpportunityKind.TRAINING else CefrLevel.A2
    if d.chance(0.25):
        french = french_levels[max(0, min(5, french.rank + d.one((-1, 1))))]
    start = REFERENCE_DATE + dt.timedelta(days=d.r.randint(-20, 90))
    weeks = {
        OpportunityKind.TRAINING: d.r.randint(4, 30),
        OpportunityKind.INTERNSHIP: d.r.randint(2, 8),
    }.get(kind)
    end = (
        start + dt.timedelta(weeks=weeks)
        if weeks
        else (
            start + dt.timedelta(days=d.r.choice((90, 180, 365)))
            if contract in (ContractType.CDD, ContractType.ARTICLE_60, ContractType.INTERIM)
            else None
        )
    )
    valid_from = start - dt.timedelta(days=d.r.randint(20, 60))
    article_60 = contract is ContractType.ARTICLE_60
    cpas_region = region_cpas(region_of(postcode))
    shifts = sorted(
        d.some(sector.shifts, d.r.randint(1, len(sector.shifts))), key=list(Shift).index
    )
    if kind is OpportunityKind.TRAINING:
        shifts = [Shift.DAY]
    source = (
        OpportunitySource.CPAS
        if article_60
        else OpportunitySource.CISP
        if employer.id.startswith("emp-trai") and "CISP" in employer.name
        else d.weighted(
            [OpportunitySource.FOREM, OpportunitySource.EMPLOYER, OpportunitySource.MAISON_EMPLOI],
            [0.55, 0.3, 0.15],
        )
    )
    if region_of(postcode) == "brussels" and source is OpportunitySource.FOREM:
        source = OpportunitySource.ACTIRIS
    return Opportunity(
        id=f"opp-{n:06d}",
        kind=kind,
        title=_kind_title(d, kind, _title(d, tax, code, commune, contract)),
        description=_description(d, tax, code, kind, required or taught, employer.name),
        occupation=Occupation(
            rome_code=code,
            esco_uri=next((uri for uri, _ in tax.esco_for_metier(code)), None),
        ),
        required_skills=_skill_refs(tax, required),
        optional_skills=_skill_refs(tax, optional),
        taught_skills=_skill_refs(tax, taught),
        employer_id=employer.id,
        provider=employer.name,
        location=Workplace(postcode=postcode, commune=commune),
        contract_type=contract,
        hours_per_week=float(d.one((19, 24, 30, 38, 38, 38)))
        if kind is not OpportunityKind.TRAINING
        else float(d.one((20, 30, 36))),
        shifts=shifts,
        start_date=start,
        end_date=end,
        places_available=d.r.randint(1, 12)
        if kind is OpportunityKind.TRAINING
        else d.r.randint(1, 3),
        prerequisites=Prerequisites(
            driving_licence=licence,
            french_level=french,
            education_level=EducationLevel.UPPER_SECONDARY
            if sector.key == "it_gaming" and d.chance(0.5)
            else None,
            article_60_eligibility=article_60,
        ),
        source=source,
        valid_from=valid_from,
        valid_until=start + dt.timedelta(days=d.r.randint(0, 45)),
        reserved_for_cpas=d.one(cpas_region) if article_60 else None,
    )


# --- beneficiaries -------------------------------------------------------------------------

_ASPIRATION_TEMPLATES = (
    "Je voudrais travailler {phrase}.",
    "J'aimerais devenir {title}.",
    "Je cherche un emploi de {title}, si possible près de chez moi.",
    "Mon projet : {title}. Je suis motivé(e) et disponible rapidement.",
    "Reprendre le travail {phrase}, à temps partiel au début.",
    "Je veux me former pour devenir {title}.",
    "J'ai déjà travaillé {phrase} et je voudrais continuer.",
    "Peu importe le métier, je veux un contrat stable {phrase}.",
)
_PHASE_WEIGHTS = {
    TrajectoryPhase.PROJECT: 0.22,
    TrajectoryPhase.FRENCH: 0.22,
    TrajectoryPhase.TRAINING: 0.25,
    TrajectoryPhase.EMPLOYMENT: 0.20,
    TrajectoryPhase.ARTICLE_60: 0.11,
}
_OTHER_LANGUAGES = ("ar", "tr", "ro", "pl", "es", "it", "nl", "en", "ber", "ln", "ru", "ps")


def _beneficiary(d: _Draw, tax: Taxonomy, n: int) -> BeneficiaryProfile:
    cpas = d.weighted(CPAS, [c[3] for c in CPAS])
    home = cpas[2] if d.chance(0.5) else d.one(region_postcodes(cpas[4]))
    origin = d.weighted(
        [Origin.BELGIAN, Origin.EU, Origin.NON_EU, Origin.UNDISCLOSED],
        [0.5, 0.12, 0.33, 0.05] if cpas[4] == "brussels" else [0.65, 0.1, 0.2, 0.05],
    )
    age = d.weighted(list(AgeBand), [0.34, 0.26, 0.18, 0.15, 0.07])
    gender = d.weighted(
        [Gender.FEMALE, Gender.MALE, Gender.X, Gender.UNDISCLOSED], [0.49, 0.47, 0.01, 0.03]
    )
    if origin is Origin.NON_EU:
        french = d.weighted(list(CefrLevel), [0.15, 0.3, 0.3, 0.15, 0.07, 0.03])
    else:
        french = d.weighted(list(CefrLevel), [0.01, 0.04, 0.15, 0.3, 0.3, 0.2])
    languages = [LanguageSkill(language="fr", level=french)]
    if origin is not Origin.BELGIAN or d.chance(0.2):
        languages.append(
            LanguageSkill(
                language=d.one(_OTHER_LANGUAGES),
                level=d.one((CefrLevel.B2, CefrLevel.C1, CefrLevel.C2)),
            )
        )
    past_sectors = d.some(SECTORS, d.weighted((0, 1, 2, 3), (0.2, 0.45, 0.25, 0.1)))
    experiences: list[Experience] = []
    skills: dict[str, ProfileSkill] = {}
    for sector in sorted(past_sectors, key=lambda s: s.key):
        code = d.one(sector.rome_codes)
        months = d.r.randint(2, 60 if age is not AgeBand.AGE_18_25 else 18)
        experiences.append(
            Experience(
                title=gender_variants(tax.metiers[code].label)[0],
                rome_code=code,
                months=months,
                end_year=d.r.randint(2012, 2026),
            )
        )
        for ms in tax.metier_skills(code):
            if d.chance(0.55 if ms.core else 0.12):
                skills.setdefault(
                    ms.skill_id,
                    ProfileSkill(
                        id=ms.skill_id,
                        label=tax.skill_label(ms.skill_id),
                        level=d.r.randint(1, 3 if months < 24 else 4),
                        evidence=SkillEvidence.EXPERIENCE,
                    ),
                )
    # targets: mostly a trade they know, sometimes a new direction
    target_sector = (
        d.one(past_sectors)
        if past_sectors and d.chance(0.6)
        else d.weighted(SECTORS, [s.weight for s in SECTORS])
    )
    targets = sorted(d.some(target_sector.rome_codes, d.weighted((1, 2), (0.7, 0.3))))
    title = gender_variants(tax.metiers[targets[0]].label)[0].lower()
    text = d.one(_ASPIRATION_TEMPLATES).format(phrase=target_sector.phrase, title=title)
    licences: list[LicenceCategory] = []
    if d.chance(0.35):
        licences.append(LicenceCategory.B)
        if d.chance(0.08):
            licences.append(LicenceCategory.C)
    modes = [TransportMode.PUBLIC_TRANSPORT, TransportMode.WALK]
    if licences and d.chance(0.5):
        modes.append(TransportMode.CAR)
    if d.chance(0.1):
        modes.append(TransportMode.BIKE)
    childcare = (
        gender is Gender.FEMALE and age in (AgeBand.AGE_26_35, AgeBand.AGE_36_45) and d.chance(0.35)
    )
    shifts = [Shift.DAY]
    if not childcare:
        shifts += [
            s
            for s, p in (
                (Shift.EARLY, 0.5),
                (Shift.EVENING, 0.4),
                (Shift.NIGHT, 0.1),
                (Shift.WEEKEND, 0.3),
            )
            if d.chance(p)
        ]
    phase = d.weighted(list(_PHASE_WEIGHTS), list(_PHASE_WEIGHTS.values()))
    if french.rank <= 1 and d.chance(0.6):
        phase = TrajectoryPhase.FRENCH
    education = d.weighted(list(EducationLevel), [0.18, 0.22, 0.28, 0.22, 0.07, 0.03])
    pool = d.chance(0.6)
    return BeneficiaryProfile(
        id=f"ben-{n:05d}",
        cpas_id=cpas[0],
        skills=sorted(skills.values(), key=lambda s: s.id),
        experiences=experiences,
        education_level=education,
        languages=languages,
        aspirations=Aspirations(text=text, target_rome_codes=targets),
        constraints=Constraints(
            home_postcode=home,
            max_distance_km=float(d.one((8, 10, 15, 20, 25, 30, 40))),
            transport_modes=modes,
            driving_licences=licences,
            available_shifts=shifts,
            max_hours_per_week=float(d.one((19, 24, 30, 38, 38))),
            available_from=REFERENCE_DATE + dt.timedelta(days=d.r.randint(-30, 60)),
            childcare=childcare,
        ),
        trajectory_phase=phase,
        article_60_eligible=d.chance(0.45),
        consent=Consent(
            employer_pool=pool,
            given_at=REFERENCE_DATE - dt.timedelta(days=d.r.randint(0, 200)) if pool else None,
        ),
        monitoring=FairnessAttributes(gender=gender, age_band=age, origin=origin),
    )


# --- hidden ground truth -------------------------------------------------------------------


def suitability(
    b: BeneficiaryProfile, o: Opportunity, tax: Taxonomy
) -> tuple[float, RefusalReason | None]:
    """The hidden ground-truth suitability of ``o`` for ``b`` (noise-free) and the main obstacle.

    Skills fit (core skills weigh most), aspirations (target métier, its sector, ROME mobility),
    distance and hard constraints — and three factors no feature of the engine sees
    (:func:`unobserved`): the person's motivation, the employer's taste for experience in its
    sector, and local labour demand for the trade. Used only to simulate outcomes and to label
    the sample suite; the product never calls it.
    """
    have = {s.id for s in b.skills}
    required = [s.id for s in o.required_skills]
    fit = sum(s in have for s in required) / len(required) if required else 0.6
    optional = [s.id for s in o.optional_skills]
    opt_fit = sum(s in have for s in optional) / len(optional) if optional else 0.0
    code = o.occupation.rome_code or ""
    targets = set(b.aspirations.target_rome_codes)
    if code in targets:
        wish = 1.0
    elif any(code in _sector_of(t).rome_codes for t in targets):
        wish = 0.55
    elif any(code in tax.mobilities(t) for t in targets):
        wish = 0.4
    else:
        wish = 0.0
    if o.kind is OpportunityKind.TRAINING:
        fit = 0.7 + 0.3 * (1 - fit)  # training suits those who lack the skills
    score = 2.0 * fit + 0.6 * opt_fit + 1.8 * wish
    obstacle: RefusalReason | None = None
    km = distance_km(b.constraints.home_postcode, o.location.postcode) or 0.0
    score -= 0.05 * max(0.0, km - 5)
    if km > b.constraints.max_distance_km:
        score -= 1.5
        obstacle = RefusalReason.DISTANCE
    p = o.prerequisites
    french = b.french_level
    if p.french_level and (french is None or french.rank < p.french_level.rank):
        score -= 1.0 + 0.5 * (p.french_level.rank - (french.rank if french else 0))
        obstacle = obstacle or RefusalReason.LANGUAGE
    if p.driving_licence and p.driving_licence not in b.constraints.driving_licences:
        score -= 2.5
        obstacle = obstacle or RefusalReason.SKILLS
    if o.shifts and not set(o.shifts) & set(b.constraints.available_shifts):
        score -= 1.5
        obstacle = obstacle or RefusalReason.SCHEDULE
    if p.article_60_eligibility and not b.article_60_eligible:
        score -= 3.0
        obstacle = obstacle or RefusalReason.OTHER
    if fit < 0.34 and o.kind is not OpportunityKind.TRAINING:
        obstacle = obstacle or RefusalReason.SKILLS
    return score + unobserved(b, o), obstacle


def _latent(key: str, scale: float) -> float:
    """A deterministic draw from N(0, scale²) keyed by ``key`` (independent of the seed's stream)."""
    digest = hashlib.sha256(f"latent:{key}".encode()).digest()
    u1 = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 1)
    u2 = int.from_bytes(digest[8:16], "big") / 2**64
    return scale * math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


MOTIVATION_SCALE = 0.4  # the person's drive, invisible in a profile
EMPLOYER_SCALE = 0.3  # an employer's own taste (some like newcomers, some do not)
EXPERIENCE_PREMIUM = 0.4  # employers value experience in their sector, a feature sees only part
DEMAND_SCALE = 0.3  # local labour demand for a trade in a region


def unobserved(b: BeneficiaryProfile, o: Opportunity) -> float:
    """The part of suitability that no engine feature sees (so the sample truth is not a
    replay of the features): motivation, employer preference, local demand."""
    code = o.occupation.rome_code or ""
    employer = o.employer_id or o.provider or ""
    sector = _sector_of(code).key if code else ""
    experienced = any(e.rome_code and _sector_of(e.rome_code).key == sector for e in b.experiences)
    taste = _latent(f"employer:{employer}", EMPLOYER_SCALE)
    return (
        _latent(f"motivation:{b.id}", MOTIVATION_SCALE)
        + (taste + EXPERIENCE_PREMIUM * (1 if experienced else -0.5))
        * (o.kind is not OpportunityKind.TRAINING)
        + _latent(f"demand:{code[:3]}:{(o.location.postcode or 0) // 100}", DEMAND_SCALE)
    )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _outcomes(
    d: _Draw,
    tax: Taxonomy,
    beneficiaries: list[BeneficiaryProfile],
    opportunities: list[Opportunity],
    biased: set[str],
) -> tuple[list[OutcomeEvent], list[tuple[str, str, float]]]:
    by_sector: dict[str, list[Opportunity]] = {}
    for o in opportunities:
        by_sector.setdefault(_sector_of(o.occupation.rome_code or "").key, []).append(o)
    events: list[OutcomeEvent] = []
    truth: list[tuple[str, str, float]] = []
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    span = (dt.datetime.combine(REFERENCE_DATE, dt.time(17), tzinfo=dt.UTC) - start).total_seconds()
    counter = 0

    def emit(
        b: BeneficiaryProfile,
        o: Opportunity,
        kind: OutcomeType,
        at: dt.datetime,
        rank: int | None,
        reason: RefusalReason | None = None,
        actor: ActorRole = ActorRole.COACH,
    ) -> None:
        nonlocal counter
        counter += 1
        events.append(
            OutcomeEvent(
                id=f"evt-{counter:07d}",
                beneficiary_id=b.id,
                cpas_id=b.cpas_id,
                opportunity_id=o.id,
                type=kind,
                occurred_at=at,
                actor=actor,
                refusal_reason=reason,
                shortlist_id=None,
                rank=rank,
            )
        )

    for b in beneficiaries:
        sectors = sorted(
            {_sector_of(t).key for t in b.aspirations.target_rome_codes}
            | {_sector_of(e.rome_code).key for e in b.experiences if e.rome_code}
        )
        near = [o for s in sectors for o in by_sector.get(s, [])]
        shown = d.some(near, 10) + d.some(opportunities, 5)
        seen: set[str] = set()
        at = start + dt.timedelta(seconds=d.r.random() * span * 0.9)
        for rank, o in enumerate(shown, start=1):
            if o.id in seen:
                continue
            seen.add(o.id)
            score, obstacle = suitability(b, o, tax)
            truth.append((b.id, o.id, round(score, 4)))
            noisy = score + d.r.gauss(0.0, 0.5)
            t = at + dt.timedelta(minutes=rank)
            emit(b, o, OutcomeType.SHOWN, t, rank, actor=ActorRole.SYSTEM)
            if not d.chance(_sigmoid(noisy - 1.5)):
                continue
            emit(b, o, OutcomeType.PROPOSED, t + dt.timedelta(days=1), rank)
            if not d.chance(_sigmoid(noisy - 1.2)):
                emit(
                    b,
                    o,
                    OutcomeType.REFUSED,
                    t + dt.timedelta(days=3),
                    rank,
                    obstacle or RefusalReason.BENEFICIARY_NOT_INTERESTED,
                    ActorRole.BENEFICIARY,
                )
                continue
            if o.kind is OpportunityKind.TRAINING:
                emit(b, o, OutcomeType.TRAINING_ENROLLED, t + dt.timedelta(days=7), rank)
                if d.chance(_sigmoid(noisy - 1.0)):
                    emit(b, o, OutcomeType.TRAINING_COMPLETED, t + dt.timedelta(days=60), rank)
                continue
            emit(b, o, OutcomeType.APPLIED, t + dt.timedelta(days=4), rank)
            bias = (
                BIAS_FACTOR
                if (o.employer_id in biased and b.monitoring.origin is BIASED_GROUP)
                else 1.0
            )
            if not d.chance(_sigmoid(noisy - 1.8) * bias):
                emit(
                    b,
                    o,
                    OutcomeType.REFUSED,
                    t + dt.timedelta(days=12),
                    rank,
                    obstacle or RefusalReason.EMPLOYER_PROFILE_MISMATCH,
                    ActorRole.EMPLOYER,
                )
                continue
            emit(b, o, OutcomeType.INTERVIEW, t + dt.timedelta(days=14), rank)
            if d.chance(_sigmoid(noisy - 2.0) * bias):
                emit(
                    b,
                    o,
                    OutcomeType.HIRED,
                    t + dt.timedelta(days=21),
                    rank,
                    actor=ActorRole.EMPLOYER,
                )
            else:
                emit(
                    b,
                    o,
                    OutcomeType.REFUSED,
                    t + dt.timedelta(days=18),
                    rank,
                    obstacle or RefusalReason.EMPLOYER_PROFILE_MISMATCH,
                    ActorRole.EMPLOYER,
                )
    events.sort(key=lambda e: (e.occurred_at, e.id))
    return events, truth


def _job_day(d: _Draw, employers: list[Employer], opportunities: list[Opportunity]) -> JobDay:
    hiring = sorted(
        {
            o.employer_id
            for o in opportunities
            if o.kind is OpportunityKind.JOB_OFFER and o.employer_id
        }
    )
    stands = []
    for emp_id in d.some(hiring, 12):
        offers = [
            o
            for o in opportunities
            if o.employer_id == emp_id and o.kind is OpportunityKind.JOB_OFFER
        ]
        stands.append(
            Stand(
                employer_id=emp_id,
                rome_codes=sorted(
                    {o.occupation.rome_code for o in offers if o.occupation.rome_code}
                )[:5],
                opportunity_ids=[o.id for o in offers[:5]],
                interview_slots=d.r.randint(6, 16),
                slot_minutes=15,
            )
        )
    return JobDay(
        id="jobday-liege-2026-12",
        title="Job Day de la Maison de l'emploi de Liège",
        date=REFERENCE_DATE + dt.timedelta(days=30),
        location=Location(postcode=4000, commune="Liège"),
        organiser="Maison de l'emploi de Liège",
        cpas_ids=["cpas-liege", "cpas-seraing", "cpas-herstal"],
        visitor_capacity=250,
        stands=sorted(stands, key=lambda s: s.employer_id),
    )


# --- more job days, and the offer history ---------------------------------------------------

HISTORY_WEEKS = 104  # two years of vacancies before the reference date
SEASONS: dict[str, tuple[int, float]] = {
    # sector: (month of the peak, amplitude of the yearly swing around the mean)
    "hospitality": (5, 0.8),  # terraces and summer season
    "construction": (4, 0.6),  # spring works, winter stop
    "retail": (11, 0.7),  # year-end sales
    "logistics": (10, 0.5),  # parcels before the holidays
    "childcare": (8, 0.5),  # the school year
    "public_cleanliness": (4, 0.4),
    "admin": (9, 0.2),
    "driving": (9, 0.2),
    "care": (1, 0.15),
    "cleaning": (3, 0.1),
    "it_gaming": (9, 0.1),
    "home_help": (1, 0.1),
}
"""Seasonal recruiting of the sample's sectors (a realistic shape, documented in
docs/sample-data.md): hiring intensity is ``1 + amplitude * cos(2π (month - peak) / 12)``."""

_THEMED_JOB_DAYS = (
    # id, title, date offset (days), postcode, commune, region, theme sectors, stands
    (
        "jobday-bruxelles-horeca-2027-03",
        "Job Day Horeca & commerce — Maison de l'emploi de Molenbeek",
        120,
        1080,
        "Molenbeek-Saint-Jean",
        "brussels",
        ("hospitality", "retail"),
        10,
    ),
    (
        "jobday-seraing-construction-2027-02",
        "Salon Forem de l'emploi — Construction et logistique",
        95,
        4100,
        "Seraing",
        "liege",
        ("construction", "logistics", "driving"),
        14,
    ),
)


def _seasonality(sector: str, day: dt.date) -> float:
    peak, amplitude = SEASONS.get(sector, (1, 0.0))
    return 1.0 + amplitude * math.cos(2 * math.pi * (day.month - peak) / 12)


def _vacancies(
    d: _Draw, employers: list[Employer], opportunities: list[Opportunity]
) -> list[Vacancy]:
    """Two years of posted vacancies per (employer, métier) up to the reference date (the
    métiers of its open offers and its sectors): a base rate, a slow trend, the sector's season
    and, for some employers, recruiting campaigns."""
    codes: dict[str, set[str]] = {}
    for o in opportunities:
        if o.kind is OpportunityKind.JOB_OFFER and o.employer_id and o.occupation.rome_code:
            codes.setdefault(o.employer_id, set()).add(o.occupation.rome_code)
    out: list[Vacancy] = []
    start = REFERENCE_DATE - dt.timedelta(weeks=HISTORY_WEEKS)
    for e in sorted(employers, key=lambda e: e.id):
        if e.kind is EmployerKind.TRAINING_PROVIDER:
            continue
        for code in sorted(codes.get(e.id, set()) | set(e.sectors)):
            sector = _sector_of(code).key
            monthly = math.exp(d.r.gauss(math.log(0.3), 1.0))  # vacancies a month, on average
            trend = d.r.uniform(-0.5, 0.5)  # over the two years
            campaigns = d.chance(0.25)  # recruits in bursts every few months
            phase = d.r.randrange(16)
            for week in range(HISTORY_WEEKS):
                day = start + dt.timedelta(weeks=week, days=d.r.randrange(5))
                rate = monthly * 12 / 52 * _seasonality(sector, day)
                rate *= max(0.1, 1 + trend * (week / HISTORY_WEEKS - 0.5))
                if campaigns:
                    rate *= 4.0 if (week + phase) % 16 < 3 else 0.3
                for _ in range(_poisson(d, rate)):
                    out.append(
                        Vacancy(
                            id=f"vac-{len(out) + 1:06d}",
                            employer_id=e.id,
                            rome_code=code,
                            posted_on=day,
                            places=1 if d.chance(0.8) else d.r.randint(2, 5),
                            contract_type=d.one(_sector_of(code).contracts),
                            postcode=e.location.postcode,
                        )
                    )
    return out


def _poisson(d: _Draw, rate: float) -> int:
    """A Poisson draw (Knuth's method; rates here are small)."""
    limit, k, p = math.exp(-rate), 0, d.r.random()
    while p > limit:
        k += 1
        p *= d.r.random()
    return k


def _themed_job_days(
    d: _Draw, employers: list[Employer], opportunities: list[Opportunity]
) -> list[JobDay]:
    """Trade-themed job days: stands of the employers recruiting in the theme's sectors."""
    out = []
    for job_id, title, offset, postcode, commune, region, sectors, n_stands in _THEMED_JOB_DAYS:
        theme = sorted({c for sec in SECTORS if sec.key in sectors for c in sec.rome_codes})
        offers: dict[str, list[Opportunity]] = {}
        for o in opportunities:
            if (
                o.kind is OpportunityKind.JOB_OFFER
                and o.employer_id
                and o.occupation.rome_code in theme
                and o.location.postcode is not None
                and region_of(o.location.postcode) == region
            ):
                offers.setdefault(o.employer_id, []).append(o)
        stands = [
            Stand(
                employer_id=emp,
                rome_codes=sorted(
                    {o.occupation.rome_code for o in offers[emp] if o.occupation.rome_code}
                )[:5],
                opportunity_ids=[o.id for o in offers[emp][:5]],
                interview_slots=d.r.randint(6, 20),
                slot_minutes=d.one((15, 15, 20)),
            )
            for emp in d.some(sorted(offers), n_stands)
        ]
        out.append(
            JobDay(
                id=job_id,
                title=title,
                date=REFERENCE_DATE + dt.timedelta(days=offset),
                location=Location(postcode=postcode, commune=commune),
                organiser=f"Maison de l'emploi de {commune}",
                cpas_ids=region_cpas(region),
                visitor_capacity=300,
                stands=sorted(stands, key=lambda s: s.employer_id),
                theme_rome_codes=theme[:30],
            )
        )
    return out


def generate(
    seed: int = 42,
    n_opportunities: int = 3000,
    n_beneficiaries: int = 800,
    employer_bias: bool = False,
) -> SampleData:
    """Generate the whole sample deterministically from ``seed``."""
    tax = load_taxonomy()
    d = _Draw(seed)
    employers = _employers(d)
    n_jobs = round(n_opportunities * 0.70)
    n_internships = round(n_opportunities * 0.15)
    kinds = (
        [OpportunityKind.JOB_OFFER] * n_jobs
        + [OpportunityKind.INTERNSHIP] * n_internships
        + [OpportunityKind.TRAINING] * (n_opportunities - n_jobs - n_internships)
    )
    opportunities = [_opportunity(d, tax, i + 1, kind, employers) for i, kind in enumerate(kinds)]
    beneficiaries = [_beneficiary(d, tax, i + 1) for i in range(n_beneficiaries)]
    hiring = sorted({e.id for e in employers if e.kind is not EmployerKind.TRAINING_PROVIDER})
    biased = set(d.some(hiring, round(len(hiring) * BIASED_SHARE))) if employer_bias else set()
    outcomes, truth = _outcomes(d, tax, beneficiaries, opportunities, biased)
    cpas = [{"id": c[0], "name": c[1], "postcode": c[2]} for c in CPAS]
    job_days = [_job_day(d, employers, opportunities)]
    more = _Draw(seed + 1)  # later additions draw apart: the rest of the sample is unchanged
    job_days += _themed_job_days(more, employers, opportunities)
    return SampleData(
        cpas,
        employers,
        opportunities,
        beneficiaries,
        job_days,
        outcomes,
        vacancies=_vacancies(more, employers, opportunities),
        ground_truth=truth,
        biased_employers=sorted(biased),
    )


def _write_jsonl(path: Path, items: Sequence[Any]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            data = (
                item.model_dump(mode="json", exclude_none=True)
                if hasattr(item, "model_dump")
                else item
            )
            fh.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")


def write_sample(data: SampleData, out: Path, seed: int, employer_bias: bool) -> dict[str, Any]:
    """Write the sample as JSON Lines files plus a manifest with counts and checksums."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Sequence[Any]] = {
        "cpas.jsonl": data.cpas,
        "employers.jsonl": data.employers,
        "opportunities.jsonl": data.opportunities,
        "beneficiaries.jsonl": data.beneficiaries,
        "job_days.jsonl": data.job_days,
        "outcomes.jsonl": data.outcomes,
        "vacancies.jsonl": data.vacancies,
        "ground_truth.jsonl": [
            {"beneficiary_id": b, "opportunity_id": o, "suitability": s}
            for b, o, s in data.ground_truth
        ],
    }
    manifest: dict[str, Any] = {
        "seed": seed,
        "employer_bias": employer_bias,
        "biased_employers": data.biased_employers,
        "reference_date": REFERENCE_DATE.isoformat(),
        "files": {},
    }
    for name, items in files.items():
        path = out / name
        _write_jsonl(path, items)
        manifest["files"][name] = {
            "rows": len(items),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest
