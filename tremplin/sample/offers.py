"""The sample's employers and opportunities: job offers, internship places and training
modules with titles and descriptions as employers and operators write them."""

from __future__ import annotations

import datetime as dt

from data_contracts.enums import (
    CefrLevel,
    ContractType,
    EducationLevel,
    EmployerKind,
    LicenceCategory,
    OpportunityKind,
    OpportunitySource,
    Shift,
)
from data_contracts.models import (
    Employer,
    Location,
    Occupation,
    Opportunity,
    Prerequisites,
    SkillRef,
    Workplace,
)
from tremplin.geo import place
from tremplin.sample.catalogue import (
    BRUSSELS_POSTCODES,
    EMPLOYER_NAMES,
    LICENCE_BY_ROME,
    LIEGE_POSTCODES,
    SECTORS,
    Sector,
    region_cpas,
    region_of,
    region_postcodes,
)
from tremplin.sample.draw import REFERENCE_DATE, Draw
from tremplin.taxonomy import Taxonomy
from tremplin.text import gender_variants


def sector_of(code: str) -> Sector:
    return next(s for s in SECTORS if code in s.rome_codes)


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


def _title(d: Draw, tax: Taxonomy, code: str, commune: str, contract: ContractType) -> str:
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


def _kind_title(d: Draw, kind: OpportunityKind, job_title: str) -> str:
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
    d: Draw, tax: Taxonomy, code: str, kind: OpportunityKind, skills: list[str], employer: str
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


def draw_employers(d: Draw) -> list[Employer]:
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


def draw_opportunity(
    d: Draw, tax: Taxonomy, n: int, kind: OpportunityKind, employers: list[Employer]
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
        # the public services number their offers; the sample's numbers are made up
        source_reference=f"{4_100_000 + n}"
        if source in (OpportunitySource.FOREM, OpportunitySource.ACTIRIS)
        else None,
        valid_from=valid_from,
        valid_until=start + dt.timedelta(days=d.r.randint(0, 45)),
        reserved_for_cpas=d.one(cpas_region) if article_60 else None,
    )
