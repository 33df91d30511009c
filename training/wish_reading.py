"""Fit the wish reader (``matching/wish_reading.py``) on wishes written from ROME.

People are written with the real-ads suites' recipes (:mod:`training.suites.real_ads`: a
title, a vague word with the métier's core compétences as skills, two activities, a coach's
note) for every historic fiche that is **not** a métier of the real-ads dev set, so the
``ads-*`` suites read the fitted model on métiers it never saw. A candidate is right when it
is the target or a finer fiche under it; "none of these" is right when no candidate is.
Reported: accuracy@1, calibration (ECE, Brier) and log-loss of the right mass, five folds by
métier (:func:`evaluate`).

Reproduce: ``python -m training.wish_reading`` (writes ``matching/fitted/wish_reading.json``).
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from data_contracts.models import BeneficiaryProfile
from matching.ad_coding import AdCoder
from matching.embedding_cache import EmbeddingCache
from matching.profile import ProfileView, prepare_views
from matching.wish_reading import (
    CANDIDATES,
    WISH_FEATURES,
    WishCandidates,
    WishReadingModel,
    wish_ad,
    wish_candidates,
)
from training.ad_coding import DEV_ADS, calibration
from training.conditional_logit import fit_conditional_logit
from training.suites.real_ads import REAL_RECIPES, recipe_profile, recipe_wish
from training.suites.split import fold_of
from tremplin.taxonomy import Taxonomy

FOLDS = 5
PENALTY = 1e-3
PER_METIER = 2  # people per métier and recipe


@dataclass
class WishCase:
    """One written person's wish candidates, which rows are right, and the target's fold."""

    recipe: str
    target: str
    cands: WishCandidates
    right: np.ndarray  # bool per row of cands.x (the last: "none of these")


class WishFit(BaseModel):
    """The folds' figures of the fitted reader, per recipe and overall."""

    cases: int
    metiers: int
    accuracy_at_1: dict[str, float]
    ece: dict[str, float]
    brier: dict[str, float]
    log_loss: dict[str, float]


def dev_metiers(tax: Taxonomy) -> frozenset[str]:
    """The historic fiches of the real-ads dev set (never written for the fit)."""
    with gzip.open(DEV_ADS, "rt", encoding="utf-8") as f:
        return frozenset(tax.metiers[json.loads(line)["romeCode"]].parent for line in f)


def written_people(
    tax: Taxonomy, seed: int = 0, per_metier: int = PER_METIER
) -> list[tuple[str, str, BeneficiaryProfile]]:
    """(recipe, target, person) for every historic fiche outside the dev set."""
    rng = random.Random(f"wish-reading:{seed}")
    excluded = dev_metiers(tax)
    targets = sorted(c for c, m in tax.metiers.items() if m.parent == c and c not in excluded)
    out = []
    for recipe in REAL_RECIPES:
        for code in targets:
            for n in range(per_metier):
                text = recipe_wish(recipe, tax, code, set(), rng)
                if text is not None:
                    out.append((recipe, code, recipe_profile(recipe, tax, code, text, n, rng)))
    return out


def wish_cases(
    people: list[tuple[str, str, BeneficiaryProfile]], coder: AdCoder, cache: EmbeddingCache
) -> list[WishCase]:
    """Each person's candidates and features, read as the engine reads them."""
    tax = coder.taxonomy
    views = [ProfileView(p, tax, coder.linker, coder) for _, _, p in people]
    if coder.encoder is not None:
        prepare_views(views, coder.encoder, cache)
    texts = [p.aspirations.text.strip() for _, _, p in people]
    coder.code_many([wish_ad(t) for t in texts], top=CANDIDATES)  # one batch
    cases = []
    for (recipe, target, _), view, text in zip(people, views, texts, strict=True):
        cands = wish_candidates(text, view.wish_links, coder, view.person_file)
        right = np.array([tax.metiers[c].parent == target for c in cands.codes] + [False])
        right[-1] = not right.any()
        cases.append(WishCase(recipe, target, cands, right))
    return cases


def fit(cases: list[WishCase], penalty: float = PENALTY) -> WishReadingModel:
    """The conditional logit over ``cases``' candidates (raw-feature coefficients)."""
    x = np.vstack([c.cands.x for c in cases])
    y = np.concatenate([c.right for c in cases])
    groups = np.concatenate([np.full(len(c.right), i) for i, c in enumerate(cases)])
    coef, _, scale = fit_conditional_logit(x, y, groups, np.ones(len(y)), penalty)
    return WishReadingModel(features=list(WISH_FEATURES), coef=[float(v) for v in coef / scale])


def _figures(cases: list[WishCase], probs: list[np.ndarray]) -> tuple[float, float, float, float]:
    top = np.array([float(p[:-1].max()) if len(p) > 1 else 0.0 for p in probs])
    correct = np.array(
        [
            bool(c.right[int(np.argmax(p[:-1]))]) if len(p) > 1 else False
            for c, p in zip(cases, probs, strict=True)
        ],
        dtype=float,
    )
    ece, brier = calibration(top, correct)
    loss = float(
        np.mean(
            [-np.log(max(float(p[c.right].sum()), 1e-9)) for c, p in zip(cases, probs, strict=True)]
        )
    )
    return float(correct.mean()), ece, brier, loss


def evaluate(cases: list[WishCase], folds: int = FOLDS) -> WishFit:
    """Every case read by the model fitted without its target's fold."""
    probs: list[np.ndarray] = [np.zeros(0)] * len(cases)
    fold = np.array([fold_of(c.target, folds) for c in cases])
    for k in range(folds):
        model = fit([c for c, f in zip(cases, fold, strict=True) if f != k])
        for i in np.flatnonzero(fold == k):
            probs[i] = model.probabilities(cases[i].cands.x)
    figures: dict[str, tuple[float, float, float, float]] = {}
    for recipe in [*REAL_RECIPES, "all"]:
        keep = [i for i, c in enumerate(cases) if recipe in ("all", c.recipe)]
        if not keep:
            continue
        figures[recipe] = _figures([cases[i] for i in keep], [probs[i] for i in keep])
    return WishFit(
        cases=len(cases),
        metiers=len({c.target for c in cases}),
        accuracy_at_1={r: round(f[0], 4) for r, f in figures.items()},
        ece={r: round(f[1], 4) for r, f in figures.items()},
        brier={r: round(f[2], 4) for r, f in figures.items()},
        log_loss={r: round(f[3], 4) for r, f in figures.items()},
    )


def fit_wish_reader(
    coder: AdCoder, cache: EmbeddingCache, seed: int = 0
) -> tuple[WishReadingModel, WishFit]:
    """The reader fitted on every written person, and its figures on the folds."""
    tax = coder.taxonomy
    cases = wish_cases(written_people(tax, seed), coder, cache)
    report = evaluate(cases)
    model = fit(cases)
    model.trained_on = (
        f"wishes written from ROME: {report.cases} people, {report.metiers} historic fiches "
        "outside the real-ads dev set, recipes " + ", ".join(REAL_RECIPES)
    )
    model.dev_metrics = {
        f"{m}.{r}": v
        for m, d in (("accuracy_at_1", report.accuracy_at_1), ("ece", report.ece))
        for r, v in d.items()
    }
    return model, report


def main() -> None:
    """Fit on the bundled encoder's coder and write the shipped model."""
    from matching.encoder import served_encoder
    from matching.engine import ad_coder, cache_path
    from tremplin.settings import Settings

    settings = Settings()
    encoder = served_encoder(settings)
    coder = ad_coder(settings, encoder)
    cache = EmbeddingCache(cache_path(settings))
    try:
        model, report = fit_wish_reader(coder, cache)
    finally:
        cache.close()
    model.save()
    print(report.model_dump_json(indent=2))
    print(dict(zip(model.features, [round(c, 3) for c in model.coef], strict=True)))


if __name__ == "__main__":
    main()
