"""Training and held-out sets from stored outcome events, split by time and by beneficiary.

The split has one cutoff in time: the people first shown something before it are the training
people, and only what happened to them *before* the cutoff is used; the people first shown
something after it are held out, with everything that happened to them. A person is never on
both sides, and no label of the training side comes from after the cutoff.

Features are computed by :mod:`matching.features` over a catalogue of every opportunity the
outcomes mention (expired ones included), on the date each pair was first shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_contracts.enums import OutcomeType, RefusalReason
from data_contracts.models import BeneficiaryProfile, Opportunity
from matching.ad_coding import AdCoder
from matching.catalogue import OpportunityCatalogue, build_vector_index
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.features import FEATURE_NAMES, QuerySignals, feature_matrix, query_signals
from matching.occupations import OccupationLinker
from matching.profile import ProfileView, prepare_views
from training.labels import Event, PairLabel, pair_labels
from tremplin.errors import InvalidRequestError
from tremplin.sample.draw import SampleData
from tremplin.store.models import (
    BeneficiaryMonitoringRow,
    BeneficiaryRow,
    OpportunityRow,
    OutcomeEventRow,
)

QUERY_BATCH = 256  # people whose texts are embedded together (a few texts each)
MIN_PEOPLE = 20  # people with outcomes needed to train
HELD_OUT_SHARE = 0.25  # share of the people (the latest first shown) held out
FEATURES_VERSION = hashlib.sha256(",".join(FEATURE_NAMES).encode()).hexdigest()[:12]


class NotEnoughOutcomesError(InvalidRequestError):
    """The store holds too few outcomes to train and evaluate."""


@dataclass
class PairTable:
    """Rows of (person, opportunity) pairs: features, grades and which person each row is."""

    features: np.ndarray  # float32, one row per pair, columns FEATURE_NAMES
    grades: np.ndarray  # int64
    person: np.ndarray  # int64 beneficiary ids
    position: np.ndarray  # int64 catalogue positions

    def __len__(self) -> int:
        return len(self.grades)


@dataclass
class OutcomeData:
    """What the store holds for training: people, opportunities and events."""

    profiles: dict[int, BeneficiaryProfile]
    groups: dict[int, dict[str, str]]  # monitoring attributes, for fairness figures only
    opportunities: list[tuple[int, Opportunity]]
    events: list[Event]


@dataclass
class Dataset:
    """A split dataset, ready to fit and evaluate on."""

    catalogue: OpportunityCatalogue
    data: OutcomeData
    train: PairTable
    held_out: PairTable
    held_out_people: list[int]
    cutoff: dt.datetime
    as_of: dt.date  # the date of the last event: held-out shortlists are computed on it
    digest: str
    counts: dict[str, int] = field(default_factory=dict)

    _end_signals: dict[int, QuerySignals] = field(default_factory=dict, repr=False)

    def end_signals(self, person: int) -> QuerySignals:
        """The person's query over the catalogue on the dataset's last day (what the
        evaluations rank with); kept for held-out people, whom every ranker is measured on."""
        found = self._end_signals.get(person)
        if found is not None:
            return found
        view = ProfileView.of(self.data.profiles[person], self.catalogue)
        signals = query_signals(view, self.catalogue, self.as_of)
        if person in self._held_out_set:
            self._end_signals[person] = signals
        return signals

    @cached_property
    def _held_out_set(self) -> frozenset[int]:
        return frozenset(self.held_out_people)

    def params(self) -> dict[str, Any]:
        """What identifies the dataset, for the experiment log."""
        return {
            "dataset_digest": self.digest,
            "features_version": FEATURES_VERSION,
            "cutoff": self.cutoff.isoformat(),
            "as_of": self.as_of.isoformat(),
            **{f"n_{k}": v for k, v in self.counts.items()},
        }


def load_outcome_data(session: Session) -> OutcomeData:
    """Every outcome event with the people and opportunities it refers to."""
    events = [
        Event(
            beneficiary=b,
            opportunity=o,
            type=OutcomeType(t),
            at=at,
            refusal_reason=RefusalReason(p["refusal_reason"]) if p.get("refusal_reason") else None,
        )
        for b, o, t, at, p in session.execute(
            select(
                OutcomeEventRow.beneficiary_id,
                OutcomeEventRow.opportunity_id,
                OutcomeEventRow.type,
                OutcomeEventRow.occurred_at,
                OutcomeEventRow.payload,
            ).order_by(OutcomeEventRow.occurred_at, OutcomeEventRow.id)
        )
    ]
    people = {e.beneficiary for e in events}
    wanted = {e.opportunity for e in events}
    profiles = {
        pk: BeneficiaryProfile.model_validate(payload)
        for pk, payload in session.execute(select(BeneficiaryRow.id, BeneficiaryRow.payload))
        if pk in people
    }
    groups = {
        m.beneficiary_id: {"gender": m.gender, "age_band": m.age_band or "?", "origin": m.origin}
        for m in session.scalars(select(BeneficiaryMonitoringRow))
        if m.beneficiary_id in people
    }
    opportunities = [
        (pk, Opportunity.model_validate(payload))
        for pk, payload, active in session.execute(
            select(OpportunityRow.id, OpportunityRow.payload, OpportunityRow.active).order_by(
                OpportunityRow.id
            )
        )
        if pk in wanted or active
    ]
    return OutcomeData(profiles, groups, opportunities, events)


def sample_outcome_data(sample: SampleData) -> OutcomeData:
    """A generated sample's outcomes as the store would give them (ids numbered in file order):
    for experiments and benchmarks that do not need a database."""
    person = {b.id: i + 1 for i, b in enumerate(sample.beneficiaries)}
    offer = {o.id: i + 1 for i, o in enumerate(sample.opportunities)}
    events = [
        Event(
            person[e.beneficiary_id],
            offer[e.opportunity_id],
            e.type,
            e.occurred_at,
            e.refusal_reason,
        )
        for e in sorted(sample.outcomes, key=lambda e: (e.occurred_at, e.id))
    ]
    seen = {e.beneficiary for e in events}
    return OutcomeData(
        profiles={person[b.id]: b for b in sample.beneficiaries if person[b.id] in seen},
        groups={
            person[b.id]: {
                "gender": b.monitoring.gender.value,
                "age_band": b.monitoring.age_band.value if b.monitoring.age_band else "?",
                "origin": b.monitoring.origin.value,
            }
            for b in sample.beneficiaries
            if person[b.id] in seen
        },
        opportunities=[(offer[o.id], o) for o in sample.opportunities],
        events=events,
    )


def _digest(labels: dict[tuple[int, int], PairLabel], held_out: set[int]) -> str:
    h = hashlib.sha256(FEATURES_VERSION.encode())
    for (b, o), label in sorted(labels.items()):
        h.update(f"{b},{o},{label.grade},{int(b in held_out)};".encode())
    return h.hexdigest()[:16]


def _table(
    labels: dict[tuple[int, int], PairLabel],
    people: list[int],
    data: OutcomeData,
    cat: OpportunityCatalogue,
) -> PairTable:
    by_person: dict[int, list[tuple[int, PairLabel]]] = defaultdict(list)
    for (b, o), label in labels.items():
        by_person[b].append((o, label))
    blocks, grades, persons, positions = [], [], [], []
    for b in people:
        pairs = sorted(by_person.get(b, []))
        profile = data.profiles.get(b)
        if not pairs or profile is None:
            continue
        view = ProfileView.of(profile, cat)
        shown_on = min(label.first_at for _, label in pairs).date()
        pos = cat.positions_of(np.asarray([o for o, _ in pairs], dtype=np.int64))
        blocks.append(feature_matrix(query_signals(view, cat, shown_on), cat, pos))
        grades += [label.grade for _, label in pairs]
        persons += [b] * len(pairs)
        positions.append(pos)
    width = len(FEATURE_NAMES)
    return PairTable(
        features=np.vstack(blocks) if blocks else np.zeros((0, width), dtype=np.float32),
        grades=np.asarray(grades, dtype=np.int64),
        person=np.asarray(persons, dtype=np.int64),
        position=np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64),
    )


def require_enough_people(
    data: OutcomeData, min_people: int = MIN_PEOPLE
) -> dict[int, dt.datetime]:
    """When each person was first shown something; :class:`NotEnoughOutcomesError` when
    fewer than ``min_people`` were."""
    first_seen: dict[int, dt.datetime] = {}
    for e in data.events:
        if e.beneficiary in data.profiles and e.beneficiary not in first_seen:
            first_seen[e.beneficiary] = e.at
    if len(first_seen) < min_people:
        raise NotEnoughOutcomesError(
            f"{len(first_seen)} personne(s) avec des résultats : il en faut au moins "
            f"{min_people} pour entraîner / {len(first_seen)} people with outcomes: at least "
            f"{min_people} are needed to train"
        )
    return first_seen


def prepare_queries(
    data: OutcomeData, cat: OpportunityCatalogue, encoder: Encoder, cache: EmbeddingCache
) -> None:
    """Embed every person's query in batches through the persistent cache, so that the
    features (and the evaluations after them) do not encode the profiles one by one."""
    views = [ProfileView.of(p, cat) for p in data.profiles.values()]
    kept = [v for v in views if not v.is_empty]
    for start in range(0, len(kept), QUERY_BATCH):
        prepare_views(kept[start : start + QUERY_BATCH], encoder, cache)


def build_dataset(
    data: OutcomeData,
    encoder: Encoder | None,
    cache: EmbeddingCache | None,
    held_out_share: float = HELD_OUT_SHARE,
    min_people: int = MIN_PEOPLE,
    linker: OccupationLinker | None = None,
    coder: AdCoder | None = None,
) -> Dataset:
    """Split ``data`` by time and person, and compute the features of every labelled pair."""
    first_seen = require_enough_people(data, min_people)
    order = sorted(first_seen, key=lambda b: (first_seen[b], b))
    split = min(len(order) - 1, max(1, round(len(order) * (1 - held_out_share))))
    cutoff = first_seen[order[split]]
    train_people, held_people = order[:split], order[split:]
    train_set = set(train_people)
    train_labels = pair_labels((e for e in data.events if e.beneficiary in train_set), until=cutoff)
    held_set = set(held_people)
    held_labels = pair_labels(e for e in data.events if e.beneficiary in held_set)
    ids = np.asarray([pk for pk, _ in data.opportunities], dtype=np.int64)
    items = [o for _, o in data.opportunities]
    index = None
    if encoder is not None and cache is not None:
        index = build_vector_index(items, ids, encoder, cache)
    cat = OpportunityCatalogue(
        items,
        ids=ids,
        encoder=encoder if index else None,
        index=index,
        linker=linker,
        coder=coder,
    )
    if encoder is not None and cache is not None:
        prepare_queries(data, cat, encoder, cache)
    train = _table(train_labels, train_people, data, cat)
    held_out = _table(held_labels, held_people, data, cat)
    if not (train.grades > 0).any() or not (train.grades == 0).any():
        raise NotEnoughOutcomesError(
            "les résultats d'entraînement n'ont pas à la fois des suites positives et "
            "négatives / the training outcomes lack either positive or negative pairs"
        )
    return Dataset(
        catalogue=cat,
        data=data,
        train=train,
        held_out=held_out,
        held_out_people=[b for b in held_people if b in data.profiles],
        cutoff=cutoff,
        as_of=max(e.at for e in data.events).date(),
        digest=_digest({**train_labels, **held_labels}, held_set),
        counts={
            "events": len(data.events),
            "train_pairs": len(train),
            "train_people": len(train_people),
            "held_out_pairs": len(held_out),
            "held_out_people": len(held_people),
            "train_positives": int((train.grades >= 2).sum()),
        },
    )
