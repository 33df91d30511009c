"""Promotions and rollbacks, always audited: the only way a version becomes servable.

A promotion first appends an audit record (``model_change``) to the application's database,
then writes on the version the verdict it was promoted on (``pass``, or ``forced`` with the
reason) and the audit record's request id, and only then moves the ``champion`` alias. The
service serves a champion only when these tags are there and the audit record exists
(:mod:`services.engine`), so an alias moved by hand in MLflow is not served.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from training import registry
from training.assessment import assess, prepare_dataset
from training.gate import VERDICT_LABELS, GateDecision, Verdict
from tremplin.errors import GateRefusedError, RegistryError
from tremplin.settings import Settings

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from training.evaluation import Truth

FORCED = "forced"


def _audit(settings: Settings, actor: str, operation: str, version: str, detail: str) -> str:
    """Append the audit record; returns its request id."""
    from tremplin.actors import system_actor
    from tremplin.audit import AuditAction, record
    from tremplin.store.db import migrated_factory, transaction

    request_id = f"model-{uuid.uuid4().hex[:16]}"
    with transaction(migrated_factory(settings.database_url)) as session:
        record(
            session,
            system_actor(actor),
            request_id,
            AuditAction.MODEL_CHANGE,
            subject=version,
            inputs={"operation": operation, "version": version, "detail": detail[:500]},
        )
    return request_id


def promote_version(
    settings: Settings,
    c: MlflowClient,
    version: ModelVersion,
    decision: GateDecision | None,
    actor: str,
    force_reason: str | None = None,
) -> ModelVersion | None:
    """Make ``version`` the champion, on a passing ``decision`` or forced with a reason;
    returns the champion it replaced."""
    forced = decision is None or decision.verdict is not Verdict.PASS
    if forced and not (force_reason and force_reason.strip()):
        raise RegistryError(
            "une promotion forcée exige une raison (--reason)", "a forced promotion needs a reason"
        )
    label = registry.version_label(version)
    verdict = decision.verdict.value if decision is not None else "none"
    operation = "promote_forced" if forced else "promote"
    detail = (f"forced over verdict {verdict}: {force_reason}" if forced else "gate passed") + (
        f" against {decision.incumbent}" if decision is not None else ""
    )
    before = registry.champion(c)
    if before is not None and before.version == version.version:
        raise RegistryError(f"{label} est déjà le champion", "already champion")
    request_id = _audit(settings, actor, operation, label, detail)
    tags = {
        "promotion_verdict": FORCED if forced else Verdict.PASS.value,
        "promotion_audit": request_id,
        "promotion_gate": verdict,
    }
    for key, value in tags.items():
        c.set_model_version_tag(registry.MODEL_NAME, version.version, key, value)
    return registry.promote(c, version, detail)


def rollback_champion(
    settings: Settings, c: MlflowClient, actor: str
) -> tuple[ModelVersion, ModelVersion]:
    """Give the alias back to the previous champion, audited: (restored, withdrawn)."""
    current = registry.champion(c)
    previous = (current.tags or {}).get("previous_champion", "") if current else ""
    label = registry.version_label(previous) if previous else "?"
    if current is not None and previous:
        _audit(settings, actor, "rollback", label, f"from {registry.version_label(current)}")
    return registry.rollback(c)


def gate_refused(label: str, decision: GateDecision) -> GateRefusedError:
    """The error of a version the gate's recheck refused (no forced promotion asked)."""
    return GateRefusedError(
        f"la porte refuse {label} (verdict : {VERDICT_LABELS[decision.verdict]})",
        f"the gate refuses {label}",
        reasons=list(decision.reasons),
        decision=decision,
    )


def generator_truth(settings: Settings) -> Truth:
    """The sample generator's hidden suitability as a truth function, refused
    (:class:`~tremplin.provenance.NotGeneratorDataError`) unless the store holds exactly the
    generator's data."""
    from tremplin.provenance import check_generator_store
    from tremplin.sample.truth import truth_function
    from tremplin.store.db import migrated_factory
    from tremplin.taxonomy import load_taxonomy

    with migrated_factory(settings.database_url)() as session:
        check_generator_store(session)
    return truth_function(load_taxonomy())


def recheck_and_promote(
    settings: Settings,
    c: MlflowClient,
    run_id: str,
    actor: str,
    force_reason: str | None = None,
) -> tuple[ModelVersion, GateDecision, ModelVersion | None]:
    """Make the version of ``run_id`` the champion after re-running the gate against the
    current champion and the fusion on today's outcomes; promoted when the gate passes it,
    or with ``force_reason`` (audited). Returns (version, decision, replaced champion);
    :class:`GateRefusedError` when refused and not forced."""
    from matching.champion import load_version
    from training.datasets import load_outcome_data
    from training.evaluation import TruthTable
    from training.gate import GatePolicy
    from training.labels import TOP_STAGE
    from tremplin.store.db import migrated_factory

    version = registry.version_of_run(c, run_id)
    label = registry.version_label(version)
    current = registry.champion(c)
    if current is not None and current.version == version.version:
        raise RegistryError(f"{label} est déjà le champion", "already champion")
    tags = version.tags or {}
    truth = generator_truth(settings) if tags.get("grading") == "hidden_truth" else None
    with migrated_factory(settings.database_url)() as session:
        data = load_outcome_data(session)
    ds, _, cache, _ = prepare_dataset(settings, data)
    if cache is not None:
        cache.close()
    challenger = load_version(c, version)
    table = TruthTable(ds, truth) if truth is not None else None
    labels_up_to = int(tags.get("labels_up_to", TOP_STAGE))
    decision = assess(
        settings, ds, challenger, table, GatePolicy(), labels_up_to, name=label
    ).decision
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    c.set_model_version_tag(
        registry.MODEL_NAME, version.version, "recheck", f"{decision.verdict.value} {now}"
    )
    if not decision.accepted and not force_reason:
        raise gate_refused(label, decision)
    before = promote_version(settings, c, version, decision, actor, force_reason=force_reason)
    return version, decision, before
