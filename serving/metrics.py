"""Prometheus metrics of one app instance (its own registry, so tests can build many apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from data_contracts.versions import Versions

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request latency, shortlist counts and the served model version."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "tremplin_request_seconds",
            "Request latency by route and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.shortlists = Counter(
            "tremplin_shortlists",
            "Shortlists computed, by kind of input.",
            ["source"],
            registry=self.registry,
        )
        self.model = Gauge(
            "tremplin_model_info",
            "The served engine, encoder, index and re-ranker versions (value 1).",
            ["engine", "model", "index", "ranker"],
            registry=self.registry,
        )

    def set_model(self, versions: Versions) -> None:
        """Report the served versions (only the current set keeps value 1)."""
        self.model.clear()
        self.model.labels(
            engine=versions.engine_version,
            model=versions.model_version or "",
            index=versions.index_version or "",
            ranker=versions.ranker_version,
        ).set(1)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
