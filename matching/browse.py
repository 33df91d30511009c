"""Browsing the served catalogue: title words, kind, métier, postcode and visibility, in memory.

The API's opportunity search reads the active opportunities from here rather than from the
database: the same rows (the catalogue is reloaded after every write), without a full scan of
the table per request. Title words match accent- and case-insensitively, as substrings.
"""

from __future__ import annotations

import re
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
    def _titles(self) -> tuple[str, np.ndarray]:
        """Every normalised title in one string, one per line, and where each line starts:
        a word is found by one scan of that string (``str.find`` runs in C), and each hit
        maps back to its opportunity by a binary search over the starts."""
        titles = [normalize(o.title).replace("\n", " ") for o in self.cat.opportunities]
        starts = np.cumsum([0] + [len(t) + 1 for t in titles[:-1]]) if titles else np.zeros(0)
        return "\n".join(titles), np.asarray(starts, dtype=np.int64)

    def containing(self, term: str) -> np.ndarray:
        """A mask of the opportunities whose normalised title contains ``term`` (one line
        of the joined titles never reaches into the next: ``term`` has no line break)."""
        blob, starts = self._titles
        mask = np.zeros(len(self.cat), dtype=bool)
        if not term or "\n" in term:
            return mask
        hits = [m.start() for m in re.finditer(re.escape(term), blob)]
        if hits:
            mask[np.searchsorted(starts, hits, side="right") - 1] = True
        return mask

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
            of_code = np.zeros(len(cat), dtype=bool)
            of_code[cat.family_positions(rome_code)[0]] = True
            mask &= of_code
        if postcode is not None:
            mask &= cols.postcode == postcode
        for word in words[:8]:
            term = normalize(word)
            if term:
                mask &= self.containing(term)
        hits = self.order[mask[self.order]]
        return [int(p) for p in hits[offset : offset + limit]], len(hits)
