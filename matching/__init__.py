"""Matching engine: encoder, vector index, hard filters, hybrid ranking, pathways, linking."""

import os

# Nothing is ever fetched from a model hub, whatever the environment says: models load from
# installed packages or from folders under var/models only. Set here, before any submodule
# (the encoder, the e5 conversion, and through them fine-tuning) can import the Hugging Face
# libraries, which read these variables when they are first imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from matching.catalogue import OpportunityCatalogue
from matching.shortlist import (
    FusionWeights,
    Shortlist,
    ShortlistItem,
    shortlist,
)

__all__ = [
    "FusionWeights",
    "OpportunityCatalogue",
    "Shortlist",
    "ShortlistItem",
    "shortlist",
]
