"""The sample's beneficiaries: skills, experiences, a project in a coach's words,
constraints and barriers, consents."""

from __future__ import annotations

import datetime as dt

from data_contracts.enums import (
    AgeBand,
    CefrLevel,
    EducationLevel,
    Gender,
    LicenceCategory,
    Origin,
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
    Experience,
    FairnessAttributes,
    LanguageSkill,
    ProfileSkill,
)
from tremplin.sample.catalogue import (
    CPAS,
    SECTORS,
    region_postcodes,
)
from tremplin.sample.draw import REFERENCE_DATE, Draw
from tremplin.taxonomy import Taxonomy
from tremplin.text import gender_variants

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


def draw_beneficiary(d: Draw, tax: Taxonomy, n: int) -> BeneficiaryProfile:
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
