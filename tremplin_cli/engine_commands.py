"""``tremplin index`` and ``tremplin occupations`` (heavy imports lazily)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from data_contracts.readers import FileFormatError
from tremplin.settings import get_settings
from tremplin_cli.common import console, err, factory, fail

if TYPE_CHECKING:
    from matching.encoder import TextKind
    from matching.engine import IndexReport
    from matching.occupations import OccupationLinker

index_app = typer.Typer(help="Index vectoriel des opportunités (FAISS).", no_args_is_help=True)
occupations_app = typer.Typer(
    help="Relier des intitulés libres et des annonces aux métiers ESCO et ROME.",
    no_args_is_help=True,
)


def _run_index(operation: Callable[..., IndexReport], progress: bool) -> IndexReport:
    """Run a build or an update in one transaction; encoder and index errors exit cleanly."""
    from matching.encoder import EncoderError
    from matching.vector_index import IndexFileError
    from tremplin.store.db import transaction

    settings = get_settings()
    try:
        with transaction(factory(settings)) as session:
            return operation(session, settings, progress=progress)
    except (EncoderError, IndexFileError) as exc:
        raise fail(str(exc)) from None


@index_app.command("build")
def index_build(
    progress: Annotated[bool, typer.Option(help="Barre de progression.")] = True,
) -> None:
    """Encoder toutes les opportunités actives et écrire un index neuf."""
    from matching.engine import build_index

    report = _run_index(build_index, progress)
    console.print(
        f"Index construit : {report.count} opportunités ({report.kind}, {report.model_version}), "
        f"{report.encoded} texte(s) encodé(s)."
    )


@index_app.command("update")
def index_update(
    progress: Annotated[bool, typer.Option(help="Barre de progression.")] = True,
) -> None:
    """Ajouter, remplacer et retirer seulement ce qui a changé depuis la dernière fois."""
    from matching.engine import update_index

    report = _run_index(update_index, progress)
    console.print(
        f"Index à jour : {report.count} opportunités ; {report.added} ajoutée(s), "
        f"{report.replaced} remplacée(s), {report.removed} retirée(s)."
    )


@index_app.command("status")
def index_status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON.")] = False,
) -> None:
    """Afficher l'état de l'index et son écart avec la base."""
    from matching.engine import index_status
    from matching.vector_index import IndexFileError
    from tremplin.store.db import transaction

    settings = get_settings()
    try:
        with transaction(factory(settings)) as session:
            status = index_status(session, settings)
    except IndexFileError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(status, indent=2) + "\n")
        return
    for key, value in status.items():
        console.print(f"{key}: {value}")


@occupations_app.command("link")
def occupations_link(
    title: Annotated[str | None, typer.Argument(help="Un intitulé (sinon --input).")] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", help="Fichier UTF-8, un intitulé par ligne.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=50, help="Métiers proposés par intitulé.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Un objet JSON par ligne.")] = False,
    lexical_only: Annotated[
        bool, typer.Option("--lexical-only", help="Sans le modèle d'embeddings (plus rapide).")
    ] = False,
) -> None:
    """Proposer les métiers ESCO les plus proches d'intitulés ou d'aspirations en français."""
    if (title is None) == (input_file is None):
        raise fail("donnez un intitulé OU --input FICHIER")
    if input_file is not None:
        try:
            queries = input_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(
                f"fichier illisible ({input_file}) : {exc} — attendu : texte UTF-8"
            ) from None
    else:
        queries = [title or ""]
    linker = _linker(lexical_only)
    results = linker.link_many(queries, top)
    if as_json:
        for r in results:
            sys.stdout.write(json.dumps(r.model_dump(), ensure_ascii=False) + "\n")
        return
    for r in results:
        console.print(f"[bold]{r.query}[/]")
        for m in r.results:
            console.print(f"  {m.score:.3f}  {m.label}  {m.uri}")


@occupations_app.command("code")
def occupations_code(
    input_file: Annotated[
        Path,
        typer.Option(
            "--input", help="Annonces France Travail ou Forem (JSON Lines, tableau ou page)."
        ),
    ],
    top: Annotated[int, typer.Option(min=1, max=10, help="Métiers proposés par annonce.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Un objet JSON par ligne.")] = False,
) -> None:
    """Lire le métier ROME d'annonces d'après leur intitulé et leur description (les codes
    qu'elles portent sont ignorés) ; une ligne par annonce, avec sa probabilité."""
    from matching.ad_coding import Ad
    from services import linking
    from services.context import open_context
    from tremplin.feeds import FeedFormat, RecordError, ad_texts, detect_format

    feed = detect_format(input_file) if input_file.is_file() else FeedFormat.FRANCE_TRAVAIL
    if feed is FeedFormat.TABLE:
        raise fail(
            f"{input_file.name} : ni annonces France Travail ni offres du Forem (champs "
            "« intitule » ou « titreoffre » attendus)"
        )
    try:
        read = list(ad_texts(input_file, feed))
    except FileFormatError as exc:
        raise fail(str(exc)) from None
    ads = [(line, t) for line, t in read if not isinstance(t, RecordError)]
    for line, problem in read:
        if isinstance(problem, RecordError):
            err.print(f"ligne {line} : {problem}")
    coded = linking.code_ads(
        open_context(get_settings()),
        [Ad(t.title, t.description, t.published) for _, t in ads],
        top,
    )
    for (_, text), found in zip(ads, coded, strict=True):
        metiers = [m.model_dump() for m in found]
        if as_json:
            record = {"id": text.id, "title": text.title, "metiers": metiers}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        best = found[0] if found else None
        said = f"{best.code} {best.label} ({best.probability:.0%})" if best else "aucun métier"
        console.print(f"{text.id}  {text.title[:60]}  →  {said}")
    if not ads:
        raise fail("aucune annonce lisible dans le fichier", 1)


@occupations_app.command("label-vectors")
def occupations_label_vectors() -> None:
    """Reconstruire les vecteurs des intitulés ESCO et ROME livrés avec le projet
    (matching/fitted/label_vectors.npz), après un changement de l'encodeur servi."""
    from matching.engine import shipped_vector_texts
    from matching.label_vectors import ARCHIVE

    _ship_vectors(ARCHIVE, shipped_vector_texts())


@occupations_app.command("evaluation-vectors")
def occupations_evaluation_vectors() -> None:
    """Reconstruire les vecteurs des textes de l'évaluation externe livrés avec le projet
    (training/suites/data/evaluation_vectors.npz), après un changement de l'encodeur servi
    ou des recettes."""
    from training.suites.evaluation_vectors import ARCHIVE, evaluation_texts
    from tremplin.taxonomy import load_taxonomy

    _ship_vectors(ARCHIVE, evaluation_texts(load_taxonomy()))


def _ship_vectors(archive: Path, texts: list[tuple[str, TextKind]]) -> None:
    """Encode ``texts`` with the served encoder (through the embedding cache) and write them
    as a shipped archive (:func:`matching.label_vectors.write`)."""
    import numpy as np

    from matching.embedding_cache import EmbeddingCache
    from matching.encoder import served_encoder
    from matching.label_vectors import write

    settings = get_settings()
    encoder = served_encoder(settings)
    assert settings.embedding_cache is not None
    cache = EmbeddingCache(settings.embedding_cache)
    kinds: tuple[TextKind, ...] = ("query", "passage")
    try:
        ordered = [(t, k) for kind in kinds for t, k in texts if k == kind]
        parts = [
            cache.embed(encoder, [t for t, k in ordered if k == kind], kind, progress=True)
            for kind in kinds
        ]
    finally:
        cache.close()
    write(archive, encoder.version, ordered, np.concatenate(parts))
    size = archive.stat().st_size / 2**20
    console.print(f"{len(texts)} textes, encodeur {encoder.version} : {archive} ({size:.1f} Mo)")


def _linker(lexical_only: bool) -> OccupationLinker:
    """The served title linker (the API's, through the linking service), or a lexical one."""
    from matching.occupations import OccupationLinker
    from services import linking
    from services.context import open_context

    if lexical_only:
        return OccupationLinker()
    return linking.title_linker(open_context(get_settings()))
