"""Browsing the served catalogue: title words, kind, métier, postcode and visibility, in memory.

The API's opportunity search reads the active opportunities from here rather than from the
database: the same rows (the catalogue is reloaded after every write), without a full scan of
the table per request. Title words match accent- and case-insensitively, as substrings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from data_contracts.enums import OpportunityKind
from matching.catalogue import OpportunityCatalogue
from tremplin.text import normalize


@dataclass(frozen=True)
class Visibility:
    """Who is looking: an employer sees its own offers; a coach, none reserved for another
    CPAS; others see everything."""

    employer_id: str | None = None
    cpas_id: str | None = None
    employer_only: bool = False


class CatalogueBrowser:
    """Columns for browsing, built once per catalogue."""

    def __init__(self, cat: OpportunityCatalogue) -> None:
        self.cat = cat

    @cached_property
    def titles(self) -> np.ndarray:
        """Normalised titles (numpy strings, for vectorised substring search)."""
        return np.array([normalize(o.title) for o in self.cat.opportunities], dtype=str)

    @cached_property
    def order(self) -> np.ndarray:
        """Positions sorted by external id (the API's order)."""
        return np.argsort(
            np.array([o.id for o in self.cat.opportunities], dtype=str), kind="stable"
        )

    @cached_property
    def employers(self) -> np.ndarray:
        """Each opportunity's employer id ('' when none)."""
        return np.array([o.employer_id or "" for o in self.cat.opportunities], dtype=str)

    def search(
        self,
        words: list[str],
        visibility: Visibility,
        kind: OpportunityKind | None = None,
        rome_code: str | None = None,
        postcode: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[int], int]:
        """Positions of one page of matches (by external id) and the number of matches."""
        cat, cols = self.cat, self.cat.columns
        mask = np.ones(len(cat), dtype=bool)
        if visibility.employer_only:
            mask &= self.employers == (visibility.employer_id or "")
        elif visibility.cpas_id is not None:
            own = cols.cpas_codes.get(visibility.cpas_id, -2)
            mask &= (cols.reserved_for < 0) | (cols.reserved_for == own)
        if kind is not None:
            mask &= cat.kind_mask[kind]
        if rome_code is not None:
            same, _ = cat.family_mask(rome_code)
            mask &= same
        if postcode is not None:
            mask &= cols.postcode == postcode
        for word in words[:8]:
            term = normalize(word)
            if term:
                mask &= np.char.find(self.titles, term) >= 0
        hits = self.order[mask[self.order]]
        return [int(p) for p in hits[offset : offset + limit]], len(hits)
