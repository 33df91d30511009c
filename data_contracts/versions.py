"""What produced a ranking: one model, reported in responses, the history and the audit trail."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Versions(BaseModel):
    """The engine, encoder, index and re-ranker versions behind a result."""

    model_config = ConfigDict(frozen=True)

    engine_version: str = Field(description="The matching engine's version (features, fusion).")
    model_version: str | None = Field(default=None, description="The sentence encoder.")
    index_version: str | None = Field(
        default=None, description="The vector index (kind, size, build time)."
    )
    ranker_version: str = Field(
        default="fusion", description="The re-ranker model that ordered the items, or 'fusion'."
    )

    def audit_fields(self) -> dict[str, str | None]:
        """The versions as the audit trail's columns (``engine``, ``model``, ...)."""
        return {
            "engine": self.engine_version,
            "model": self.model_version,
            "index": self.index_version,
            "ranker": self.ranker_version,
        }
