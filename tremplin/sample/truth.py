"""The sample's hidden ground truth: how suitable a person is for an opportunity
(:func:`suitability`), with what no profile shows (:func:`unobserved`: motivation, an
employer's taste, local demand) and, behind ``employer_bias``, the employers who
discriminate. The matching engine never sees it; the promotion gate grades on it only when
the store holds exactly the generator's data (``training.hidden_truth``)."""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable

from data_contracts.enums import (
    OpportunityKind,
    Origin,
    RefusalReason,
)
from data_contracts.models import (
    BeneficiaryProfile,
    Opportunity,
)
from tremplin.geo import distance_km
from tremplin.sample.offers import sector_of
from tremplin.taxonomy import Taxonomy

BIASED_GROUP = Origin.NON_EU


# ``--employer-bias``: this share of the hiring employers keep only BIAS_FACTOR of a non-EU
# candidate's interview and hire probability. Aggregated over employers, interview rates of
# non-EU applicants come out at about two thirds of the others', the order of the call-back
# gaps found by correspondence tests in Belgium (docs/fairness.md).
BIASED_SHARE = 0.5


BIAS_FACTOR = 0.35


def suitability(
    b: BeneficiaryProfile, o: Opportunity, tax: Taxonomy
) -> tuple[float, RefusalReason | None]:
    """The hidden ground-truth suitability of ``o`` for ``b`` (noise-free) and the main obstacle.

    Skills fit (core skills weigh most), aspirations (target métier, its sector, ROME mobility),
    distance and hard constraints — and three factors no feature of the engine sees
    (:func:`unobserved`): the person's motivation, the employer's taste for experience in its
    sector, and local labour demand for the trade. Used only to simulate outcomes and to label
    the sample suite; the product never calls it.
    """
    have = {s.id for s in b.skills}
    required = [s.id for s in o.required_skills]
    fit = sum(s in have for s in required) / len(required) if required else 0.6
    optional = [s.id for s in o.optional_skills]
    opt_fit = sum(s in have for s in optional) / len(optional) if optional else 0.0
    code = o.occupation.rome_code or ""
    targets = set(b.aspirations.target_rome_codes)
    if code in targets:
        wish = 1.0
    elif any(code in sector_of(t).rome_codes for t in targets):
        wish = 0.55
    elif any(code in tax.mobilities(t) for t in targets):
        wish = 0.4
    else:
        wish = 0.0
    if o.kind is OpportunityKind.TRAINING:
        fit = 0.7 + 0.3 * (1 - fit)  # training suits those who lack the skills
    score = 2.0 * fit + 0.6 * opt_fit + 1.8 * wish
    obstacle: RefusalReason | None = None
    km = distance_km(b.constraints.home_postcode, o.location.postcode) or 0.0
    score -= 0.05 * max(0.0, km - 5)
    if km > b.constraints.max_distance_km:
        score -= 1.5
        obstacle = RefusalReason.DISTANCE
    p = o.prerequisites
    french = b.french_level
    if p.french_level and (french is None or french.rank < p.french_level.rank):
        score -= 1.0 + 0.5 * (p.french_level.rank - (french.rank if french else 0))
        obstacle = obstacle or RefusalReason.LANGUAGE
    if p.driving_licence and p.driving_licence not in b.constraints.driving_licences:
        score -= 2.5
        obstacle = obstacle or RefusalReason.SKILLS
    if o.shifts and not set(o.shifts) & set(b.constraints.available_shifts):
        score -= 1.5
        obstacle = obstacle or RefusalReason.SCHEDULE
    if p.article_60_eligibility and not b.article_60_eligible:
        score -= 3.0
        obstacle = obstacle or RefusalReason.OTHER
    if fit < 0.34 and o.kind is not OpportunityKind.TRAINING:
        obstacle = obstacle or RefusalReason.SKILLS
    return score + unobserved(b, o), obstacle


@functools.lru_cache(maxsize=65_536)  # the same people, employers and trades, pair after pair
def _latent(key: str, scale: float) -> float:
    """A deterministic draw from N(0, scale²) keyed by ``key`` (independent of the seed's stream)."""
    digest = hashlib.sha256(f"latent:{key}".encode()).digest()
    u1 = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 1)
    u2 = int.from_bytes(digest[8:16], "big") / 2**64
    return scale * math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


MOTIVATION_SCALE = 0.4  # the person's drive, invisible in a profile


EMPLOYER_SCALE = 0.3  # an employer's own taste (some like newcomers, some do not)


EXPERIENCE_PREMIUM = 0.4  # employers value experience in their sector, a feature sees only part


DEMAND_SCALE = 0.3  # local labour demand for a trade in a region


def truth_function(tax: Taxonomy) -> Callable[[BeneficiaryProfile, Opportunity], float]:
    """The hidden suitability of a (person, opportunity) pair, as evaluation grades with it."""
    return lambda b, o: suitability(b, o, tax)[0]


def unobserved(b: BeneficiaryProfile, o: Opportunity) -> float:
    """The part of suitability that no engine feature sees (so the sample truth is not a
    replay of the features): motivation, employer preference, local demand."""
    code = o.occupation.rome_code or ""
    employer = o.employer_id or o.provider or ""
    sector = sector_of(code).key if code else ""
    experienced = any(e.rome_code and sector_of(e.rome_code).key == sector for e in b.experiences)
    taste = _latent(f"employer:{employer}", EMPLOYER_SCALE)
    return (
        _latent(f"motivation:{b.id}", MOTIVATION_SCALE)
        + (taste + EXPERIENCE_PREMIUM * (1 if experienced else -0.5))
        * (o.kind is not OpportunityKind.TRAINING)
        + _latent(f"demand:{code[:3]}:{(o.location.postcode or 0) // 100}", DEMAND_SCALE)
    )


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
