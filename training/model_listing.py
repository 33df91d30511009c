"""Every registered re-ranker with its gate verdict per check, and whether it would be served.

What ``tremplin models`` prints (and ``--json`` writes): for each version, the verdict and the
checks of its run (``gate.json``), the recheck made by ``tremplin promote``, whether it holds
the ``champion`` alias, and whether a service would serve it — and why not (no audited
promotion, no audit record, another feature list). The untrained fusion comes with the floor
checks of the latest run: it is what serves when no champion may.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from matching.champion import ChampionRefusedError, load_champion
from training import registry
from training.gate import Check, overall
from training.pipeline import GATE_ARTIFACT
from tremplin.audit import model_change_check
from tremplin.settings import Settings
from tremplin.store.db import migrated_factory

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient


class VersionEntry(BaseModel):
    """One registered version (or the fusion)."""

    version: str
    run_id: str | None = None
    verdict: str  # pass, fail, not_measurable, or "?" for a version without gate record
    checks: list[Check] = Field(default_factory=list)
    recheck: str | None = None
    promoted_at: str | None = None
    promotion: str | None = None  # pass or forced
    champion: bool = False
    served: bool = False
    why_not_served: str | None = None

    def check_counts(self) -> dict[str, int]:
        """How many checks got each verdict."""
        counts = Counter(c.verdict.value for c in self.checks)
        return {k: counts.get(k, 0) for k in ("pass", "fail", "not_measurable")}


class ModelListing(BaseModel):
    """The registry as ``tremplin models`` shows it."""

    tracking_uri: str
    served: str  # the version a service would serve, or "fusion"
    versions: list[VersionEntry]
    fusion: VersionEntry


def _checks(c: MlflowClient, run_id: str | None) -> tuple[list[Check], list[Check]]:
    if not run_id:
        return [], []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = c.download_artifacts(run_id, GATE_ARTIFACT, tmp)
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except Exception:  # a version from before the gate recorded its checks
            return [], []
    return (
        [Check.model_validate(x) for x in data.get("checks", [])],
        [Check.model_validate(x) for x in data.get("fusion_checks", [])],
    )


def list_versions(settings: Settings, c: MlflowClient) -> ModelListing:
    """Every version, newest first, with its checks and whether it would be served."""
    audited = model_change_check(migrated_factory(settings.database_url))

    current = registry.champion(c)
    served, why = "fusion", None
    if current is not None:
        try:
            load_champion(settings, audited=audited)
            served = registry.version_label(current)
        except ChampionRefusedError as exc:
            why = str(exc)
    found: list[ModelVersion] = c.search_model_versions(f"name='{registry.MODEL_NAME}'")
    entries = []
    fusion_checks: list[Check] = []
    for v in sorted(found, key=lambda v: -int(v.version)):
        tags = v.tags or {}
        label = registry.version_label(v)
        checks, fusion = _checks(c, v.run_id)
        fusion_checks = fusion_checks or fusion
        is_champion = current is not None and current.version == v.version
        entries.append(
            VersionEntry(
                version=label,
                run_id=v.run_id,
                verdict=tags.get("gate", "?"),
                checks=checks,
                recheck=tags.get("recheck"),
                promoted_at=tags.get("promoted_at"),
                promotion=tags.get("promotion_verdict"),
                champion=is_champion,
                served=served == label,
                why_not_served=(
                    None
                    if served == label
                    else (why if is_champion else "ce n'est pas le champion")
                ),
            )
        )
    fusion_verdict = overall(fusion_checks).value if fusion_checks else "?"
    return ModelListing(
        tracking_uri=registry.tracking_uri(settings),
        served=served,
        versions=entries,
        fusion=VersionEntry(
            version="fusion",
            verdict=fusion_verdict,
            checks=fusion_checks,
            served=served == "fusion",
            why_not_served=None if served == "fusion" else "un champion sert",
        ),
    )
