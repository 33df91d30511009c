"""The audit trail from the command line: walk its hash chain (``tremplin audit verify``)."""

from __future__ import annotations

import getpass

import typer

from tremplin.settings import get_settings
from tremplin_cli.common import console, fail

audit_app = typer.Typer(
    help="Journal d'audit : vérifier sa chaîne d'empreintes.", no_args_is_help=True
)


@audit_app.command("verify")
def verify() -> None:
    """Parcourir la chaîne d'empreintes du journal d'audit : « intacte », ou le premier
    enregistrement modifié, supprimé ou remplacé (code de sortie 1). Le résultat est gardé
    (la page d'administration montre la dernière vérification)."""
    from services import audit_trail
    from services.context import open_context
    from tremplin.actors import system_actor

    actor = system_actor(f"cli:{getpass.getuser()}")
    report = audit_trail.verify_chain(open_context(get_settings()), actor)
    if not report.intact:
        raise fail(report.sentence(), 1)
    console.print(report.sentence())
