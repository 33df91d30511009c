"""A person's own file from the command line (GDPR art. 15 and 22): what Tremplin holds and
decided about one beneficiary, as JSON or a French summary; audited like the page and API."""

from __future__ import annotations

import getpass
import uuid
from pathlib import Path
from typing import Annotated

import typer

from tremplin.settings import get_settings
from tremplin_cli.common import console

beneficiaries_app = typer.Typer(
    help="Bénéficiaires : le dossier d'une personne (accès RGPD).", no_args_is_help=True
)


@beneficiaries_app.command("file")
def person_file_command(
    beneficiary: Annotated[str, typer.Argument(help="Référence du dossier.")],
    cpas: Annotated[str | None, typer.Option(help="CPAS du dossier (si ambigu).")] = None,
    out: Annotated[Path | None, typer.Option(help="Écrire le JSON dans ce fichier.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Le JSON sur la sortie.")] = False,
) -> None:
    """Le dossier complet d'une personne (profil, propositions et leurs raisons, résultats,
    recherches d'employeurs où sa fiche anonyme est apparue, demandes de contact, journées
    emploi) : à remettre à la personne qui le demande (RGPD art. 15 et 22). Audité."""
    from services.beneficiaries import cpas_holding
    from services.context import open_context
    from services.person_file import person_file
    from tremplin.actors import system_actor

    ctx = open_context(get_settings())
    held_by = cpas_holding(ctx, beneficiary, cpas)
    actor = system_actor(f"cli:{getpass.getuser()}", held_by)
    found = person_file(ctx, actor, beneficiary, f"cli-{uuid.uuid4().hex[:12]}")
    text = found.model_dump_json(indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        out.chmod(0o600)  # a person's file: for its owner only
    if as_json:
        typer.echo(text)
        return
    console.print(
        f"Dossier {beneficiary} ({found.cpas}) : {len(found.shortlists)} liste(s) de "
        f"propositions, {len(found.outcomes)} résultat(s), "
        f"{sum(a.times for a in found.pool_appearances)} apparition(s) dans le vivier, "
        f"{len(found.contact_requests)} demande(s) de contact, {len(found.job_days)} journée(s) "
        "emploi" + (f" — écrit dans {out}" if out else ""),
        highlight=False,
    )
