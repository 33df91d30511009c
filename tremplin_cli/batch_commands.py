"""``tremplin batch``: batch embedding and nightly rescoring on Ray (local mode by default,
a cluster with ``--address``), or in one process with ``--engine loop``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tremplin.settings import get_settings
from tremplin_cli.common import console, err, factory, fail

if TYPE_CHECKING:
    from matching.reranker import Reranker
    from services.batch.runtime import BatchOptions
    from tremplin.settings import Settings

batch_app = typer.Typer(
    help="Traitements par lots (Ray) : vecteurs de tout le catalogue, recalcul nocturne.",
    no_args_is_help=True,
)

EngineOpt = Annotated[
    str, typer.Option("--engine", help="ray (défaut) ou loop (un seul processus, la référence).")
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address", help="Adresse d'un cluster Ray (défaut : Ray local sur cette machine)."
    ),
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", help="Acteurs Ray (défaut : un par cœur).")
]
GpusOpt = Annotated[float, typer.Option("--gpus-per-worker", help="GPU par acteur (0 : CPU).")]
BatchOpt = Annotated[int, typer.Option("--batch-size", help="Lignes par lot.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Sortie JSON.")]


def _options(
    engine: str, address: str | None, workers: int | None, gpus: float, batch: int
) -> BatchOptions:
    from pydantic import ValidationError

    from services.batch.runtime import BatchOptions

    if engine not in ("ray", "loop"):
        raise fail(f"moteur inconnu : {engine} (ray ou loop)")
    try:
        values: dict[str, object] = {
            "engine": engine,
            "address": address,
            "gpus_per_worker": gpus,
            "batch_size": batch,
        }
        if workers is not None:
            values["workers"] = workers
        return BatchOptions.model_validate(values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise fail(
            f"option invalide --{str(problem['loc'][0]).replace('_', '-')} : {problem['msg']}"
        ) from None


def _out(out: Path | None, settings: Settings) -> Path:
    return out or settings.data_dir / "batch"


@batch_app.command("embed")
def embed(
    what: Annotated[str, typer.Argument(help="opportunities (offres) ou profiles (profils).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Dossier Parquet (défaut : <données>/batch).")
    ] = None,
    engine: EngineOpt = "ray",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    gpus_per_worker: GpusOpt = 0.0,
    batch_size: BatchOpt = 256,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ne pas garder les vecteurs dans le cache.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Encoder toutes les offres actives ou tous les profils en Parquet (par morceaux), et
    garder les vecteurs dans le cache : `tremplin index build` n'encode alors plus rien."""
    from services.batch.embed import embed as run

    if what not in ("opportunities", "profiles"):
        raise fail(f"que faut-il encoder ? {what} : opportunities ou profiles")
    settings = get_settings()
    options = _options(engine, address, workers, gpus_per_worker, batch_size)
    report = run(
        settings,
        factory(settings),
        "opportunities" if what == "opportunities" else "profiles",
        _out(out, settings),
        options,
        into_cache=not no_cache,
    )
    if as_json:
        console.print_json(report.model_dump_json())
        return
    console.print(
        f"{report.rows} {what if what == 'opportunities' else 'textes de profils'} encodés "
        f"({report.encoded} nouveaux textes) en {report.seconds:.1f} s "
        f"({report.rows_per_s:.0f}/s, {report.engine}, {report.workers} acteur(s), {report.device}) "
        f"→ {report.output} ({report.files} fichier(s) Parquet)"
    )


def _champion(settings: Settings) -> Reranker | None:
    """The registry's champion, refused like the API refuses it (the fusion then ranks)."""
    from services.engine import served_champion

    reranker, refused = served_champion(settings, factory(settings))
    if refused:
        err.print(f"[yellow]Modèle champion refusé, la fusion classe :[/] {refused}")
    return reranker


@batch_app.command("rescore")
def rescore(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Offres reçues depuis (AAAA-MM-JJ[THH:MM]) ; défaut : le dernier passage.",
        ),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Tout le catalogue actif (premier passage).")
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=1, max=200, help="Opportunités gardées par personne.")
    ] = 20,
    out: Annotated[
        Path | None, typer.Option("--out", help="Dossier Parquet (défaut : <données>/batch).")
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", help="Date des filtres (défaut : aujourd'hui).")
    ] = None,
    engine: EngineOpt = "ray",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    batch_size: BatchOpt = 64,
    no_load: Annotated[
        bool, typer.Option("--no-load", help="Écrire le Parquet sans le charger dans la base.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Classer les offres fraîches pour chaque bénéficiaire avec le modèle champion, écrire
    les meilleures en Parquet et les charger pour la vue « nouveau depuis votre dernière
    visite » des accompagnateurs."""
    from services.batch.rescore import rescore as run

    settings = get_settings()
    options = _options(engine, address, workers, 0.0, batch_size)
    try:
        horizon = dt.datetime.fromisoformat(since) if since else None
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise fail(
            f"date invalide : {since or today} (attendu AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)"
        ) from None
    if horizon is not None and horizon.tzinfo is None:
        horizon = horizon.replace(tzinfo=dt.UTC)
    if horizon is not None and everything:
        raise fail("--since et --all s'excluent : choisissez l'un des deux")
    report = run(
        settings,
        factory(settings),
        _out(out, settings),
        options,
        since=horizon,
        everything=everything,
        top=top,
        today=day,
        reranker=_champion(settings),
        load=not no_load,
    )
    if as_json:
        console.print_json(json.dumps(report.model_dump(mode="json")))
        return
    console.print(
        f"{report.beneficiaries} bénéficiaires × {report.fresh_opportunities} offres fraîches → "
        f"{report.candidates} propositions en {report.seconds:.1f} s "
        f"({report.beneficiaries_per_s:.1f} personnes/s, {report.engine}, {report.workers} acteur(s), "
        f"classement : {report.ranker}) → {report.output}"
        + (" ; chargées dans la base" if report.loaded else "")
    )
