"""The served re-ranker's lifecycle: the registered versions with their gate verdicts, a
promotion through the gate's recheck on today's outcomes, a rollback, and the reload that
swaps the engine in (audited; one way for the API, the pages and the command line).

Registry and gate failures arrive as :class:`~tremplin.errors.RegistryError` and
:class:`~tremplin.errors.GateRefusedError`, which every shell maps once like any domain error.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from services.context import ServiceContext
from services.schemas import ModelInfo
from training import registry
from training.gate import GateDecision
from training.model_listing import ModelListing, list_versions
from training.promotion import recheck_and_promote, rollback_champion
from tremplin import audit
from tremplin.actors import Principal, Role
from tremplin.errors import UnavailableError

Progress = Callable[[str, float], None]


class Promotion(BaseModel):
    """A promoted version: its label, the champion it replaced, the gate's verdict."""

    version: str
    previous: str
    decision: GateDecision


class Rollback(BaseModel):
    """The champion restored and the one withdrawn."""

    restored: str
    withdrawn: str


def _registry_actor(actor: Principal) -> str:
    """How the registry's tags and the training audit name a person."""
    return actor.username if actor.role is Role.SYSTEM else f"web:{actor.username}"


def list_models(ctx: ServiceContext) -> ModelListing | None:
    """Every registered version, newest first, with its gate checks and whether it would be
    served; None while no tracking store exists yet."""
    try:
        return list_versions(ctx.settings, registry.client(ctx.settings))
    except Exception:  # no tracking store yet: the shells say so
        return None


def run_metrics(ctx: ServiceContext, run_id: str | None) -> dict[str, float]:
    """The metrics a training run logged (empty when there is no run or no store)."""
    if not run_id:
        return {}
    try:
        return dict(registry.client(ctx.settings).get_run(run_id).data.metrics)
    except Exception:  # no tracking store, or the run was deleted
        return {}


def promote(
    ctx: ServiceContext,
    actor: Principal,
    run_id: str,
    force_reason: str | None = None,
    progress: Progress | None = None,
) -> Promotion:
    """Make the version of ``run_id`` the champion after the gate's recheck against the
    champion and the fusion on today's outcomes; forced only with a reason (audited).
    :class:`~tremplin.errors.GateRefusedError` when refused and not forced."""
    report = progress or (lambda step, fraction: None)
    report("nouvelle évaluation par la porte (données du jour)", 0.1)
    version, decision, before = recheck_and_promote(
        ctx.settings,
        registry.client(ctx.settings),
        run_id,
        _registry_actor(actor),
        force_reason=force_reason,
    )
    return Promotion(
        version=registry.version_label(version),
        previous=registry.version_label(before) if before else "fusion",
        decision=decision,
    )


def rollback(ctx: ServiceContext, actor: Principal) -> Rollback:
    """Give the champion alias back to the champion the current one replaced (audited)."""
    restored, withdrawn = rollback_champion(
        ctx.settings, registry.client(ctx.settings), _registry_actor(actor)
    )
    return Rollback(
        restored=registry.version_label(restored), withdrawn=registry.version_label(withdrawn)
    )


def reload_engine(ctx: ServiceContext, actor: Principal, request_id: str) -> ModelInfo:
    """Load the configured model and the opportunities again and swap them in; audited (the
    previous engine stays served when the load fails)."""
    before = ctx.matching.versions()
    try:
        after = ctx.matching.reload()
    except Exception as exc:
        raise UnavailableError(
            "rechargement impossible, l'ancien moteur reste servi", f"reload failed: {exc}"
        ) from None
    with ctx.transaction() as session:
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.MODEL_RELOAD,
            versions=after,
            inputs={"previous": before.audit_fields()},
        )
    return ctx.matching.info()
