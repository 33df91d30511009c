"""The administrator's pages: the served model and every registered version with its gate
verdict (promote through the gate's recheck, roll back, reload — all audited), the fairness
and quality figures of the active model with their intervals and plots, users and roles, and
the audit trail. An administrator sees no beneficiary data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from services import audit_trail
from services import models as model_service
from serving.state import request_id_var
from training.gate import Check
from tremplin import audit
from tremplin.errors import InvalidRequestError
from tremplin.settings import BRUSSELS
from web import labels
from web.context import service_state, start_task
from web.forms import EmptyAsNone, checked, text
from web.plots import interval_chart
from web.session import Admin
from web.tasks import Progress, Retry
from web.templating import ROLE_NAMES, render

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE = 50
QUALITY = ("ndcg_at_10", "recall_at_10", "mrr")


@router.get("/modeles")
async def models(request: Request, principal: Admin) -> Response:
    """What is served, and every registered version with its gate checks."""
    state = service_state(request)
    listing = await run_in_threadpool(model_service.list_models, state)
    return render(
        request,
        "admin/models.html",
        {
            "info": state.matching.info(),
            "listing": listing,
            "done": request.query_params.get("fait"),
        },
    )


@router.post("/modeles/promouvoir")
async def promote(request: Request, principal: Admin) -> Response:
    """Promote a run's version after the gate's recheck on today's outcomes (background
    task); forcing needs a reason (audited)."""
    form = await request.form()
    run_id, force, reason = text(form, "run_id"), checked(form, "force"), text(form, "reason")
    if force and not reason:
        raise InvalidRequestError("une promotion forcée exige une raison", "a reason is needed")
    state = service_state(request)

    def work(progress: Progress) -> Any:
        promotion = model_service.promote(
            state, principal, run_id, reason if force else None, progress
        )
        progress("rechargement du moteur", 0.9)
        model_service.reload_engine(state, principal, request_id_var.get())
        return promotion.version

    return start_task(
        request,
        principal.user_id,
        "Promotion",
        work,
        redirect=lambda label: f"/admin/modeles?fait={label}",
        kept="Le modèle en service reste celui d'avant tant que la promotion n'a pas abouti.",
        retry=Retry(
            "/admin/modeles/promouvoir",
            {"run_id": run_id, **({"force": "1", "reason": reason} if force else {})},
        ),
    )


@router.post("/modeles/retour")
def rollback(request: Request, principal: Admin) -> Response:
    """Give the champion alias back to the previous champion (audited), then reload."""
    state = service_state(request)
    done = model_service.rollback(state, principal)
    model_service.reload_engine(state, principal, request_id_var.get())
    return RedirectResponse(f"/admin/modeles?fait={done.restored}", status_code=303)


@router.post("/modeles/recharger")
def reload(request: Request, principal: Admin) -> Response:
    """Reload the model and the catalogue in the background (the served engine answers
    meanwhile)."""
    state, rid = service_state(request), request_id_var.get()

    def work(progress: Progress) -> Any:
        progress("chargement du modèle, du catalogue et de l'index", 0.2)
        return model_service.reload_engine(state, principal, rid)

    return start_task(
        request,
        principal.user_id,
        "Rechargement du moteur",
        work,
        redirect=lambda _: "/admin/modeles?fait=rechargement",
        kept="Le moteur en service a continué de répondre.",
        retry=Retry("/admin/modeles/recharger"),
    )


def _chart(checks: list[Check], kind: str, title: str) -> str | None:
    rows = [
        (labels.check_label(c), c.value.value, c.value.low, c.value.high)
        for c in checks
        if c.kind == kind and c.value is not None
    ]
    if not rows:
        return None
    threshold = next((c.threshold for c in checks if c.kind == kind and c.threshold), None)
    return interval_chart(
        rows,
        title,
        threshold=threshold,
        reference=1.0 if kind == "floor" else None,
        axis="rapport du groupe au reste (1 : parité)"
        if kind == "floor"
        else "écart au modèle de référence",
    )


@router.get("/equite")
async def fairness(request: Request, principal: Admin) -> Response:
    """Fairness (exposure and recall by group, with intervals) and quality of the model a
    service would serve, from its gate record and its MLflow run."""
    state = service_state(request)
    listing = await run_in_threadpool(model_service.list_models, state)
    entry = None
    if listing is not None:
        entry = next((v for v in listing.versions if v.served), listing.fusion)
    checks = entry.checks if entry else []
    metrics = await run_in_threadpool(
        model_service.run_metrics, state, entry.run_id if entry else None
    )
    quality = {k: metrics[k] for k in QUALITY if k in metrics}
    methods = sorted(
        {k.rsplit(".", 1)[0] for k in metrics if k.endswith(".ndcg_at_10") and "logged" not in k}
    )
    baselines = [(m, {k: metrics.get(f"{m}.{k}") for k in QUALITY}) for m in methods]
    external = {
        k.removeprefix("external."): v for k, v in metrics.items() if k.startswith("external.")
    }
    return render(
        request,
        "admin/fairness.html",
        {
            "entry": entry,
            "checks": checks,
            "floor_chart": _chart(
                checks, "floor", "Exposition et rappel : groupe / reste (IC 95 %)"
            ),
            "gap_chart": _chart(checks, "gap", "Écarts au champion (IC 95 %)"),
            "quality": quality,
            "baselines": baselines,
            "external": sorted(external.items()),
        },
    )


Short = Annotated[str, Query(max_length=200)]


def audit_filters(
    action: Annotated[audit.AuditAction | None, EmptyAsNone] = None,
    tenant: Short = "",
    actor: Short = "",
    since: Annotated[dt.date | None, EmptyAsNone] = None,
    until: Annotated[dt.date | None, EmptyAsNone] = None,
) -> audit.AuditQuery:
    """The audit page's filters as an audit query (days in Brussels time)."""
    return audit.AuditQuery(
        action=action,
        tenant=tenant or None,
        actor=actor or None,
        since=dt.datetime.combine(since, dt.time(), BRUSSELS) if since else None,
        until=dt.datetime.combine(until, dt.time.max, BRUSSELS) if until else None,
    )


AuditFilters = Annotated[audit.AuditQuery, Depends(audit_filters)]


@router.get("/journal")
def audit_page(
    request: Request,
    principal: Admin,
    query: AuditFilters,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Search the audit trail (newest last, as recorded); export what the filters select."""
    state = service_state(request)
    found = audit_trail.search_audit(state, query, PAGE, (page - 1) * PAGE)
    items, total = found.items, found.total
    filters = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"])
    return render(
        request,
        "admin/audit.html",
        {"items": items, "total": total, "page": page, "pages": max(1, -(-total // PAGE)),
         "actions": list(audit.ACTION_LABELS.items()), "q": request.query_params,
         "base": filters, "verification": audit_trail.last_verification(state),
         "role_names": {"system": "commande", **{r.value: n for r, n in ROLE_NAMES.items()}}},
    )  # fmt: skip


@router.post("/journal/verifier")
def verify_audit(request: Request, principal: Admin) -> Response:
    """Walk the audit trail's hash chain in the background; the page shows the outcome."""
    state = service_state(request)

    def work(progress: Progress) -> Any:
        progress("lecture de la chaîne d'empreintes", 0.1)
        return audit_trail.verify_chain(state, principal)

    return start_task(
        request, principal.user_id, "Vérification du journal", work,
        redirect=lambda _: "/admin/journal",
        kept="Une vérification ne modifie pas le journal.",
        retry=Retry("/admin/journal/verifier"),
    )  # fmt: skip


@router.get("/journal/export.csv")
def audit_export(request: Request, principal: Admin, query: AuditFilters) -> StreamingResponse:
    """Every record the filters select, as CSV for Excel (the export is itself audited)."""
    records = audit_trail.export_audit(
        service_state(request), principal, query, request_id_var.get()
    )
    return StreamingResponse(
        (line.encode("utf-8") for line in audit_trail.audit_csv(records)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="journal-audit-tremplin.csv"'},
    )
