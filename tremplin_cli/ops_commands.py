"""Running an installation: a backup that restores (``tremplin backup``, ``tremplin
restore``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tremplin.settings import get_settings
from tremplin_cli.common import console


def backup_command(
    out: Annotated[Path, typer.Option(help="Dossier neuf (ou vide) où écrire la sauvegarde.")],
    models: Annotated[
        bool,
        typer.Option(help="Avec le dossier des modèles (sans : seulement s'ils se refont tous)."),
    ] = True,
) -> None:
    """Sauvegarder l'installation pendant qu'elle sert : base de données (copie cohérente),
    registre MLflow et ses artefacts, modèles, index et clé d'audit, avec un manifeste
    (empreintes SHA-256, schéma). Le dossier contient des données personnelles : chiffrez-le."""
    from tremplin.backup import backup, manifest_summary

    manifest = backup(get_settings(), out, models=models)
    console.print(f"{manifest_summary(manifest)} — écrite dans {out} en {manifest.seconds:.1f} s")


def restore_command(
    folder: Annotated[Path, typer.Argument(help="Dossier d'une sauvegarde Tremplin.")],
) -> None:
    """Restaurer une sauvegarde vérifiée (empreintes, schéma) dans une installation vide
    (dossier de données et base), puis mettre le schéma à jour."""
    from tremplin.backup import manifest_summary, restore

    manifest = restore(get_settings(), folder)
    console.print(
        f"restaurée : {manifest_summary(manifest)} ; reconstruisez l'index si la sauvegarde "
        "n'en contenait pas (tremplin index build) puis vérifiez le journal (tremplin audit verify)"
    )
