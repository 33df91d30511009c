"""Employers likely to recruit soon: for a job-day theme (the Maison de l'emploi) and for one
beneficiary's spontaneous applications (the coach).

The forecast is :mod:`training.hiring`'s champion (or the recency baseline before any model
passed its gate), applied to the offer history as of the request's date. For a theme, each
employer also counts the pool members it could fit: consenting people of the caller's CPAS in
a job-search phase whose project or experience meets one of the employer's métiers and who can
reach its address.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.models import BeneficiaryProfile, Employer
from data_contracts.types import Postcode, RomeCode
from matching.profile import ProfileView
from services.context import ServiceContext
from services.jobdays import JOB_SEARCH_PHASES
from services.pool import members
from services.tenancy import acting_cpas, owned_row
from training.hiring import (
    FEATURE_NAMES,
    HORIZON_WEEKS,
    Forecaster,
    History,
    pair_table,
    served_forecaster,
)
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.errors import InvalidRequestError, PolicyRefusedError
from tremplin.geo import distance_km, place
from tremplin.settings import Settings
from tremplin.store.models import CpasRow, EmployerRow, OpportunityRow

FIT_ASPIRATION = 0.5  # a target, a neighbour métier or one already exercised
RELOAD_S = 60.0  # the served forecaster is looked up again after this long


class HiringForecast(BaseModel):
    """One employer's likelihood to recruit for one métier in the coming weeks."""

    employer_id: str
    employer_name: str
    place: str
    km: float | None
    rome_code: str
    metier: str
    likelihood: float = Field(description="Probability (model) or recency score (baseline).")
    last_vacancy: dt.date | None
    vacancies_last_year: int
    open_offers: int
    pool_fit: int | None = Field(
        default=None, description="Pool members this employer could fit (theme lists)."
    )


class ForecastList(BaseModel):
    """A ranked list of employers, with what produced it."""

    forecaster: str
    horizon_weeks: int
    as_of: dt.date
    items: list[HiringForecast]


class ThemeQuery(BaseModel):
    """Which employers to invite for a theme."""

    rome_codes: list[RomeCode] = Field(min_length=1, max_length=30)
    postcode: Postcode | None = None
    max_km: float = Field(default=30.0, gt=0, le=200)
    top: int = Field(default=20, ge=1, le=200)
    today: dt.date | None = None


_lock = threading.Lock()
_served: dict[str, tuple[float, Forecaster]] = {}


def forecaster(settings: Settings) -> Forecaster:
    """The served forecaster (looked up again every :data:`RELOAD_S` seconds)."""
    key = str(settings.data_dir)
    with _lock:
        found = _served.get(key)
        if found is not None and time.monotonic() - found[0] < RELOAD_S:
            return found[1]
    loaded = served_forecaster(settings)
    with _lock:
        _served[key] = (time.monotonic(), loaded)
    return loaded


def _forecasts(
    ctx: ServiceContext, codes: set[str], today: dt.date
) -> tuple[Forecaster, list[tuple[str, str, float, dt.date | None, int]]]:
    """(employer, métier, likelihood, last vacancy, vacancies last year) for ``codes``."""
    with ctx.transaction() as session:
        history = History.load(session)
    if not len(history):
        raise InvalidRequestError(
            "aucun historique d'offres : importez-le (tremplin import vacancies)",
            "no vacancy history",
        )
    table = pair_table(history, today)
    model = forecaster(ctx.settings)
    scores = model.scores(table)
    col_last = FEATURE_NAMES.index("weeks_since_last")
    col_year = FEATURE_NAMES.index("posted_52w")
    out = []
    for n, (employer, code) in enumerate(table.pairs):
        if code in codes:
            weeks = float(table.features[n, col_last])
            last = today - dt.timedelta(weeks=weeks) if weeks < 104 else None
            out.append((employer, code, float(scores[n]), last, int(table.features[n, col_year])))
    return model, out


def _employers(ctx: ServiceContext, ids: Sequence[str]) -> dict[str, Employer]:
    with ctx.transaction() as session:
        rows = session.scalars(select(EmployerRow).where(EmployerRow.external_id.in_(list(ids))))
        return {r.external_id: Employer.model_validate(r.payload) for r in rows}


def _open_offers(ctx: ServiceContext, today: dt.date) -> dict[tuple[str, str], int]:
    with ctx.transaction() as session:
        rows = session.execute(
            select(OpportunityRow.payload["employer_id"].as_string(), OpportunityRow.rome_code)
            .where(OpportunityRow.active)
            .where((OpportunityRow.valid_until.is_(None)) | (OpportunityRow.valid_until >= today))
        ).all()
    counts: dict[tuple[str, str], int] = {}
    for employer, code in rows:
        if employer and code:
            counts[(employer, code)] = counts.get((employer, code), 0) + 1
    return counts


def _place(postcode: int) -> str:
    found = place(postcode)
    return f"{postcode} {found.locality}" if found else str(postcode)


def _ranked(
    ctx: ServiceContext,
    codes: set[str],
    today: dt.date,
    origin: int | None,
    max_km: float | None,
) -> tuple[Forecaster, list[HiringForecast], dict[str, Employer]]:
    """The forecasts of ``codes`` within ``max_km`` of ``origin``, likeliest first, and the
    employers they name."""
    model, found = _forecasts(ctx, codes, today)
    employers = _employers(ctx, sorted({f[0] for f in found}))
    opens = _open_offers(ctx, today)
    tax = ctx.matching.current().catalogue.taxonomy
    out = []
    for employer_id, code, likelihood, last, year in found:
        employer = employers.get(employer_id)
        if employer is None:
            continue
        km = distance_km(origin, employer.location.postcode) if origin is not None else None
        if max_km is not None and km is not None and km > max_km:
            continue
        out.append(
            HiringForecast(
                employer_id=employer_id,
                employer_name=employer.name,
                place=_place(employer.location.postcode),
                km=round(km, 1) if km is not None else None,
                rome_code=code,
                metier=tax.metiers[code].label if code in tax.metiers else code,
                likelihood=round(likelihood, 4),
                last_vacancy=last,
                vacancies_last_year=year,
                open_offers=opens.get((employer_id, code), 0),
            )
        )
    ranked = sorted(out, key=lambda f: (-f.likelihood, f.employer_id, f.rome_code))
    return model, ranked, employers


def for_theme(
    ctx: ServiceContext, actor: Principal, query: ThemeQuery, request_id: str
) -> ForecastList:
    """Employers to invite for a theme: how many pool members each could fit, and how likely
    it is to recruit in the coming weeks (Maison de l'emploi)."""
    if actor.role not in (Role.MAISON_EMPLOI, Role.SYSTEM):
        raise PolicyRefusedError("réservé à la Maison de l'emploi", "for the Maison de l'emploi")
    today = query.today or ctx.today()
    model, ranked, employers = _ranked(
        ctx, set(query.rome_codes), today, query.postcode, query.max_km
    )
    cat = ctx.matching.current().catalogue
    with ctx.transaction() as session:
        scope = sorted(actor.partner_cpas) if actor.role is Role.MAISON_EMPLOI else []
        if actor.role is Role.SYSTEM:
            scope = [actor.cpas_id] if actor.cpas_id else _all_cpas(session)
        pool = [
            m for m in members(session, scope) if m.profile.trajectory_phase in JOB_SEARCH_PHASES
        ]
    views = [ProfileView.of(m.profile, cat) for m in pool]
    by_employer: dict[str, HiringForecast] = {}
    trades: dict[str, set[str]] = {}
    for f in ranked:  # one line per employer: its likeliest métier of the theme
        by_employer.setdefault(f.employer_id, f)
        trades.setdefault(f.employer_id, set()).add(f.rome_code)
    for employer_id, f in by_employer.items():
        home = employers[employer_id].location.postcode
        f.pool_fit = sum(1 for v in views if _fits(v, trades[employer_id], home))
    items = sorted(by_employer.values(), key=lambda f: (-(f.pool_fit or 0), -f.likelihood))
    items = items[: query.top]
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.HIRING_FORECAST,
            inputs={"rome_codes": query.rome_codes, "as_of": today.isoformat(), "use": "theme"},
            returned_ids=[f.employer_id for f in items],
        )
    return ForecastList(
        forecaster=model.version, horizon_weeks=HORIZON_WEEKS, as_of=today, items=items
    )


def _all_cpas(session: Session) -> list[str]:
    return list(session.scalars(select(CpasRow.id)))


def _fits(view: ProfileView, trades: set[str], employer_postcode: int) -> bool:
    c = view.profile.constraints
    km = distance_km(c.home_postcode, employer_postcode)
    if km is not None and km > c.max_distance_km:
        return False
    return any(view.aspiration_score(code) >= FIT_ASPIRATION for code in trades)


def for_beneficiary(
    ctx: ServiceContext,
    actor: Principal,
    beneficiary_id: str,
    request_id: str,
    top: int = 20,
    today: dt.date | None = None,
) -> ForecastList:
    """Employers within the person's reach likely to recruit soon in the métiers of their
    project or experience: where to send spontaneous applications (coach; audited)."""
    cpas = acting_cpas(actor)
    day = today or ctx.today()
    with ctx.transaction() as session:
        profile = BeneficiaryProfile.model_validate(
            owned_row(session, actor, beneficiary_id).payload
        )
    view = ProfileView.of(profile, ctx.matching.current().catalogue)
    codes = set(view.targets) | view.experienced
    if not codes:
        raise InvalidRequestError(
            "aucun métier visé ni exercé : complétez le projet de la personne",
            "no target or past métier in the profile",
        )
    c = profile.constraints
    model, ranked, _ = _ranked(ctx, codes, day, c.home_postcode, c.max_distance_km)
    items = ranked[:top]
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.HIRING_FORECAST,
            tenant=cpas,
            subject=audit.pseudonym(ctx.pseudonym_key, cpas, beneficiary_id),
            inputs={"as_of": day.isoformat(), "use": "spontaneous", "metiers": sorted(codes)},
            returned_ids=[f"{f.employer_id}:{f.rome_code}" for f in items],
        )
    return ForecastList(
        forecaster=model.version, horizon_weeks=HORIZON_WEEKS, as_of=day, items=items
    )
