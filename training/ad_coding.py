"""Fit and measure the ad coder on real France Travail ads, with folds by métier.

The dev ads (``training/suites/data/ft_ads_dev.jsonl.gz``) carry France Travail's own ROME
code. Each fold holds out every ad of a fifth of the métiers (:func:`~training.suites.split.
fold_of`), the conditional logit is fitted on the other ads and its temperature chosen on them
too, then the held-out ads are coded: accuracy@1, @3, calibration (expected calibration error
and Brier score of the top probability) — beside the title linker alone, a word TF-IDF of
title + description against ROME's texts, and the dense encoder alone, measured in the same
run on the same ads. The shipped model is then fitted on every dev ad.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression

from matching.ad_coding import (
    FEATURES,
    Ad,
    AdCandidates,
    AdCoder,
    AdCodingModel,
    ad_query,
    softmax,
)
from matching.occupations import clean_query
from training.suites.split import fold_of
from tremplin.feeds.common import clean_text, clean_title

DEV_ADS = Path(__file__).resolve().parent / "suites" / "data" / "ft_ads_dev.jsonl.gz"
FOLDS = 5
BINS = 10


@dataclass(frozen=True)
class DevAd:
    """A real ad as the coder reads it, with France Travail's code."""

    id: str
    ad: Ad
    code: str
    appellation: str


def dev_ads(path: Path = DEV_ADS) -> list[DevAd]:
    """The vendored dev ads (title cleaned as the import cleans it)."""
    ads = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ads.append(
                DevAd(
                    id=str(r["id"]),
                    ad=Ad(
                        title=clean_title(r["intitule"], "intitule"),
                        description=clean_text(r.get("description")),
                        published=dt.date.fromisoformat(r["dateCreation"][:10]),
                    ),
                    code=r["romeCode"],
                    appellation=r.get("appellationlibelle") or "",
                )
            )
    return ads


class CodingRow(BaseModel):
    """One method's figures on the held-out folds."""

    method: str
    ads: int
    accuracy_at_1: float
    accuracy_at_3: float
    ece: float | None = None  # expected calibration error of the top probability
    brier: float | None = None
    candidate_recall: float | None = None


class CodingReport(BaseModel):
    """The ad-coding table (dev figures, folds by métier)."""

    folds: int
    metiers: int
    rows: list[CodingRow]

    def markdown(self) -> str:
        """The table as Markdown."""
        head = (
            "| method | ads | accuracy@1 | accuracy@3 | ECE | Brier | gold in candidates |\n"
            "|---|---|---|---|---|---|---|\n"
        )

        def cell(v: float | None) -> str:
            return "—" if v is None else f"{v:.3f}"

        return head + "".join(
            f"| {r.method} | {r.ads} | {r.accuracy_at_1:.3f} | {r.accuracy_at_3:.3f} | "
            f"{cell(r.ece)} | {cell(r.brier)} | {cell(r.candidate_recall)} |\n"
            for r in self.rows
        )


def calibration(top_p: np.ndarray, correct: np.ndarray, bins: int = BINS) -> tuple[float, float]:
    """Expected calibration error (equal-width bins) and Brier score of a top probability."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(top_p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            ece += inside.mean() * abs(top_p[inside].mean() - correct[inside].mean())
    return float(ece), float(np.mean((top_p - correct) ** 2))


def _right(coder: AdCoder, ad: DevAd) -> Callable[[str], bool]:
    """Whether a candidate code is France Travail's, at the ROME in force on the ad's date
    (a historic ad: any fiche under the historic fiche it was coded with)."""
    group = coder.texts.group
    if ad.ad.historic:
        return lambda code: group[code] == group[ad.code]
    return lambda code: code == ad.code


def _fit(
    cands: Sequence[AdCandidates], labels: Sequence[np.ndarray], per_channel: int
) -> AdCodingModel:
    """The conditional logit: a logistic regression over candidate rows, then a temperature
    that makes its softmax within each ad calibrated on the same ads."""
    x = np.vstack([c.x for c in cands])
    y = np.concatenate(labels)
    lr = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    lr.fit(x, y)
    model = AdCodingModel(
        features=list(FEATURES), coef=[float(v) for v in lr.coef_[0]],
        candidates_per_channel=per_channel,
    )  # fmt: skip

    def nll(t: float) -> float:
        model.temperature = t
        total = 0.0
        for c, right in zip(cands, labels, strict=True):
            mass = float(softmax(model.logits(c.x))[right].sum()) if right.any() else 0.0
            total -= float(np.log(max(mass, 1e-9)))
        return total / len(cands)

    model.temperature = float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)
    return model


def _ranking_row(method: str, hits: np.ndarray, top_p: np.ndarray | None, ads: int) -> CodingRow:
    """Figures from each ad's rank of the right code (0 first; -1 missing) and top prob."""
    correct = (hits == 0).astype(float)
    ece, brier = calibration(top_p, correct) if top_p is not None else (None, None)
    return CodingRow(
        method=method, ads=ads, accuracy_at_1=round(float(correct.mean()), 4),
        accuracy_at_3=round(float(((hits >= 0) & (hits < 3)).mean()), 4),
        ece=None if ece is None else round(ece, 4),
        brier=None if brier is None else round(brier, 4),
    )  # fmt: skip


def _rank_of_right(ranked: Sequence[str], right: Callable[[str], bool]) -> int:
    return next((i for i, code in enumerate(ranked) if right(code)), -1)


@dataclass
class _Training:
    """The dev ads' candidates (historic fiches for historic ads), which are right, folds."""

    fiches: list[AdCandidates]
    cands: list[AdCandidates]
    labels: list[np.ndarray]
    fold: np.ndarray

    def model(self, coder: AdCoder, without: int | None = None) -> AdCodingModel:
        """The model fitted on every ad, or on every fold but ``without``."""
        keep = [i for i in range(len(self.cands)) if self.fold[i] != without]
        return _fit(
            [self.cands[i] for i in keep],
            [self.labels[i] for i in keep],
            coder.model.candidates_per_channel,
        )


def _training(coder: AdCoder, ads: Sequence[DevAd], folds: int) -> _Training:
    fiches = coder.candidates([a.ad for a in ads])
    cands = [coder.pooled(c) if a.ad.historic else c for c, a in zip(fiches, ads, strict=True)]
    labels = [
        np.array([right(code) for code in c.codes], dtype=bool)
        for c, right in zip(cands, (_right(coder, a) for a in ads), strict=True)
    ]
    return _Training(fiches, cands, labels, np.array([fold_of(a.code, folds) for a in ads]))


def coded_out_of_fold(
    coder: AdCoder, ads: Sequence[DevAd] | None = None, folds: int = FOLDS
) -> AdCoder:
    """A coder that answers for each dev ad (undated, as the catalogue reads an offer) what a
    model fitted without its métier's fold says: an honest coder for suites built on them."""
    ads = list(ads if ads is not None else dev_ads())
    data = _training(coder, ads, folds)
    out = AdCoder(coder.texts, coder.linker, coder.encoder, coder.cache_path, data.model(coder))
    for k in range(folds):
        members = [a for a, f in zip(ads, data.fold, strict=True) if f == k]
        if not members:
            continue
        fold_coder = AdCoder(
            coder.texts, coder.linker, coder.encoder, coder.cache_path, data.model(coder, k)
        )
        undated = [Ad(a.ad.title, a.ad.description) for a in members]
        fold_coder.code_many(undated, top=5)
        out.remember(fold_coder)
    return out


def evaluate_ad_coding(
    coder: AdCoder, ads: Sequence[DevAd] | None = None, folds: int = FOLDS
) -> tuple[CodingReport, AdCodingModel]:
    """Every method on the held-out folds, and the model fitted on every ad."""
    ads = list(ads if ads is not None else dev_ads())
    rights = [_right(coder, a) for a in ads]
    data = _training(coder, ads, folds)
    fiches, cands, labels, fold = data.fiches, data.cands, data.labels, data.fold
    hits = np.full(len(ads), -1)
    fiche_hits = np.full(len(ads), -1)
    top_p = np.zeros(len(ads))
    for k in range(folds):
        coder_k = AdCoder(coder.texts, coder.linker, coder.encoder, coder.cache_path)
        coder_k.model = data.model(coder, k)
        for i in np.flatnonzero(fold == k):
            probs = coder_k.probabilities(ads[i].ad, cands[i])
            ranked = sorted(probs, key=lambda c: (-probs[c], c))
            hits[i] = _rank_of_right(ranked, rights[i])
            top_p[i] = probs[ranked[0]]
            fiche = softmax(coder_k.model.logits(fiches[i].x))
            order = [fiches[i].codes[j] for j in np.argsort(-fiche, kind="stable")]
            fiche_hits[i] = _rank_of_right(order, ads[i].code.__eq__)
    engine = _ranking_row("ad coder (title + description)", hits, top_p, len(ads))
    engine.candidate_recall = round(float(np.mean([bool(lab.any()) for lab in labels])), 4)
    rows = [
        engine,
        _ranking_row("ad coder, finest fiche, exact code", fiche_hits, None, len(ads)),
        *_baselines(coder, ads, rights),
    ]
    report = CodingReport(folds=folds, metiers=len({a.code for a in ads}), rows=rows)
    final = data.model(coder)
    final.trained_on = f"ft_ads_dev: {len(ads)} ads, {report.metiers} métiers"
    final.dev_metrics = {
        "accuracy_at_1": engine.accuracy_at_1,
        "accuracy_at_3": engine.accuracy_at_3,
        "ece": engine.ece or 0.0,
    }
    return report, final


def _baselines(
    coder: AdCoder, ads: Sequence[DevAd], rights: Sequence[Callable[[str], bool]]
) -> list[CodingRow]:
    """Title linker alone (its own probability), word TF-IDF of the ad against ROME's texts,
    and the encoder alone (title + description head against the métiers' passages), each
    judged like the coder (at the ROME in force on the ad's date)."""
    rows = []
    n = len(ads)
    if coder.linker is not None:
        titles = [clean_query(a.ad.title) or a.ad.title for a in ads]
        links = coder.linker.linkers.rome.link_many(titles, 10)
        hits = np.array(
            [_rank_of_right([m.concept for m in f], r) for f, r in zip(links, rights, strict=True)]
        )
        top_p = np.array([f[0].score if f else 0.0 for f in links])
        rows.append(_ranking_row("title linker alone", hits, top_p, n))
    texts = coder.texts
    queries = [f"{a.ad.title} {a.ad.description}" for a in ads]
    word = (texts.words.transform(queries) @ texts.word_matrix.T).toarray()
    dense = coder._dense([ad_query(a.ad.title, a.ad.description) for a in ads])
    for method, scores in (
        ("TF-IDF title + description vs ROME texts", word),
        ("dense only (e5, title + description head)", dense),
    ):
        if scores is None:
            continue
        hits = np.array(
            [
                _rank_of_right([texts.codes[j] for j in np.argsort(-s)[:10]], r)
                for s, r in zip(scores, rights, strict=True)
            ]
        )
        rows.append(_ranking_row(method, hits, None, n))
    return rows
