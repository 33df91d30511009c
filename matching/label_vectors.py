"""The taxonomy's vectors for the bundled encoder, shipped with the project.

The title linkers embed about 27,000 ESCO and ROME labels, and the ad coder the ~600 métiers'
ROME passages; on two cores that is minutes the first time a machine builds them (a fresh
install, every CI run). The vectors for the encoder the project bundles are kept in
``matching/fitted/label_vectors.npz`` (float32,
compressed; the cache keys as raw SHA-256 digests) with ``label_vectors.json`` (encoder
version, count, dimension, the archive's SHA-256). :func:`seed` copies them into an embedding
cache that lacks them, so that the linker finds every label there; a different encoder, an
altered archive or a missing file seeds nothing (the labels are then encoded as before).
``tremplin engine label-vectors`` rebuilds the artefact when the encoder changes, and a test
checks it against the encoder on a sample of labels.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from matching.embedding_cache import EmbeddingCache, text_key
from matching.encoder import TextKind

FITTED = Path(__file__).resolve().parent / "fitted"
ARCHIVE = FITTED / "label_vectors.npz"
KIND: TextKind = "query"  # the linkers embed labels as queries (a title typed is compared to them)
log = logging.getLogger(__name__)


class LabelVectorsInfo(BaseModel):
    """What the archive holds and its checksum."""

    encoder_version: str
    count: int
    dim: int
    sha256: str


def info_path(archive: Path) -> Path:
    """The archive's description file."""
    return archive.with_suffix(".json")


def write(
    archive: Path,
    encoder_version: str,
    texts: Sequence[tuple[str, TextKind]],
    vectors: np.ndarray,
) -> None:
    """Keep ``vectors`` (one per (text, kind), any float type) as ``encoder_version``'s."""
    keys = np.frombuffer(b"".join(bytes.fromhex(text_key(t, k)) for t, k in texts), np.uint8)
    with archive.open("wb") as out:
        np.savez_compressed(
            out, keys=keys.reshape(len(texts), 32), vectors=vectors.astype(np.float32)
        )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    info = LabelVectorsInfo(
        encoder_version=encoder_version, count=len(texts), dim=int(vectors.shape[1]), sha256=digest
    )
    info_path(archive).write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read(archive: Path = ARCHIVE) -> tuple[LabelVectorsInfo, list[str], np.ndarray] | None:
    """The archive's description, cache keys and float32 vectors as the encoder gave them
    (None when it is missing or does not match its checksum)."""
    described = info_path(archive)
    if not archive.is_file() or not described.is_file():
        return None
    info = LabelVectorsInfo.model_validate_json(described.read_text(encoding="utf-8"))
    if hashlib.sha256(archive.read_bytes()).hexdigest() != info.sha256:
        log.warning("%s does not match its checksum: labels will be encoded", archive.name)
        return None
    with np.load(archive) as data:
        keys = [bytes(row).hex() for row in data["keys"]]
        vectors = data["vectors"].astype(np.float32)
    return info, keys, vectors


def seed(cache: EmbeddingCache, encoder_version: str, archive: Path = ARCHIVE) -> int:
    """Copy the archive's vectors into ``cache`` when they are for ``encoder_version`` and the
    cache lacks some of them; returns how many were added."""
    described = info_path(archive)
    if not described.is_file():
        return 0
    info = LabelVectorsInfo.model_validate_json(described.read_text(encoding="utf-8"))
    if info.encoder_version != encoder_version:
        return 0
    found = read(archive)
    if found is None:
        return 0
    _, keys, vectors = found
    present = cache.lookup(encoder_version, keys)
    missing = [i for i, k in enumerate(keys) if k not in present]
    if not missing:
        return 0
    return cache.store(encoder_version, [keys[i] for i in missing], vectors[missing])
