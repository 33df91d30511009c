"""The matching engine over a database: active opportunities, encoder, persisted index.

``build_index`` encodes every active opportunity (texts already in the embedding cache are
not re-encoded) and writes a fresh index; ``update_index`` adds, replaces and removes only
what changed; ``load_engine`` opens the index (refusing one built by another encoder) and
returns a ready :class:`~matching.catalogue.OpportunityCatalogue`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from filelock import FileLock
from pydantic import BaseModel

from matching.ad_coding import AdCoder, MetierTexts, metier_passages
from matching.catalogue import OpportunityCatalogue, build_vector_index, sync_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder, TextKind, served_encoder
from matching.occupations import OccupationLinker, label_texts
from matching.vector_index import IndexEncoderMismatch, VectorIndex, read_index_file
from tremplin.settings import Settings
from tremplin.store.repository import active_opportunities

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def index_path(settings: Settings) -> Path:
    """Where the opportunity index is saved."""
    return settings.data_dir / "index" / "opportunities.tfx"


def cache_path(settings: Settings) -> Path:
    """Where the embedding cache lives."""
    return settings.embedding_cache or settings.data_dir / "index" / "embeddings.sqlite"


class IndexReport(BaseModel):
    """What a build or an update did."""

    model_version: str
    kind: str
    count: int
    added: int = 0
    replaced: int = 0
    removed: int = 0
    encoded: int = 0
    recall_at_10: float | None = None


def _active(session: Session) -> tuple[np.ndarray, list[Any]]:
    rows = active_opportunities(session)
    return np.asarray([pk for pk, _ in rows], dtype=np.int64), [o for _, o in rows]


def build_index(
    session: Session,
    settings: Settings,
    encoder: Encoder | None = None,
    progress: bool = False,
) -> IndexReport:
    """Encode the active opportunities and save a fresh index (FAISS factory strings and the
    approximate threshold from the settings)."""
    enc = encoder or served_encoder(settings)
    ids, items = _active(session)
    cache = EmbeddingCache(cache_path(settings))
    try:
        index = build_vector_index(
            items,
            ids,
            enc,
            cache,
            approximate_threshold=settings.index_approximate_from,
            progress=progress,
            factories=(settings.index_factory, settings.index_factory_approximate),
            memory_budget_mb=settings.index_memory_budget_mb,
            tuning_texts=_tuning_texts(session)
            if len(ids) >= settings.index_approximate_from
            else (),
        )
    finally:
        cache.close()
    index.save(index_path(settings))
    return IndexReport(
        model_version=enc.version,
        kind=index.kind,
        count=len(index),
        added=len(index),
        encoded=cache.misses,
        recall_at_10=index.recall_at_10,
    )


def _tuning_texts(session: Session, n: int = 200) -> list[str]:
    """Query texts of up to ``n`` stored profiles (an approximate index is tuned on real
    queries; nothing of them is kept)."""
    from matching.profile import ProfileView
    from tremplin.store.repository import sample_profiles
    from tremplin.taxonomy import load_taxonomy

    tax = load_taxonomy()
    texts = [". ".join(ProfileView(p, tax).query_parts) for p in sample_profiles(session, n)]
    return [t for t in texts if t]


class _SyncedIndex(NamedTuple):
    encoder: Encoder
    vector_index: VectorIndex
    ids: np.ndarray
    items: list[Any]
    changes: dict[str, int]
    encoded: int


def _load_and_sync(
    session: Session, settings: Settings, encoder: Encoder | None, progress: bool = False
) -> _SyncedIndex:
    """The saved index, brought in step with the active opportunities in memory."""
    enc = encoder or served_encoder(settings)
    stale: str | None = None  # why the saved index must be rebuilt, if it must
    try:
        index = VectorIndex.load(index_path(settings), enc.version)
        if index.kind == "flat" and index.factory != settings.index_factory:
            stale = f"index built as {index.factory}, settings say {settings.index_factory}"
    except IndexEncoderMismatch as exc:  # a newly served encoder: the index follows it
        stale = str(exc)
    if stale is not None:
        log.warning("%s — rebuilding the index for %s", stale, enc.version)
        build_index(session, settings, enc)
        index = VectorIndex.load(index_path(settings), enc.version)
    ids, items = _active(session)
    cache = EmbeddingCache(cache_path(settings))
    try:
        changes = sync_vector_index(index, items, ids, enc, cache, progress=progress)
    finally:
        cache.close()
    return _SyncedIndex(enc, index, ids, items, changes, cache.misses)


def update_index(
    session: Session, settings: Settings, encoder: Encoder | None = None, progress: bool = False
) -> IndexReport:
    """Apply the changes since the last build or update to the saved index."""
    enc, index, _, _, changes, encoded = _load_and_sync(session, settings, encoder, progress)
    if any(changes.values()):
        index.save(index_path(settings))
    return IndexReport(
        model_version=enc.version,
        kind=index.kind,
        count=len(index),
        encoded=encoded,
        recall_at_10=index.recall_at_10,
        **changes,
    )


def index_status(session: Session, settings: Settings) -> dict[str, Any]:
    """What the saved index holds and how far it is from the active opportunities."""
    header, entries, _ = read_index_file(index_path(settings))
    ids, _ = _active(session)
    indexed = entries.ids
    active = np.unique(np.asarray(ids, dtype=np.int64))
    return {
        "path": str(index_path(settings)),
        "model_version": header.model_version,
        "kind": header.kind,
        "factory": header.factory,
        "nprobe": header.nprobe,
        "count": header.count,
        "recall_at_10": header.recall_at_10,
        "built_at": header.built_at.isoformat(),
        "updated_at": header.updated_at.isoformat(),
        "missing": int(np.setdiff1d(active, indexed).size),
        "stale": int(np.setdiff1d(indexed, active).size),
    }


_LINKERS: dict[tuple[str, str], OccupationLinker] = {}
_LINKERS_LOCK = threading.Lock()


def title_linker(settings: Settings, encoder: Encoder | None) -> OccupationLinker:
    """The process's title linker for ``encoder`` (built once; the first build in a data folder
    embeds the ~40k taxonomy labels into the embedding cache, other processes wait for it)."""
    path = cache_path(settings)
    key = (encoder.version if encoder is not None else "lexical", str(path))
    with _LINKERS_LOCK:
        if key not in _LINKERS:
            path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(path) + ".labels.lock"):
                cache = EmbeddingCache(path) if encoder is not None else None
                try:
                    _LINKERS[key] = OccupationLinker(encoder=encoder, cache=cache)
                finally:
                    if cache is not None:
                        cache.close()
        return _LINKERS[key]


_CODERS: dict[tuple[str, str], AdCoder] = {}


def shipped_vector_texts() -> list[tuple[str, TextKind]]:
    """What ``matching/fitted/label_vectors.npz`` holds: every label the title linkers embed
    (as queries), then every métier passage the ad coder embeds."""
    return [(t, "query") for t in label_texts()] + [(p, "passage") for p in metier_passages()]


def ad_coder(settings: Settings, encoder: Encoder | None) -> AdCoder:
    """The process's ad coder for ``encoder`` (built once, over the title linker; the
    métiers' passages are embedded through the embedding cache the first time)."""
    linker = title_linker(settings, encoder)
    path = cache_path(settings)
    key = (encoder.version if encoder is not None else "lexical", str(path))
    with _LINKERS_LOCK:
        if key not in _CODERS:
            cache = EmbeddingCache(path) if encoder is not None else None
            try:
                texts = MetierTexts(linker.taxonomy, encoder, cache)
            finally:
                if cache is not None:
                    cache.close()
            _CODERS[key] = AdCoder(
                texts, linker, encoder, cache_path=path if encoder is not None else None
            )
        return _CODERS[key]


def load_engine(
    session: Session, settings: Settings, encoder: Encoder | None = None
) -> OpportunityCatalogue:
    """A catalogue of the active opportunities with the saved index (kept in step in memory)
    and, unless disabled, the title linker."""
    enc, index, ids, items, changes, _ = _load_and_sync(session, settings, encoder)
    if any(changes.values()):
        log.warning(
            "index behind the database (%s): run `tremplin index update` to save the changes",
            changes,
        )
    linker = title_linker(settings, enc) if settings.link_titles else None
    coder = ad_coder(settings, enc) if settings.link_titles else None
    return OpportunityCatalogue(
        items, ids=ids, encoder=enc, index=index, linker=linker, coder=coder
    )
