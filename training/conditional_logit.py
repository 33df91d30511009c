"""The conditional logit every fitted reading uses: a softmax over each query's candidates.

Rows are candidates, grouped by query (contiguous); a query may have several right rows (the
finer fiches under one historic fiche), and the fit maximises the weighted log of the
probability mass on them, with an L2 penalty. Features are standardised first, so the penalty
treats them alike; the coefficients on the raw features are ``coef / scale`` (the means shift
every candidate of a query alike and cancel in the softmax).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

TINY = 1e-300


def fit_conditional_logit(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, weight: np.ndarray, penalty: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients (on standardised features), means and scales of the features; ``y`` says
    which rows are right, ``weight`` weighs each row's query (its first row's weight counts).
    Queries without a right row are left out."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    right_rows = np.asarray(y, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    answered = np.add.reduceat(right_rows, starts) > 0
    w = weight[starts] * answered
    total = float(w.sum()) or 1.0

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ beta
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - np.repeat(top, sizes))
        norm = np.add.reduceat(e, starts)
        right = np.maximum(np.add.reduceat(e * right_rows, starts), TINY)
        log_p = np.log(right) - np.log(norm)
        p = e / np.repeat(norm, sizes)
        q = e * right_rows / np.repeat(right, sizes)  # each right row's share of the right mass
        grad_s = np.repeat(w, sizes) * (p - q) / total
        value = -float((w * log_p).sum()) / total + penalty * float(beta @ beta)
        return value, z.T @ grad_s + 2 * penalty * beta

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B")
    return np.asarray(result.x), mean, scale
