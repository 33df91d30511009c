"""Matching engine: encoder, vector index, hard filters, hybrid ranking, pathways, linking."""

from matching.catalogue import OpportunityCatalogue
from matching.shortlist import (
    EmptyProfileError,
    FusionWeights,
    Shortlist,
    ShortlistItem,
    shortlist,
)

__all__ = [
    "EmptyProfileError",
    "FusionWeights",
    "OpportunityCatalogue",
    "Shortlist",
    "ShortlistItem",
    "shortlist",
]
