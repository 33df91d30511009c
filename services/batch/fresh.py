"""The coach's "new since your last visit": fresh opportunities the nightly runs ranked among
a person's best after the coach last opened their shortlist, still active, not already shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from data_contracts.enums import OpportunityKind
from services.context import ServiceContext
from services.tenancy import acting_cpas, owned_row
from tremplin import audit
from tremplin.actors import Principal
from tremplin.store.models import FreshMatchRow, OpportunityRow, RescoreRunRow, ShortlistRow


class FreshItem(BaseModel):
    """One fresh opportunity for the person."""

    opportunity_id: str
    kind: OpportunityKind
    title: str
    postcode: int
    score: float = Field(description="The nightly ranking's score (as in the shortlist).")
    rank: int = Field(description="Its place among the person's fresh opportunities that night.")
    found_at: dt.datetime = Field(description="When the nightly run that found it ended.")


class FreshList(BaseModel):
    """What is new for one person since the coach's last shortlist."""

    beneficiary_id: str
    last_visit: dt.datetime | None = Field(
        description="When the person's last shortlist was made (None: never)."
    )
    last_run: dt.datetime | None = Field(description="When the latest nightly run ended.")
    items: list[FreshItem]


def _shown(payload: dict[str, Any]) -> set[str]:
    """The opportunity ids a stored shortlist showed (its list and each kind's tab)."""
    items = list(payload.get("items", []))
    for tab in payload.get("by_kind", {}).values():
        items.extend(tab)
    return {str(i["opportunity_id"]) for i in items}


def new_since_last_visit(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str, request_id: str, top: int = 20
) -> FreshList:
    """The fresh opportunities nightly runs found for the actor's CPAS's person since their
    last shortlist (best score first, one line per opportunity); audited like a shortlist."""
    cpas = acting_cpas(actor)
    with ctx.transaction() as session:
        row = owned_row(session, actor, beneficiary_id)
        last = session.execute(
            select(ShortlistRow.created_at, ShortlistRow.payload)
            .where(ShortlistRow.beneficiary_id == row.id)
            .order_by(ShortlistRow.created_at.desc())
            .limit(1)
        ).first()
        last_visit = last[0] if last else None
        shown = _shown(last[1]) if last else set()
        stmt = (
            select(
                OpportunityRow.external_id,
                OpportunityRow.kind,
                OpportunityRow.title,
                OpportunityRow.postcode,
                func.max(FreshMatchRow.score),
                func.min(FreshMatchRow.rank),
                func.max(RescoreRunRow.finished_at),
            )
            .join(OpportunityRow, OpportunityRow.id == FreshMatchRow.opportunity_id)
            .join(RescoreRunRow, RescoreRunRow.id == FreshMatchRow.run_id)
            .where(
                FreshMatchRow.beneficiary_id == row.id,
                FreshMatchRow.cpas_id == cpas,
                OpportunityRow.active.is_(True),
            )
            .group_by(
                OpportunityRow.external_id,
                OpportunityRow.kind,
                OpportunityRow.title,
                OpportunityRow.postcode,
            )
        )
        if last_visit is not None:
            stmt = stmt.where(RescoreRunRow.finished_at > last_visit)
        found = [
            FreshItem(
                opportunity_id=ext,
                kind=OpportunityKind(kind),
                title=title,
                postcode=postcode,
                score=round(float(score), 4),
                rank=int(rank),
                found_at=at,
            )
            for ext, kind, title, postcode, score, rank, at in session.execute(stmt)
            if ext not in shown
        ]
        found.sort(key=lambda f: (-f.score, f.opportunity_id))
        items = found[:top]
        last_run = session.scalar(select(func.max(RescoreRunRow.finished_at)))
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.FRESH_MATCHES,
            tenant=cpas,
            subject=audit.pseudonym(ctx.pseudonym_key, cpas, beneficiary_id),
            inputs={"top": top, "since": last_visit.isoformat() if last_visit else None},
            returned_ids=[i.opportunity_id for i in items],
        )
    return FreshList(
        beneficiary_id=beneficiary_id, last_visit=last_visit, last_run=last_run, items=items
    )
