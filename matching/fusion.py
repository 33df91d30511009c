"""The fusion: the one formula that weighs the ranking's channels (dense similarity, lexical
match, skills, aspiration, distance), its weights (fitted on the external suites' dev side by
``training/fusion.py``), and the min-max scaling of a channel over a set of candidates. The
shortlist, the job days (through the shortlist's scores) and the employer pool all rank with it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field


class FusionWeights(BaseModel):
    """Weights of the score's parts. These defaults are the documented untrained fallback;
    :func:`fitted_weights` serves the ones fitted on the external suites' dev side."""

    dense: float = Field(default=0.20, ge=0)
    lexical: float = Field(default=0.10, ge=0)
    skills: float = Field(default=0.40, ge=0)
    aspiration: float = Field(default=0.30, ge=0)
    distance: float = Field(default=0.10, ge=0)


FITTED_WEIGHTS = Path(__file__).resolve().parent / "fitted" / "fusion.json"


@lru_cache(maxsize=8)
def fitted_weights(encoder_folder: Path | None = None) -> FusionWeights:
    """The fusion weights fitted on the external suites' dev side (``training/fusion.py``):
    those fitted with a fine-tuned encoder (``fusion.json`` beside its weights), else the
    shipped ones (``matching/fitted/fusion.json``), else the hand-set defaults."""
    for path in (encoder_folder / FITTED_WEIGHTS.name if encoder_folder else None, FITTED_WEIGHTS):
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return FusionWeights.model_validate(data["weights"])
    return FusionWeights()


def minmax(values: np.ndarray) -> np.ndarray:
    """``values`` scaled to [0, 1] over themselves (all equal: 1 where positive, else 0)."""
    if not len(values):
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.where(values > 0, 1.0, 0.0).astype(np.float32)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def fuse(
    w: FusionWeights,
    *,
    dense: np.ndarray | None,
    lexical: np.ndarray | float,
    skills: np.ndarray,
    aspiration: np.ndarray,
    distance: np.ndarray,
) -> np.ndarray:
    """The fused score of aligned channel arrays with weights ``w`` (``dense`` None: a
    catalogue without vectors; ``distance``: km over the person's maximum, a penalty)."""
    near = w.dense * dense if dense is not None else 0.0
    return np.asarray(
        near + w.lexical * lexical + w.skills * skills + w.aspiration * aspiration
        - w.distance * distance
    )  # fmt: skip
