"""``tremplin serve``, ``tremplin openapi`` and ``tremplin users`` (registered by tremplin.cli)."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from serving.workers import reuseport_available, serve_workers
from tremplin.actors import Role
from tremplin.settings import Settings, get_settings
from tremplin_cli.common import console, factory

users_app = typer.Typer(help="Utilisateurs de l'API et leurs rôles.", no_args_is_help=True)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


SITE_FACTORY = "web.app:create_site"  # the API and the pages


def serve(
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Processus uvicorn.")] = None,
) -> None:
    """Démarrer l'API (FastAPI + uvicorn) sur la base et l'index configurés."""
    import uvicorn

    settings = get_settings()
    log_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "serving.app.RequestIdFilter"}},
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "": {"handlers": ["stderr"], "level": settings.log_level},
            "uvicorn.access": {"handlers": [], "propagate": False},  # ours names no ids
        },
    }
    count = workers or settings.workers
    if count > 1 and reuseport_available():
        serve_workers(
            host or settings.host,
            port or settings.port,
            count,
            factory=SITE_FACTORY,
            log_config=log_config,
            timeout_graceful_shutdown=10,
            stop_timeout_s=10 + settings.task_grace_s + 10,
        )
        return
    uvicorn.run(
        SITE_FACTORY,
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_config=log_config,
        timeout_graceful_shutdown=10,
    )


def openapi(
    out: Annotated[Path, typer.Option(help="Fichier de sortie.")] = Path("docs/openapi.json"),
) -> None:
    """Exporter le document OpenAPI de l'API (docs/openapi.json, vérifié par les tests)."""
    from serving.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database_url="", pseudonym_key="openapi")
        doc = create_app(settings, load_engine=False).openapi()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"{len(doc['paths'])} chemins écrits dans {out}")


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[Role, typer.Option(help="coach, maison_emploi, employer ou admin.")],
    cpas: Annotated[str | None, typer.Option(help="CPAS d'un coach.")] = None,
    employer: Annotated[str | None, typer.Option(help="Identifiant d'un employeur.")] = None,
    partner: Annotated[
        list[str] | None, typer.Option(help="CPAS partenaire d'une Maison de l'emploi.")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Mot de passe (sinon généré et affiché une fois).")
    ] = None,
) -> None:
    """Créer un utilisateur de l'API."""
    from serving import users
    from tremplin.store.db import transaction

    secret = password or secrets.token_urlsafe(16)
    with transaction(factory(get_settings())) as session:
        users.create_user(session, username, secret, role, cpas, employer, partner or [])
    console.print(
        f"Utilisateur {username} ({role.value}) créé."
        + ("" if password else f" Mot de passe : {secret}")
    )


def demo_accounts(settings: Settings) -> list[tuple[str, str, str, str]]:
    """Create or reset one demo account per role; returns (user, password, role, scope)."""
    from sqlalchemy import select

    from serving import users
    from tremplin.store.db import transaction
    from tremplin.store.models import EmployerRow

    accounts = []
    with transaction(factory(settings)) as session:
        employer = session.scalar(select(EmployerRow.external_id).order_by(EmployerRow.id))
        wanted = [
            ("admin", Role.ADMIN, {}, "—"),
            ("coach.liege", Role.COACH, {"cpas_id": "cpas-liege"}, "CPAS de Liège"),
            ("coach.seraing", Role.COACH, {"cpas_id": "cpas-seraing"}, "CPAS de Seraing"),
            (
                "maison.liege",
                Role.MAISON_EMPLOI,
                {"partner_cpas": ["cpas-liege", "cpas-seraing"]},
                "Maison de l'emploi (Liège, Seraing)",
            ),
            ("employeur", Role.EMPLOYER, {"employer_id": employer}, f"employeur {employer}"),
        ]
        for name, role, scope, label in wanted:
            password = secrets.token_urlsafe(16)
            row = users.get_user(session, name)
            if row is None:
                users.create_user(session, name, password, role, **scope)  # type: ignore[arg-type]
            else:
                users.set_password(session, row, password)
                row.active = True
            accounts.append((name, password, role.value, label))
    return accounts


MLFLOW_UI_PORT = 5000


def mlflow_ui_command(settings: Settings) -> str:
    """The command that serves the MLflow UI on this installation's registry (local only)."""
    return (
        f".venv/bin/mlflow ui --backend-store-uri {settings.mlflow_tracking_uri} "
        f"--host 127.0.0.1 --port {MLFLOW_UI_PORT}"
    )


DEMO_ACCOUNTS_FILE = "demo-accounts.txt"


def write_demo_accounts(accounts: list[tuple[str, str, str, str]], path: Path) -> Path:
    """The demo credentials in ``path``, readable and writable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file kept its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(
            "# Comptes de démonstration Tremplin : utilisateur ; mot de passe ; rôle ; périmètre\n"
        )
        for row in accounts:
            out.write(" ; ".join(row) + "\n")
    return path


def print_accounts(accounts: list[tuple[str, str, str, str]], settings: Settings) -> None:
    """The demo credentials (one plain line each, whole at any terminal width, and in a file
    only its owner reads) and where to use them."""
    path = write_demo_accounts(accounts, settings.data_dir / DEMO_ACCOUNTS_FILE)
    typer.echo(
        f"Comptes de démonstration (mots de passe régénérés à chaque démo ; aussi dans {path}, "
        "lisible par vous seul) :"
    )
    for user, password, _role, scope in accounts:
        typer.echo(f"  {user} / {password}   ({scope})")
    base = f"http://{settings.host}:{settings.port}"
    pages = Table(title="Pages du service (elles fonctionnent sans accès à internet)")
    pages.add_column("adresse")
    pages.add_column("pour quoi faire")
    pages.add_row(
        f"{base}/",
        "les pages : coachs (profils, propositions), Maison de l'emploi (journées emploi, "
        "imports), employeurs (vivier anonyme), administration (modèles, équité, journal)",
    )
    pages.add_row(f"{base}/docs", "essayer l'API : « Authorize » avec un compte ci-dessus")
    pages.add_row(f"{base}/redoc", "lire la référence de l'API")
    pages.add_row(f"{base}/readyz", "état du moteur servi (versions, index, lien des métiers)")
    pages.add_row(f"POST {base}/api/v1/auth/token", "obtenir un jeton (programmes)")
    pages.add_row(
        f"http://127.0.0.1:{MLFLOW_UI_PORT}",
        "expériences et registre des modèles (MLflow) : `make demo DEMO_FLAGS=--mlflow-ui`, "
        f"ou {mlflow_ui_command(settings)}",
    )
    console.print(pages)
