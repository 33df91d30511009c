"""Scheduled retraining: train only when enough outcome events arrived since the last run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import func, select

from training import registry
from tremplin.settings import Settings
from tremplin.store.db import migrated_factory
from tremplin.store.models import OutcomeEventRow

if TYPE_CHECKING:
    from training.pipeline import TrainReport


class RetrainOutcome(BaseModel):
    """What a scheduled run decided and where its report is."""

    trained: bool
    events: int
    new_events: int
    summary: str
    report_path: Path


def events_at_last_run(settings: Settings) -> int:
    """How many outcome events the last training run saw (0 before the first run)."""
    c = registry.client(settings)
    experiment = registry.experiment_id(settings, c)
    runs = c.search_runs([experiment], order_by=["attributes.start_time DESC"], max_results=1)
    if not runs:
        return 0
    return int(runs[0].data.params.get("n_events", 0))


def retrain_if_due(
    settings: Settings, min_new_events: int, train: Callable[[], TrainReport]
) -> RetrainOutcome:
    """Run ``train`` when at least ``min_new_events`` events arrived; write a short report."""
    with migrated_factory(settings.database_url)() as session:
        events = int(session.scalar(select(func.count()).select_from(OutcomeEventRow)) or 0)
    new = events - events_at_last_run(settings)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = settings.data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"retrain-{stamp}.md"
    if new < min_new_events:
        summary = (
            f"rien à faire : {new} nouvel(s) événement(s) depuis le dernier entraînement, "
            f"seuil {min_new_events}"
        )
        path.write_text(f"# Ré-entraînement {stamp}\n\n{summary}.\n", encoding="utf-8")
        return RetrainOutcome(
            trained=False, events=events, new_events=new, summary=summary, report_path=path
        )
    report = train()
    verdict = "promu champion" if report.promoted else "refusé : " + "; ".join(report.gate.reasons)
    summary = f"{report.version} entraîné sur {events} événements ({new} nouveaux) — {verdict}"
    path.write_text(f"# Ré-entraînement {stamp}\n\n{summary}.\n\n{report.markdown()}", "utf-8")
    return RetrainOutcome(
        trained=True, events=events, new_events=new, summary=summary, report_path=path
    )
