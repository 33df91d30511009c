"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.schemas import ModelInfo
from serving.deps import State, public

router = APIRouter(tags=["santé / health"])


@router.get("/healthz", **public())
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ModelInfo, responses={503: {"model": ModelInfo}}, **public())
def readyz(state: State) -> Response:
    """Ready when the index and the model are loaded; reports the served versions."""
    info = state.matching.info()
    return JSONResponse(info.model_dump(mode="json"), status_code=200 if info.ready else 503)


@router.get("/metrics", **public(), response_class=Response)
def metrics(state: State) -> Response:
    """Prometheus text format: request latency histograms, shortlist counts, model version."""
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")
