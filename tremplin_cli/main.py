"""The ``tremplin`` command (Typer). Exit codes: 0 done, 1 rejected data, 2 bad usage or file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from data_contracts.enums import OpportunityKind
from data_contracts.readers import FileFormatError
from tremplin.feeds import FeedFormat
from tremplin.settings import Settings, get_settings
from tremplin_cli.common import MappedErrors, console, err
from tremplin_cli.common import factory as _factory
from tremplin_cli.common import fail as _fail

if TYPE_CHECKING:  # imported lazily at run time so that `--help` starts fast
    from matching import Shortlist

app = typer.Typer(
    cls=MappedErrors,
    help="Tremplin : recommandations d'emploi, de stages et de formations pour les CPAS.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Base de données : migrations et état.", no_args_is_help=True)
contracts_app = typer.Typer(help="Contrats de données : schémas JSON.", no_args_is_help=True)
sample_app = typer.Typer(
    cls=MappedErrors, help="Données d'exemple (bassin liégeois, Bruxelles).", no_args_is_help=True
)
import_app = typer.Typer(
    cls=MappedErrors, help="Importer des fichiers CSV, JSON Lines ou Parquet.", no_args_is_help=True
)
cpas_app = typer.Typer(help="CPAS (locataires).", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Référentiels ROME 4.0 et ESCO.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (contracts_app, "contracts"),
    (sample_app, "sample"),
    (import_app, "import"),
    (cpas_app, "cpas"),
    (taxonomy_app, "taxonomy"),
):
    app.add_typer(sub, name=name)


SkipInvalid = Annotated[
    bool, typer.Option("--skip-invalid", help="Stocker les lignes valides et ignorer les autres.")
]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Écrire le rapport complet en JSON.")
]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Créer ou mettre à jour le schéma de la base (migrations Alembic)."""
    _factory(get_settings())
    console.print("Base à jour.")


@db_app.command("status")
def db_status() -> None:
    """Nombre de lignes par table."""
    from tremplin.store.db import transaction
    from tremplin.store.repository import count_rows

    with transaction(_factory(get_settings())) as session:
        counts = count_rows(session)
    for table, n in counts.items():
        console.print(f"{table:16} {n:>8}")


@contracts_app.command("export")
def contracts_export(
    directory: Annotated[Path, typer.Argument(help="Dossier de destination.")],
) -> None:
    """Écrire le schéma JSON de chaque contrat dans DIRECTORY."""
    from data_contracts.schemas import export_schemas

    for path in export_schemas(directory):
        console.print(str(path))


@cpas_app.command("add")
def cpas_add(
    cpas_id: str, name: str, postcode: Annotated[int | None, typer.Option()] = None
) -> None:
    """Déclarer un CPAS (locataire) : ses bénéficiaires ne seront visibles que de lui."""
    from tremplin.store.db import transaction
    from tremplin.store.repository import ensure_cpas

    with transaction(_factory(get_settings())) as session:
        ensure_cpas(session, cpas_id, name, postcode)
    console.print(f"CPAS {cpas_id} prêt.")


def _run_import(
    kind: str,
    file: Path,
    skip_invalid: bool,
    report_path: Path | None,
    feed: FeedFormat = FeedFormat.TABLE,
) -> None:
    from services.opportunities import skills_from_text
    from tremplin.ingest import ImportKind, import_file

    settings = get_settings()
    try:
        report = import_file(
            file,
            ImportKind(kind),
            _factory(settings),
            skip_invalid=skip_invalid,
            feed=feed,
            today=settings.today(),
            enrich=skills_from_text if kind == "opportunities" else None,
        )
    except FileFormatError as exc:
        raise _fail(str(exc)) from None
    if report_path:
        report_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    for message in report.file_errors:
        err.print(f"[red]fichier[/] {message}")
    for message in report.row_errors[:200]:
        err.print(f"[red]{message}[/]")
    if len(report.row_errors) > 200:
        err.print(f"… et {len(report.row_errors) - 200} autres erreurs (voir --report).")
    if not report.stored:
        raise _fail(
            f"{len(report.row_errors) + len(report.file_errors)} problème(s) : rien n'a été importé. "
            "Corrigez le fichier ou relancez avec --skip-invalid.",
            1,
        )
    console.print(
        f"{file.name} : {report.inserted} ajouté(s), {report.updated} mis à jour, "
        f"{report.unchanged} inchangé(s), {len(report.row_errors)} ligne(s) rejetée(s)."
    )


@import_app.command("opportunities")
def import_opportunities(
    file: Path,
    skip_invalid: SkipInvalid = False,
    report: ReportOpt = None,
    feed: Annotated[
        FeedFormat,
        typer.Option(
            "--format",
            help="table : les colonnes du contrat (CSV, JSON Lines, Parquet) ; france-travail : "
            "le JSON de l'API Offres d'emploi v2 ; forem : les offres open data du Forem.",
        ),
    ] = FeedFormat.TABLE,
) -> None:
    """Importer des offres d'emploi, stages et formations."""
    _run_import("opportunities", file, skip_invalid, report, feed)


@import_app.command("beneficiaries")
def import_beneficiaries(
    file: Path, skip_invalid: SkipInvalid = False, report: ReportOpt = None
) -> None:
    """Importer des profils de bénéficiaires (pseudonymisés)."""
    _run_import("beneficiaries", file, skip_invalid, report)


@import_app.command("employers")
def import_employers(
    file: Path, skip_invalid: SkipInvalid = False, report: ReportOpt = None
) -> None:
    """Importer des employeurs et organismes de formation."""
    _run_import("employers", file, skip_invalid, report)


@import_app.command("job-days")
def import_job_days(
    file: Path, skip_invalid: SkipInvalid = False, report: ReportOpt = None
) -> None:
    """Importer des job days."""
    _run_import("job_days", file, skip_invalid, report)


@import_app.command("outcomes")
def import_outcomes(
    file: Path, skip_invalid: SkipInvalid = False, report: ReportOpt = None
) -> None:
    """Importer des événements de suivi (proposé, candidature, entretien, engagé…)."""
    _run_import("outcomes", file, skip_invalid, report)


@import_app.command("vacancies")
def import_vacancies(
    file: Path, skip_invalid: SkipInvalid = False, report: ReportOpt = None
) -> None:
    """Importer l'historique des offres publiées (vacances d'emploi), pour la prévision des
    recrutements."""
    _run_import("vacancies", file, skip_invalid, report)


@sample_app.command("generate")
def sample_generate(
    out: Annotated[Path, typer.Option(help="Dossier de sortie.")] = Path("var/sample"),
    seed: Annotated[int, typer.Option(help="Graine : même graine, mêmes fichiers.")] = 42,
    opportunities: Annotated[int, typer.Option(min=10)] = 3000,
    beneficiaries: Annotated[int, typer.Option(min=10)] = 800,
    employer_bias: Annotated[
        bool, typer.Option(help="Simuler un biais d'employeurs (voir docs/sample-data.md).")
    ] = False,
) -> None:
    """Générer des données d'exemple déterministes."""
    from tremplin.sample import generate, write_sample

    data = generate(seed, opportunities, beneficiaries, employer_bias)
    manifest = write_sample(data, out, seed, employer_bias)
    for name, info in manifest["files"].items():
        console.print(f"{name:22} {info['rows']:>7} lignes")


@sample_app.command("load")
def sample_load(directory: Annotated[Path, typer.Argument()] = Path("var/sample")) -> None:
    """Charger un dossier d'exemple dans la base (CPAS, employeurs, offres, profils, événements)."""
    from tremplin.ingest import load_sample_dir

    if not (directory / "manifest.json").is_file():
        raise _fail(
            f"{directory} n'est pas un dossier d'exemple : lancez « tremplin sample generate --out {directory} »"
        )
    for report in load_sample_dir(directory, _factory(get_settings())):
        name = Path(report.file).stem
        if not report.stored:
            raise _fail(f"{name}.jsonl rejeté : {(report.file_errors + report.row_errors)[:3]}", 1)
        console.print(
            f"{name:14} {report.inserted:>6} ajoutés, {report.updated:>5} mis à jour, {report.unchanged:>6} inchangés"
        )


@taxonomy_app.command("metier")
def taxonomy_metier(code: str) -> None:
    """Afficher un métier ROME : compétences de base, appellations, liens ESCO."""
    from tremplin.taxonomy import load_taxonomy

    tax = load_taxonomy()
    if code.upper() not in tax.metiers:
        raise _fail(f"code ROME inconnu : {code} (format : lettre + 4 chiffres, ex. K2204)")
    m = tax.metier(code.upper())
    console.print(f"[bold]{m.code}[/] {m.label}\n{tax.definition(m.code)}")
    console.print(
        "Compétences de base : "
        + "; ".join(tax.skill_label(s) for s in tax.core_skills(m.code)[:12])
    )
    console.print("Appellations : " + "; ".join(a.label for a in tax.appellations_of(m.code)[:12]))
    for uri, score in tax.esco_for_metier(m.code):
        console.print(f"ESCO {score:.2f} {tax.esco_occupations[uri].label} <{uri}>")


@taxonomy_app.command("skill")
def taxonomy_skill(token: str) -> None:
    """Résoudre une compétence donnée par code ROME, URI ESCO ou libellé."""
    from tremplin.taxonomy import load_taxonomy

    resolution = load_taxonomy().resolve_skill(token)
    if resolution.skill is None:
        raise _fail(f"compétence inconnue : {token!r}", 1)
    console.print(f"{resolution.skill.id}\t{resolution.skill.label}\t({resolution.how})")


def _print_shortlist(result: Shortlist) -> None:
    table = Table(title=f"Shortlist pour {result.beneficiary_id} ({result.engine_version})")
    for col in ("#", "type", "intitulé", "score", "km", "raisons"):
        table.add_column(col)
    for rank, item in enumerate(result.items, start=1):
        table.add_row(
            str(rank),
            item.kind.value,
            item.title,
            f"{item.score:.2f}",
            "" if item.distance_km is None else f"{item.distance_km:.0f}",
            " · ".join(item.reasons),
        )
    console.print(table)
    for note in result.notes:
        console.print(note)
    for pathway in result.pathways:
        console.print(
            f"[bold]Parcours vers {pathway.target_label}[/] (bloque : {', '.join(pathway.blocking)})"
        )
        for n, step in enumerate(pathway.steps, start=1):
            brings = f" — apporte : {', '.join(step.brings)}" if step.brings else ""
            console.print(f"  {n}. {step.step} : {step.title}{brings}")


@app.command("shortlist")
def shortlist_command(
    beneficiary: Annotated[str | None, typer.Option(help="Identifiant du bénéficiaire.")] = None,
    cpas: Annotated[
        str | None,
        typer.Option(help="CPAS du bénéficiaire (requis si l'identifiant existe dans plusieurs)."),
    ] = None,
    profile: Annotated[
        Path | None, typer.Option(help="Profil ad hoc (JSON BeneficiaryProfile).")
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=100)] = 10,
    kinds: Annotated[
        str, typer.Option(help="job_offer,internship,training")
    ] = "job_offer,internship,training",
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON.")] = False,
    today: Annotated[
        str | None, typer.Option(help="Date de référence AAAA-MM-JJ (défaut : aujourd'hui).")
    ] = None,
) -> None:
    """Classer les offres, stages et formations pour un bénéficiaire (moteur servi, re-classeur
    champion compris ; chaque shortlist est journalisée, et gardée dans l'historique d'un
    bénéficiaire enregistré, au nom de l'acteur système ``cli:<utilisateur>``)."""
    import getpass
    import uuid

    from pydantic import ValidationError

    from data_contracts.models import BeneficiaryProfile
    from matching.vector_index import IndexFileError
    from services.beneficiaries import cpas_holding
    from services.context import open_context
    from services.schemas import BeneficiaryIn, ShortlistRequest
    from services.shortlists import create_shortlist
    from tremplin.actors import system_actor

    try:
        wanted = [OpportunityKind(k.strip()) for k in kinds.split(",") if k.strip()]
        when = dt.date.fromisoformat(today) if today else None
    except ValueError as exc:
        raise _fail(f"option invalide : {exc}") from None
    if not wanted:
        raise _fail("--kinds est vide : donnez job_offer, internship et/ou training")
    if (profile is None) == (not beneficiary):  # the options' usage (the service checks too)
        raise _fail("donnez --beneficiary ID [--cpas CPAS], ou --profile FICHIER.json")
    ctx = open_context(get_settings())
    body = None
    if profile is not None:
        try:
            person = BeneficiaryProfile.model_validate_json(profile.read_text(encoding="utf-8"))
        except (OSError, ValidationError, UnicodeDecodeError) as exc:
            raise _fail(f"profil illisible ({profile}) : {exc}") from None
        cpas = person.cpas_id
        body = BeneficiaryIn.model_validate(person.model_dump(exclude={"cpas_id"}))
    elif beneficiary:
        cpas = cpas_holding(ctx, beneficiary, cpas)
    request = ShortlistRequest(
        beneficiary_id=beneficiary, profile=body, top=top, kinds=wanted, today=when
    )
    actor = system_actor(f"cli:{getpass.getuser()}", cpas)
    try:
        response = create_shortlist(ctx, actor, request, f"cli-{uuid.uuid4().hex[:12]}")
    except IndexFileError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(response.shortlist.model_dump_json(indent=2) + "\n")
    else:
        _print_shortlist(response.shortlist)


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option()] = 42,
    serve: Annotated[bool, typer.Option(help="Démarrer l'API ensuite.")] = True,
    mlflow_ui: Annotated[
        bool, typer.Option(help="Démarrer aussi l'interface MLflow sur 127.0.0.1:5000.")
    ] = False,
) -> None:
    """Charger l'exemple, construire l'index, montrer une shortlist, créer les comptes de
    démonstration et démarrer l'API."""
    from tremplin.sample.draw import REFERENCE_DATE
    from tremplin_cli.api_commands import demo_accounts, print_accounts
    from tremplin_cli.api_commands import serve as serve_api

    settings = get_settings()
    console.print(
        f"Tremplin : http://{settings.host}:{settings.port}/ — les pages (coachs, Maison de "
        "l'emploi, employeurs, administration), ouvertes dès que l'exemple est chargé"
        + (" ; les comptes suivent" if serve else ""),
        highlight=False,
    )
    sample_dir = settings.data_dir / "sample"
    if not (sample_dir / "manifest.json").is_file():
        sample_generate(out=sample_dir, seed=seed)
    sample_load(sample_dir)
    from tremplin_cli.engine_commands import index_build

    index_build()
    first = json.loads(
        (sample_dir / "beneficiaries.jsonl").read_text(encoding="utf-8").splitlines()[0]
    )
    shortlist_command(
        beneficiary=first["id"], cpas=first["cpas_id"], today=REFERENCE_DATE.isoformat()
    )
    _train_first_reranker(settings)
    _train_first_hiring_forecast(settings)
    print_accounts(demo_accounts(settings), settings)
    if not serve:
        return
    ui = _start_mlflow_ui(settings) if mlflow_ui else None
    # the pages read the sample as of its reference date (its offers and job days are dated)
    os.environ.setdefault("TREMPLIN_AS_OF", REFERENCE_DATE.isoformat())
    get_settings.cache_clear()
    try:
        serve_api()
    finally:
        if ui is not None:
            ui.terminate()
            ui.wait(30)


def _start_mlflow_ui(settings: Settings) -> subprocess.Popen[bytes]:
    """The MLflow UI on the demo's registry, in its own process, beside the API."""
    import shlex

    from tremplin_cli.api_commands import MLFLOW_UI_PORT, mlflow_ui_command

    argv = shlex.split(mlflow_ui_command(settings))
    argv[0] = str(Path(sys.executable).parent / "mlflow")
    console.print(f"MLflow : http://127.0.0.1:{MLFLOW_UI_PORT}")
    return subprocess.Popen(argv)


def _train_first_reranker(settings: Settings) -> None:
    """Train a re-ranker from the sample's outcomes (promoted if the gate passes) unless one
    was trained already: a verdict of "not measurable" is not retried at every start."""
    from training import registry
    from tremplin_cli.training_commands import print_report, run_train

    c = registry.client(settings)
    if not c.search_model_versions(f"name='{registry.MODEL_NAME}'"):
        console.print("entraînement d'un premier re-classeur sur les résultats de l'exemple…")
        print_report(run_train(settings, use_truth=True, promote=True, margin=None))


def _train_first_hiring_forecast(settings: Settings) -> None:
    """Learn the hiring forecast from the sample's offer history unless one was trained."""
    from training import registry
    from training.hiring import MODEL_NAME, train_and_register
    from tremplin.store.db import transaction

    if registry.client(settings).search_model_versions(f"name='{MODEL_NAME}'"):
        return
    with transaction(_factory(settings)) as session:
        report = train_and_register(settings, session)
    m = report.backtest.precision["model"][25]
    r = report.backtest.precision["recency"][25]
    console.print(
        f"prévision des recrutements {report.version} : précision@25 {m:.3f} "
        f"(récence {r:.3f}) — {'servie' if report.promoted else 'non servie'}"
    )


def _register_command_groups() -> None:
    """The groups defined in the sibling modules (engine, API, training)."""
    from tremplin_cli.api_commands import openapi, serve, users_app
    from tremplin_cli.engine_commands import index_app, occupations_app

    app.add_typer(index_app, name="index")
    app.add_typer(occupations_app, name="occupations")
    app.command("serve")(serve)
    app.command("openapi")(openapi)
    app.add_typer(users_app, name="users")
    from tremplin_cli.training_commands import register as register_training

    register_training(app)
    from tremplin_cli.jobday_commands import hiring_app, jobday_app, pool_app

    app.add_typer(jobday_app, name="jobday")
    app.add_typer(pool_app, name="pool")
    app.add_typer(hiring_app, name="hiring")
    from tremplin_cli.batch_commands import batch_app

    app.add_typer(batch_app, name="batch")
    from tremplin_cli.audit_commands import audit_app
    from tremplin_cli.person_commands import beneficiaries_app

    app.add_typer(audit_app, name="audit")
    from tremplin_cli.ops_commands import backup_command, restore_command

    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.add_typer(beneficiaries_app, name="beneficiaries")


_register_command_groups()


def main() -> None:
    """Entry point of the ``tremplin`` console script."""
    app()
