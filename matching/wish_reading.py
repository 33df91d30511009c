"""Read an uncoded wish as the métiers it may mean, each with a calibrated probability.

A wish is written as people write it: a precise title ("aide-soignante"), a vague one
("chef", "dans le nettoyage"), activities ("conditionner des produits et contrôler un
approvisionnement"), a sector, or several of these. Four channels propose métiers:

* the **title linker** (the wish's clauses as job titles, its own probability);
* the **ad coder** (the whole wish read as an ad: ROME texts, the encoder, titles);
* the **skill reader** (clauses matched against the ROME compétences and savoirs métiers
  list: a wish told as activities);
* for a short wish, the métiers the person's **skills** point at whose titles hold one of the
  wish's words ("chef" with cooking skills).

When the wish is vague, the person's file speaks too: the share of their skills each métier
lists, and whether they worked in it (a precise wish is their project, whatever their past). A conditional logit over the candidates (shared weights, so it applies to any
métier) with a "none of these" row turns the features into probabilities that mean what they
say: a reading weighs its probability, never as much as a given code unless it is certain.
It is fitted on wishes written from ROME for métiers that are *not* in the real-ads dev set
(``training/wish_reading.py``), so the real-ads suites measure it on métiers it never saw;
shipped in ``matching/fitted/wish_reading.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from matching.ad_coding import Ad, AdCoder
from matching.occupations import clean_query
from tremplin.taxonomy import Taxonomy
from tremplin.text import tokens

if TYPE_CHECKING:
    from matching.linking import ConceptMatch

FITTED_PATH = Path(__file__).resolve().parent / "fitted" / "wish_reading.json"
CANDIDATES = 10  # métiers each channel proposes
VAGUE_WORDS = 3  # a wish of at most this many words (its lead-in removed) is vague
SKILLED_METIERS = 30  # métiers the person's skills point at, searched for the wish's words
LOG_FLOOR = 0.01  # a channel's probability below this says "not proposed"
SKILL_SHARE_OF = 5  # a métier listing this many of the person's skills has a share of 1

WISH_FEATURES = (
    "link",  # the title linker's probability (best clause)
    "link_gap",  # ... minus the best candidate's
    "coder",  # the ad coder's probability for the whole wish
    "coder_gap",
    "activity",  # share of the activities' pointing, times how surely they were named
    "activity_titled",  # the same times the best title link (a title named beside them)
    "titled",  # a métier the skills point at whose title holds a word of a short wish
    "log_link",  # log(link + 0.01): channels multiply their odds as well as add them
    "log_coder",
    # a vague wish only: the share of the person's skills the métier lists, plus 1 when they
    # worked in it (or under the same historic fiche), at most 1. A precise wish is the
    # person's project, whatever their past says
    "vague_evidence",
    "none",  # 1 on the "none of these" row only
)


class WishReadingModel(BaseModel):
    """The fitted conditional logit: one weight per feature (``none`` included)."""

    features: list[str]
    coef: list[float]
    trained_on: str = ""
    dev_metrics: dict[str, float] = {}

    @classmethod
    def load(cls, path: Path = FITTED_PATH) -> WishReadingModel:
        """The shipped model (or another one saved by the fitting)."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def save(self, path: Path = FITTED_PATH) -> None:
        """Write the model as indented JSON."""
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Each row's probability (rows of :data:`WISH_FEATURES`, the last the "none" row)."""
        order = [self.features.index(f) for f in WISH_FEATURES]
        logits = np.asarray(x, dtype=np.float64) @ np.asarray(self.coef, dtype=np.float64)[order]
        z = np.exp(logits - logits.max())
        return np.asarray(z / z.sum(), dtype=np.float64)


@lru_cache(maxsize=1)
def shipped_model() -> WishReadingModel:
    """The shipped reader (read once per process)."""
    return WishReadingModel.load()


@dataclass
class WishCandidates:
    """A wish's candidate métiers and their features; the last row of ``x`` is "none"."""

    codes: list[str]
    x: np.ndarray  # float64, (len(codes) + 1, len(WISH_FEATURES))


@dataclass(frozen=True)
class PersonFile:
    """What of the person's file speaks for a reading: skill ids and métiers worked in."""

    skills: frozenset[str]
    experienced: frozenset[str]


def wish_ad(text: str) -> Ad:
    """The wish as the ad coder reads it: its words without lead-in as the title, the whole
    text as the description."""
    text = text.strip()
    return Ad(clean_query(text), text)


def is_vague(text: str) -> bool:
    """A wish of at most :data:`VAGUE_WORDS` words once its lead-in is removed."""
    return len(tokens(clean_query(text))) <= VAGUE_WORDS


def wish_candidates(
    text: str,
    links: Sequence[ConceptMatch],
    coder: AdCoder,
    person: PersonFile,
) -> WishCandidates:
    """Every channel's métiers for ``text`` (``links``: the title linker's, already read) and
    their features for :class:`WishReadingModel`."""
    tax = coder.taxonomy
    link = {m.concept: m.score for m in links}
    coded = {c.code: c.probability for c in coder.code(wish_ad(text), top=CANDIDATES)}
    activity = _activity_readings(text, coder)
    titled = _titled_by_skills(text, coder, person.skills, tax)
    codes = sorted(c for c in {*link, *coded, *activity, *titled} if c in tax.metiers)
    vague = is_vague(text)
    worked = {tax.metiers[e].parent for e in person.experienced if e in tax.metiers}
    x = np.zeros((len(codes) + 1, len(WISH_FEATURES)), dtype=np.float64)
    best_link = max(link.values(), default=0.0)
    best_coded = max(coded.values(), default=0.0)
    for row, code in enumerate(codes):
        evidence = 0.0  # the person's file speaks for a vague wish only
        if vague:
            worked_in = code in person.experienced or tax.metiers[code].parent in worked
            evidence = min(1.0, _skill_share(code, person.skills, tax) + worked_in)
        x[row, :-1] = (
            link.get(code, 0.0),
            link.get(code, 0.0) - best_link,
            coded.get(code, 0.0),
            coded.get(code, 0.0) - best_coded,
            activity.get(code, 0.0),
            activity.get(code, 0.0) * best_link,
            titled.get(code, 0.0),
            np.log(link.get(code, 0.0) + LOG_FLOOR),
            np.log(coded.get(code, 0.0) + LOG_FLOOR),
            evidence,
        )
    x[-1, -1] = 1.0
    return WishCandidates(codes, x)


def _skill_share(code: str, skills: frozenset[str], tax: Taxonomy) -> float:
    if not skills:
        return 0.0
    listed = {s.skill_id for s in tax.metier_skills(code)}
    return len(skills & listed) / min(len(skills), SKILL_SHARE_OF)


def _activity_readings(text: str, coder: AdCoder) -> dict[str, float]:
    """Métiers that list the activities and compétences the wish names: each one's share of
    how strongly they are named, times how surely (the mentions' mean similarity, at most 1)."""
    reader = coder.texts.skills
    mentions = reader.read(text)
    scores = reader.metier_scores(mentions)
    total = sum(scores.values())
    if not total:
        return {}
    sureness = min(1.0, sum(m.similarity for m in mentions) / 2)
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES]
    return {code: sureness * s / total for code, s in best}


def _titled_by_skills(
    text: str, coder: AdCoder, skills: frozenset[str], tax: Taxonomy
) -> dict[str, float]:
    """For a vague wish ("conducteur", "dans le nettoyage"): the métiers the person's skills
    point at whose titles hold a word of the wish, by their share of the skills' pointing —
    readings the title channels may miss among the many métiers a vague word names."""
    said = tokens(clean_query(text))
    words = {w for w in said if len(w) > 3}
    if not skills or not words or len(said) > VAGUE_WORDS:
        return {}
    scores = coder.texts.skills.skill_scores(dict.fromkeys(skills, 1.0))
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:SKILLED_METIERS]
    titled = {code: s for code, s in ranked if words & _title_words(code, tax)}
    total = sum(titled.values())
    return {c: s / total for c, s in titled.items()} if total else {}


def _title_words(code: str, tax: Taxonomy) -> set[str]:
    titles = [tax.metiers[code].label, *(a.label for a in tax.appellations_of(code))]
    return {w for t in titles for w in tokens(t)}


def read_wish(
    text: str,
    links: Sequence[ConceptMatch],
    coder: AdCoder,
    person: PersonFile,
    top: int = CANDIDATES,
    model: WishReadingModel | None = None,
) -> list[tuple[str, float]]:
    """The ``top`` métiers ``text`` may mean, most probable first, with their probabilities
    (the rest, and "none of these", are left out: the total is at most 1); ``model``: the
    shipped reader unless given."""
    cands = wish_candidates(text, links, coder, person)
    if not cands.codes:
        return []
    p = (model or shipped_model()).probabilities(cands.x)[:-1]
    ranked = sorted(zip(cands.codes, p.tolist(), strict=True), key=lambda kv: (-kv[1], kv[0]))
    return [(code, float(prob)) for code, prob in ranked[:top]]
