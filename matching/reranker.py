"""The re-ranker interface the shortlist calls, and its scikit-learn implementation.

A re-ranker scores the fused candidates from the rows of
:func:`~matching.features.feature_matrix`. The training pipeline fits one on outcomes and
registers it in MLflow; the service loads the registered champion and passes it to
:func:`~matching.shortlist.shortlist`. Without one, the shortlist keeps the fusion weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from matching.features import FEATURE_NAMES


class Reranker(Protocol):
    """Scores candidate rows; higher is better."""

    version: str

    def score(self, features: np.ndarray) -> np.ndarray:
        """One score per row of ``features`` (columns: :data:`FEATURE_NAMES`)."""
        ...


class FeatureMismatchError(ValueError):
    """A model was trained on other features than the engine computes."""


class SklearnReranker:
    """A fitted scikit-learn regressor or classifier used as a re-ranker."""

    def __init__(
        self, model: Any, version: str, feature_names: Sequence[str] = FEATURE_NAMES
    ) -> None:
        if tuple(feature_names) != FEATURE_NAMES:
            raise FeatureMismatchError(
                "le modèle a été entraîné sur d'autres variables que celles du moteur ; "
                "ré-entraînez-le (tremplin train) / the model was trained on other features "
                f"than the engine computes: {list(feature_names)} != {list(FEATURE_NAMES)}"
            )
        self.model = model
        self.version = version

    def score(self, features: np.ndarray) -> np.ndarray:
        """The model's relevance score per row (expected class if a classifier).

        The model predicts with as many OpenMP threads as the calling thread allows: the API
        caps each request thread at ``TREMPLIN_COMPUTE_THREADS`` (1) the first time it asks
        for the catalogue, since a per-call cap costs more than the prediction.
        """
        if not len(features):
            return np.zeros(0, dtype=np.float64)
        if hasattr(self.model, "predict_proba"):
            proba = np.asarray(self.model.predict_proba(features))
            return np.asarray(proba @ np.arange(proba.shape[1]), dtype=np.float64)
        return np.asarray(self.model.predict(features), dtype=np.float64)
