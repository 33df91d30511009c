"""``tremplin jobday``, ``tremplin pool`` and ``tremplin hiring``: the services of the
job days, the anonymised pool and the hiring forecast, as a system actor ``cli:<user>``."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tremplin.settings import get_settings
from tremplin_cli.common import console, fail

if TYPE_CHECKING:
    from services.context import ServiceContext
    from services.jobday_schemas import PlanOut
    from tremplin.actors import Principal

jobday_app = typer.Typer(
    help="Journées emploi : planification, listes, convocations.", no_args_is_help=True
)
pool_app = typer.Typer(help="Vivier anonymisé des candidats (employeurs).", no_args_is_help=True)
hiring_app = typer.Typer(help="Employeurs susceptibles de recruter bientôt.", no_args_is_help=True)

JobDayOpt = Annotated[str, typer.Option("--jobday", help="Identifiant de la journée emploi.")]
TodayOpt = Annotated[
    str | None, typer.Option(help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Sortie JSON.")]


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"date invalide : {value} (attendu AAAA-MM-JJ)") from None


def _context() -> ServiceContext:
    from services.context import open_context

    return open_context(get_settings())


def _actor(cpas: str | None = None, employer: str | None = None) -> Principal:
    from tremplin.actors import Principal, Role

    return Principal(
        user_id=0,
        username=f"cli:{getpass.getuser()}",
        role=Role.SYSTEM,
        credential_id=0,
        cpas_id=cpas,
        employer_id=employer,
    )


def _rid() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"


def _print_plan(plan: PlanOut) -> None:
    f = plan.figures
    console.print(
        f"[bold]Plan {plan.id}[/] ({plan.reason}) — {f.interviews} entretiens, "
        f"{f.invited} personnes invitées sur {f.eligible_people} éligibles "
        f"({f.nominated} proposées par leur agent, {f.cancelled} annulées)"
    )
    console.print(
        f"qualité {f.objective:.2f} / borne {f.bound:.2f} (écart {100 * f.gap:.2f} %), "
        f"{f.people_with_good_interview} personnes avec un bon entretien, "
        f"{f.empty_stands_with_suitable} stand(s) vide(s) malgré des candidats, "
        f"{f.kept} entretien(s) gardé(s) dont {f.moved} déplacé(s) — {f.seconds:.1f} s "
        f"({f.selection_status}/{f.timing_status}, {f.ranker})"
    )
    table = Table("stand", "créneaux", "réservés", "bons candidats")
    for s in plan.stands:
        table.add_row(s.employer_name, str(s.slots), str(s.booked), str(s.suitable))
    console.print(table)


@jobday_app.command("list")
def jobday_list(as_json: JsonOpt = False) -> None:
    """Lister les journées emploi."""
    from services.jobdays import list_job_days

    days = list_job_days(_context(), _actor())
    if as_json:
        sys.stdout.write("[" + ",".join(d.model_dump_json() for d in days) + "]\n")
        return
    table = Table("id", "date", "lieu", "stands", "créneaux", "planifiée")
    for d in days:
        table.add_row(
            d.id,
            d.date.isoformat(),
            d.place,
            str(d.stands),
            str(d.slots),
            "oui" if d.planned else "non",
        )
    console.print(table)


@jobday_app.command("plan")
def jobday_plan(
    jobday: JobDayOpt,
    today: TodayOpt = None,
    fresh: Annotated[bool, typer.Option(help="Ignorer le plan actuel.")] = False,
    time_limit: Annotated[float | None, typer.Option(min=1, max=600, help="Secondes.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Planifier les entretiens d'une journée (nouvelle version du plan ; les entretiens du plan
    actuel sont gardés autant que possible)."""
    from services.jobday_schemas import PlanRequest
    from services.jobdays import plan_job_day

    body = PlanRequest(today=_date(today), fresh=fresh, time_limit_s=time_limit)
    plan = plan_job_day(_context(), _actor(), jobday, body, _rid())
    if as_json:
        sys.stdout.write(plan.model_dump_json(indent=1) + "\n")
    else:
        _print_plan(plan)


@jobday_app.command("show")
def jobday_show(jobday: JobDayOpt, as_json: JsonOpt = False) -> None:
    """Afficher le plan actuel d'une journée."""
    from services.jobdays import current_plan

    plan = current_plan(_context(), _actor(), jobday)
    if as_json:
        sys.stdout.write(plan.model_dump_json(indent=1) + "\n")
    else:
        _print_plan(plan)


@jobday_app.command("export")
def jobday_export(
    jobday: JobDayOpt,
    what: Annotated[
        str,
        typer.Option(
            "--what", help="plan-csv, plan-html, convocations-html, convocations-ics, stand-html"
        ),
    ],
    out: Annotated[Path, typer.Option(help="Fichier à écrire.")],
    cpas: Annotated[str | None, typer.Option(help="CPAS (convocations).")] = None,
    employer: Annotated[str | None, typer.Option(help="Employeur (liste du stand).")] = None,
) -> None:
    """Écrire un document de la journée : plan (CSV, page imprimable), convocations d'un CPAS
    (page imprimable, calendrier ICS), liste anonymisée d'un stand."""
    from services import documents
    from services.jobdays import convocations, current_plan, list_job_days, stand_list

    ctx = _context()
    if what in ("plan-csv", "plan-html"):
        plan = current_plan(ctx, _actor(), jobday)
        if what == "plan-csv":
            data: str | bytes = documents.plan_csv(plan)
        else:
            title = next(d.title for d in list_job_days(ctx, _actor()) if d.id == jobday)
            data = documents.plan_html(plan, title)
    elif what in ("convocations-html", "convocations-ics"):
        if cpas is None:
            raise fail("--cpas est requis pour les convocations")
        found = convocations(ctx, _actor(cpas=cpas), jobday)
        data = (
            documents.convocations_html(found)
            if what == "convocations-html"
            else documents.convocations_ics(found)
        )
    elif what == "stand-html":
        if employer is None:
            raise fail("--employer est requis pour la liste d'un stand")
        data = documents.stand_html(stand_list(ctx, _actor(), jobday, employer))
    else:
        raise fail(f"--what inconnu : {what}")
    if isinstance(data, str):
        out.write_text(data, encoding="utf-8")
    else:
        out.write_bytes(data)
    console.print(f"écrit : {out}")


def _participation(
    jobday: str, beneficiary: str, cpas: str, status: str, today: str | None
) -> None:
    from services.jobday_schemas import Participation, ParticipationIn
    from services.jobdays import set_participation

    body = ParticipationIn(beneficiary_id=beneficiary, status=Participation(status))
    plan = set_participation(_context(), _actor(cpas=cpas), jobday, body, _rid(), _date(today))
    console.print(f"{beneficiary} : {status}")
    if plan is not None:
        _print_plan(plan)


BeneficiaryOpt = Annotated[str, typer.Option("--beneficiary", help="Identifiant du bénéficiaire.")]
CpasOpt = Annotated[str, typer.Option("--cpas", help="CPAS du bénéficiaire.")]


@jobday_app.command("cancel")
def jobday_cancel(
    jobday: JobDayOpt, beneficiary: BeneficiaryOpt, cpas: CpasOpt, today: TodayOpt = None
) -> None:
    """Annuler la participation d'un bénéficiaire (la journée est replanifiée, les autres
    gardent leurs entretiens autant que possible)."""
    _participation(jobday, beneficiary, cpas, "cancelled", today)


@jobday_app.command("nominate")
def jobday_nominate(
    jobday: JobDayOpt, beneficiary: BeneficiaryOpt, cpas: CpasOpt, today: TodayOpt = None
) -> None:
    """Proposer un bénéficiaire pour la journée (replanifiée si un plan existe)."""
    _participation(jobday, beneficiary, cpas, "nominated", today)


@jobday_app.command("slots")
def jobday_slots(
    jobday: JobDayOpt,
    employer: Annotated[str, typer.Option(help="Employeur du stand.")],
    slots: Annotated[int, typer.Option(min=0, max=200, help="Nombre de créneaux.")],
    today: TodayOpt = None,
) -> None:
    """Changer le nombre de créneaux d'un stand (replanifié si un plan existe)."""
    from services.jobday_schemas import StandSlotsIn
    from services.jobdays import set_stand_slots

    plan = set_stand_slots(
        _context(),
        _actor(),
        jobday,
        employer,
        StandSlotsIn(interview_slots=slots),
        _rid(),
        _date(today),
    )
    console.print(f"{employer} : {slots} créneaux")
    if plan is not None:
        _print_plan(plan)


@pool_app.command("search")
def pool_search(
    employer: Annotated[
        str, typer.Option(help="Employeur qui cherche (son vivier, ses pseudonymes).")
    ],
    text: Annotated[str | None, typer.Option(help="Le besoin en quelques mots.")] = None,
    opportunity: Annotated[str | None, typer.Option(help="Une offre de l'employeur.")] = None,
    rome: Annotated[str | None, typer.Option(help="Code métier ROME.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=20)] = 10,
    offset: Annotated[int, typer.Option(min=0, max=99)] = 0,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Chercher des candidats anonymisés pour un besoin (journalisé)."""
    from pydantic import ValidationError

    from services.pool import search_pool
    from services.pool_schemas import PoolNeed

    try:
        body = PoolNeed(
            text=text, opportunity_id=opportunity, rome_code=rome, limit=limit, offset=offset,
            today=_date(today),
        )  # fmt: skip
    except ValidationError as exc:
        raise fail(str(exc.errors(include_url=False)[0]["msg"])) from None
    page = search_pool(_context(), _actor(employer=employer), body, _rid())
    if as_json:
        sys.stdout.write(page.model_dump_json(indent=1) + "\n")
        return
    console.print(
        f"{page.total} profil(s) — métier : {page.metier or '?'} — chaque profil affiché est "
        f"partagé par au moins {page.smallest_group} personnes du vivier (k = {page.k})"
    )
    table = Table(
        "profil", "score", "compétences utiles", "langues", "expérience", "zone", "disponible"
    )
    for c in page.items:
        table.add_row(
            c.card, f"{c.score:.2f}", ", ".join(c.matched_skills[:3]), c.languages,
            c.experience, c.area, c.available,
        )  # fmt: skip
    console.print(table)


@pool_app.command("requests")
def pool_requests(cpas: CpasOpt, as_json: JsonOpt = False) -> None:
    """Les demandes de contact des employeurs pour les bénéficiaires d'un CPAS."""
    from services.pool import coach_requests

    found = coach_requests(_context(), _actor(cpas=cpas))
    if as_json:
        sys.stdout.write("[" + ",".join(r.model_dump_json() for r in found) + "]\n")
        return
    table = Table("id", "statut", "employeur", "bénéficiaire", "offre", "date")
    for r in found:
        table.add_row(
            r.id, r.status.value, r.employer_name or r.employer_id, r.beneficiary_id or "",
            r.opportunity_id or "", r.created_at.date().isoformat(),
        )  # fmt: skip
    console.print(table)


@hiring_app.command("train")
def hiring_train(as_json: JsonOpt = False) -> None:
    """Apprendre la prévision des recrutements sur l'historique des offres, la mesurer sur les
    dernières dates (backtest) face à la récence, l'enregistrer dans MLflow ; promue si elle
    bat la récence."""
    from services.context import open_context
    from training.hiring import train_and_register

    settings = get_settings()
    ctx = open_context(settings)
    try:
        with ctx.transaction() as session:
            report = train_and_register(settings, session)
    except ValueError as exc:
        raise fail(str(exc), 1) from None
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=1) + "\n")
        return
    b = report.backtest
    console.print(
        f"{report.version} — {'promue' if report.promoted else 'non promue'} ({report.why}); "
        f"backtest : {b.test_cutoffs} dates du {b.first_test_cutoff} au {b.last_test_cutoff}, "
        f"{b.pairs_per_cutoff:.0f} couples employeur×métier par date, taux de base {b.base_rate:.3f}"
    )
    table = Table("méthode", *(f"précision@{k}" for k in next(iter(b.precision.values()))), "AUC")
    for method, by_k in b.precision.items():
        table.add_row(method, *(f"{v:.3f}" for v in by_k.values()), f"{b.auc[method]:.3f}")
    console.print(table)


def _print_forecasts(found: object, as_json: bool) -> None:
    from services.hiring import ForecastList

    assert isinstance(found, ForecastList)
    if as_json:
        sys.stdout.write(found.model_dump_json(indent=1) + "\n")
        return
    console.print(
        f"prévision : {found.forecaster}, horizon {found.horizon_weeks} semaines, au {found.as_of}"
    )
    table = Table(
        "employeur",
        "lieu",
        "métier",
        "probabilité",
        "dernière offre",
        "offres/an",
        "ouvertes",
        "vivier",
    )
    for f in found.items:
        table.add_row(
            f.employer_name, f.place, f.metier, f"{f.likelihood:.2f}",
            f.last_vacancy.isoformat() if f.last_vacancy else "", str(f.vacancies_last_year),
            str(f.open_offers), "" if f.pool_fit is None else str(f.pool_fit),
        )  # fmt: skip
    console.print(table)


@hiring_app.command("employers")
def hiring_employers(
    theme: Annotated[str, typer.Option(help="Codes ROME du thème, séparés par des virgules.")],
    postcode: Annotated[int | None, typer.Option(help="Lieu de la journée.")] = None,
    max_km: Annotated[float, typer.Option(min=1, max=200)] = 30.0,
    top: Annotated[int, typer.Option(min=1, max=200)] = 20,
    cpas: Annotated[str | None, typer.Option(help="Le vivier d'un seul CPAS.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Employeurs à inviter pour un thème : candidats du vivier qu'ils pourraient accueillir,
    et probabilité de recruter dans les semaines qui viennent."""
    from pydantic import ValidationError

    from services.hiring import ThemeQuery, for_theme

    try:
        query = ThemeQuery(
            rome_codes=[c.strip() for c in theme.split(",") if c.strip()],
            postcode=postcode, max_km=max_km, top=top, today=_date(today),
        )  # fmt: skip
    except ValidationError as exc:
        raise fail(str(exc.errors(include_url=False)[0]["msg"])) from None
    _print_forecasts(for_theme(_context(), _actor(cpas=cpas), query, _rid()), as_json)


@hiring_app.command("spontaneous")
def hiring_spontaneous(
    beneficiary: BeneficiaryOpt,
    cpas: CpasOpt,
    top: Annotated[int, typer.Option(min=1, max=100)] = 20,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Où envoyer des candidatures spontanées : employeurs proches susceptibles de recruter
    bientôt dans les métiers du projet ou de l'expérience de la personne."""
    from services.hiring import for_beneficiary

    found = for_beneficiary(_context(), _actor(cpas=cpas), beneficiary, _rid(), top, _date(today))
    _print_forecasts(found, as_json)
