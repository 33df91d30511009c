"""The re-ranker model: ordinal gradient boosting over the funnel stages.

One histogram gradient-boosting classifier per stage k learns P(grade >= k) (proposed,
applied, interview, hired); the score is their sum, the expected stage reached. This uses
every step of the funnel (a pair proposed then refused says more than one never proposed)
where a single "hired or not" classifier would see a few hundred positives. It is a plain
scikit-learn estimator, so MLflow's sklearn flavour saves and loads it.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingClassifier

# The types a saved model may contain (MLflow's sklearn flavour saves with skops, which loads
# only the types listed; the files are our own, written by the training pipeline).
TRUSTED_TYPES = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "training.model.OrdinalBoostingRanker",
]


class OrdinalBoostingRanker(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Expected funnel stage from one boosted classifier per stage."""

    def __init__(
        self,
        max_iter: int = 600,
        learning_rate: float = 0.03,
        max_leaf_nodes: int = 7,
        min_samples_leaf: int = 30,
        l2_regularization: float = 3.0,
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> Self:
        """Fit one classifier per stage that both occurs and is not reached by every pair."""
        y = np.asarray(y)
        self.stages_: list[int] = []
        self.models_: list[HistGradientBoostingClassifier] = []
        for k in range(1, int(y.max()) + 1 if len(y) else 1):
            above = (y >= k).astype(int)
            if above.min() == above.max():
                continue
            model = HistGradientBoostingClassifier(
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                random_state=self.random_state,
            )
            self.stages_.append(k)
            self.models_.append(model.fit(X, above))
        if not self.models_:
            raise ValueError("every pair has the same grade: nothing to learn")
        self.n_features_in_ = int(np.asarray(X).shape[1])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The expected stage: the sum over stages of P(grade >= k)."""
        X = np.asarray(X, dtype=np.float32)
        total = np.zeros(len(X), dtype=np.float64)
        for model in self.models_:
            total += model.predict_proba(X)[:, 1]
        return total
