"""The proxy report: how well the ranker's features predict each protected attribute.

The monitoring attributes are never features, but features can stand in for them (French
level for origin, hours and shifts for gender and age through childcare). For every training
person the features of their pairs are averaged; then, per attribute and pooled group (one
group against the others):

* each feature alone: its AUC (0.5 = says nothing; reported as max(AUC, 1 - AUC), so 0.7
  means the feature separates the group from the others as well as a weak test would);
* all features together: a small classifier's (logistic regression) cross-validated AUC, the
  ceiling of what a ranker could infer about the attribute.

The report names the strongest proxies; ``docs/fairness.md`` says what is done about them.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from matching.features import FEATURE_NAMES
from training.datasets import Dataset
from training.groups import ATTRIBUTES, MIN_GROUP, pooled_groups

FOLDS = 5


class ProxyRow(BaseModel):
    """One feature's (or the classifier's) power to tell one group from the others."""

    feature: str  # a feature name, or "(toutes)" for the classifier
    attribute: str
    group: str
    auc: float


class ProxyReport(BaseModel):
    """Every (feature, attribute) row, strongest first."""

    people: int
    rows: list[ProxyRow]

    def top(self, n: int = 3, classifier: bool = False) -> list[ProxyRow]:
        """The ``n`` strongest single-feature proxies (or the classifier rows)."""
        rows = [r for r in self.rows if (r.feature == ALL) == classifier]
        return sorted(rows, key=lambda r: -r.auc)[:n]

    def metrics(self) -> dict[str, float]:
        """For the experiment log: the classifier's AUC per attribute and the top proxies."""
        out = {f"proxy.all.{r.attribute}": r.auc for r in self.top(len(ATTRIBUTES), True)}
        out.update({f"proxy.{r.feature}.{r.attribute}": r.auc for r in self.top(5)})
        return out


ALL = "(toutes)"


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    value = float(roc_auc_score(y, score))
    return round(max(value, 1 - value), 4)


def person_features(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The training people's ids and their pairs' mean features (NaN filled by the median)."""
    table = ds.train
    people = np.unique(table.person)
    x = (
        np.vstack([np.nanmean(table.features[table.person == p], axis=0) for p in people])
        if len(people)
        else np.zeros((0, len(FEATURE_NAMES)))
    )
    medians = np.nanmedian(np.where(np.isfinite(x), x, np.nan), axis=0)
    x = np.where(np.isfinite(x), x, np.nan_to_num(medians)[None, :])
    return people, x


def proxy_report(ds: Dataset, min_group: int = MIN_GROUP) -> ProxyReport:
    """Single-feature and classifier AUCs for every attribute's pooled groups."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    people, x = person_features(ds)
    rows: list[ProxyRow] = []
    for attribute in ATTRIBUTES:
        values = {int(p): ds.data.groups.get(int(p), {}).get(attribute, "?") for p in people}
        labels = pooled_groups(attribute, values, min_group)
        keep = np.asarray([int(p) in labels for p in people])
        if keep.sum() < 2 * min_group:
            continue
        names = np.asarray([labels.get(int(p), "") for p in people])[keep]
        xs = x[keep]
        groups = sorted(set(names))
        if len(groups) < 2:
            continue
        for group in groups:
            y = (names == group).astype(int)
            if y.sum() < min_group or (1 - y).sum() < min_group:
                continue
            for j, feature in enumerate(FEATURE_NAMES):
                if np.ptp(xs[:, j]) > 0:
                    rows.append(
                        ProxyRow(
                            feature=feature, attribute=attribute, group=group, auc=_auc(y, xs[:, j])
                        )
                    )
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
            folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predicted = cross_val_predict(model, xs, y, cv=folds, method="predict_proba")
            rows.append(
                ProxyRow(
                    feature=ALL, attribute=attribute, group=group, auc=_auc(y, predicted[:, 1])
                )
            )
    best: dict[tuple[str, str], ProxyRow] = {}
    for r in rows:  # per (feature, attribute): the group it separates best
        key = (r.feature, r.attribute)
        if key not in best or r.auc > best[key].auc:
            best[key] = r
    return ProxyReport(
        people=len(people), rows=sorted(best.values(), key=lambda r: (-r.auc, r.feature))
    )
