"""Matching engine: encoder, vector index, hard filters, hybrid ranking, pathways, linking.

Nothing is ever fetched from a model hub: every model load passes ``local_files_only=True``
(installed packages and folders under the models folder only); the package leaves the
process environment alone.
"""

from matching.catalogue import OpportunityCatalogue
from matching.fusion import FusionWeights
from matching.items import ShortlistItem
from matching.shortlist import Shortlist, shortlist

__all__ = [
    "FusionWeights",
    "OpportunityCatalogue",
    "Shortlist",
    "ShortlistItem",
    "shortlist",
]
