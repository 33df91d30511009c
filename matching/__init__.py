"""Matching engine: hard filters, scoring and the shortlist."""

from matching.shortlist import (
    FusionWeights,
    OpportunityCatalogue,
    Shortlist,
    ShortlistItem,
    shortlist,
)

__all__ = ["FusionWeights", "OpportunityCatalogue", "Shortlist", "ShortlistItem", "shortlist"]
