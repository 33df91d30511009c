"""Fit the title linkers' blend on the dev side of the title suites (never on test).

For each linker (ESCO occupations, ROME métiers) the dev cases of its suites are scored under
cross-validation masks (a case never sees the crosswalk or synonym rows of its own fold's
concepts), every candidate becomes a row of :data:`~matching.linking.LINK_FEATURES` labelled
by whether it is the answer, and a conditional logit is fitted (a softmax over each query's
candidates: the answer must beat the other candidates of its query). Its penalty is chosen
by success@1 across the concept folds (lookup hits ranked first, as served); the chosen setting
is refitted on all dev rows and saved as JSON (shipped in ``matching/fitted/``,
or beside a fine-tuned encoder, which changes the dense feature).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from matching.linking import LinkModel, TitleLinker
from matching.occupations import LinkerKind, Linkers, link_model_path
from training.conditional_logit import fit_conditional_logit
from training.suites.linking_eval import ScoredCase, score_cases
from training.suites.split import fold_of
from training.suites.titles import FOLDS, TitleCase, title_suites
from tremplin.taxonomy import Taxonomy

DEV_SUITES: dict[LinkerKind, tuple[str, ...]] = {
    "esco": ("melo", "melo-noisy", "esco-alt"),
    "rome": ("appellations", "appellations-noisy", "belgian"),
}
REGULARISATION = (1e-4, 1e-3, 1e-2)  # L2 penalties tried
ALL_FOLDS = frozenset(range(FOLDS))


class LinkFit(BaseModel):
    """What fitting one linker chose and how it scored across dev folds."""

    kind: str
    cases: int
    rows: int
    penalty: float
    cv_success_at_1: dict[str, float]


def _design(
    scored: Sequence[ScoredCase], linker: TitleLinker
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    weights: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    folds: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    for q, sc in enumerate(scored):
        found = sc.candidates
        gold = {linker.number[c] for c in sc.case.gold if c in linker.number}
        xs.append(found.features)
        ys.append(np.isin(found.concepts, list(gold)))
        groups.append(np.full(len(found.concepts), q))
        folds.append(np.full(len(found.concepts), fold_of(min(sc.case.gold), FOLDS)))
        firsts.append(found.first())
        weights.append(np.ones(len(found.concepts)))
    return (
        np.concatenate(xs),
        np.concatenate(ys),
        np.concatenate(groups),
        np.concatenate(folds),
        np.concatenate(firsts),
        np.concatenate(weights),
    )


def _success_at_1(
    logits: np.ndarray, y: np.ndarray, groups: np.ndarray, first: np.ndarray, weight: np.ndarray
) -> float:
    """Success@1 over queries, each weighed as in the fit."""
    order = np.lexsort((-logits, -first, groups))  # per query: lookup hits first, then logits
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    if not len(starts):
        return 0.0
    return float(np.average(y[order][starts], weights=weight[order][starts]))


def fit_link_model(
    kind: LinkerKind, linker: TitleLinker, scored: Sequence[ScoredCase], fitted_on: str
) -> tuple[LinkModel, LinkFit]:
    """The blend for ``linker`` from its scored dev cases, chosen by concept-fold CV."""
    x, y, groups, folds, first, weight = _design(scored, linker)
    y = y.astype(int)
    cv: dict[str, float] = {}
    best: tuple[float, float] = (-1.0, REGULARISATION[0])
    for c in REGULARISATION:
        logits = np.zeros(len(y))
        for f in range(FOLDS):
            train, held = folds != f, folds == f
            if not held.any() or y[train].sum() == 0:
                continue
            coef, mean, scale = fit_conditional_logit(
                x[train], y[train], groups[train], weight[train], c
            )
            logits[held] = ((x[held] - mean) / scale) @ coef
        score = _success_at_1(logits, y, groups, first, weight)
        cv[f"penalty={c}"] = round(score, 4)
        if score > best[0]:
            best = (score, c)
    _, c = best
    coef, mean, scale = fit_conditional_logit(x, y, groups, weight, c)
    link_model = LinkModel(
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
        coef=[float(v) for v in coef],
        intercept=0.0,
        fitted_on=fitted_on,
    )
    fit = LinkFit(kind=kind, cases=len(scored), rows=len(y), penalty=c, cv_success_at_1=cv)
    return link_model, fit


def dev_cases(
    tax: Taxonomy,
    kind: LinkerKind,
    size: int | None = None,
    folds: frozenset[int] = ALL_FOLDS,
) -> list[TitleCase]:
    """The dev cases a linker of ``kind`` is fitted on (those of ``folds`` only)."""
    suites = title_suites(tax, size)
    return [
        c
        for name in DEV_SUITES[kind]
        for c in suites[name]
        if c.split == "dev" and fold_of(min(c.gold), FOLDS) in folds
    ]


def fit_linkers(
    linkers: Linkers,
    out_dir: Path | None = None,
    size: int | None = None,
    progress: bool = False,
    folds: frozenset[int] = ALL_FOLDS,
) -> dict[LinkerKind, tuple[LinkModel, LinkFit]]:
    """Fit both linkers' blends on dev (``folds`` only: a fine-tuned encoder learnt from the
    others), install them in ``linkers`` and save them to ``out_dir`` (None: do not save)."""
    encoder = linkers.encoder
    out: dict[LinkerKind, tuple[LinkModel, LinkFit]] = {}
    for kind in ("esco", "rome"):
        linker = linkers.get(kind)
        cases = dev_cases(linkers.taxonomy, kind, size, folds)
        scored = score_cases(linker, cases, progress)
        fitted_on = f"dev side of {', '.join(DEV_SUITES[kind])} ({len(cases)} cases)"
        model, fit = fit_link_model(kind, linker, scored, fitted_on)
        model.encoder_version = encoder.version if encoder is not None else None
        linker.model = model
        if out_dir is not None:
            model.save(link_model_path(kind, out_dir))
        out[kind] = (model, fit)
    return out
