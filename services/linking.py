"""The title-linking use case: job titles and aspirations to ESCO occupations and ROME métiers.

The linker is the served engine's own (built once per process with the served encoder); the API
waits for it with :func:`title_linker` outside its compute slots, then links in one.
"""

from __future__ import annotations

from matching.occupations import LinkResult, OccupationLinker
from services.context import ServiceContext
from services.schemas import LinkRequest


def title_linker(ctx: ServiceContext) -> OccupationLinker:
    """The served title linker (built on first use, then kept)."""
    return ctx.matching.linker()


def link_titles(ctx: ServiceContext, request: LinkRequest) -> list[LinkResult]:
    """The ``top`` occupations (and ROME métiers) for each title, best first."""
    return title_linker(ctx).link_many(request.titles, request.top)
