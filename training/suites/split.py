"""The one dev/test split of every external suite, by concept (ESCO occupation or ROME métier).

A concept's side is a hash of its identifier, so it never changes between runs or machines
and every suite, the linker's fitted model, the fusion weights and the encoder's fine-tuning
pairs agree on it: nothing fitted ever saw a test concept's labels or crosswalk links.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal

Split = Literal["dev", "test"]
SALT = "tremplin-split-v1"
TEST_SHARE = 0.5


def split_of(concept: str) -> Split:
    """The side of ``concept`` (an ESCO URI or a ROME code)."""
    digest = hashlib.sha256(f"{SALT}:{concept}".encode()).digest()
    return "test" if digest[0] < round(256 * TEST_SHARE) else "dev"


def fold_of(concept: str, folds: int) -> int:
    """A dev concept's cross-validation fold (0 .. folds-1), independent of its side."""
    digest = hashlib.sha256(f"{SALT}:fold:{concept}".encode()).digest()
    return int.from_bytes(digest[1:5], "big") % folds


def test_concepts(concepts: Iterable[str]) -> frozenset[str]:
    """The test-side members of ``concepts``."""
    return frozenset(c for c in concepts if split_of(c) == "test")
