"""The one path of a search request, for the API and the pages alike.

A shortlist, a pool search or a title link goes through the same steps whichever shell asked:
the per-user search rate (429 with Retry-After), a compute slot of the right priority, the
request time limit (503 "retry"), and the request metrics. Routes and pages call these
functions and render; neither holds its own copy of a step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from services import linking, pool, shortlists
from services.linking import WishReading
from services.pool_schemas import PoolNeed, PoolPage
from services.schemas import ShortlistRequest, ShortlistResponse
from serving.compute import Priority
from serving.ratelimit import RateLimiter
from serving.state import ServiceState, request_id_var
from tremplin.actors import Principal
from tremplin.errors import NotReadyError, RateLimitedError, TimedOutError

T = TypeVar("T")
SEARCHES = ("trop de recherches, réessayez plus tard", "too many searches, retry later")
TITLES = ("trop de titres à lier, réessayez plus tard", "too many titles to link, retry later")


def throttle(
    state: ServiceState,
    key: str,
    message: tuple[str, str],
    budget: RateLimiter | None = None,
    cost: int = 1,
) -> None:
    """Count a call of ``cost`` for ``key`` in ``budget`` (the search rate by default); rate
    limited (429 with Retry-After) when over its per-minute limit. ``message`` is (fr, en)."""
    limiter = budget or state.limiter
    wait = limiter.check(key, cost)
    if wait:
        raise RateLimitedError(*message, retry_after=int(limiter.retry_after(wait)))


def count_search(state: ServiceState, principal: Principal) -> None:
    """The caller's per-user search rate (shortlists, pool searches, title links)."""
    throttle(state, f"{principal.user_id}", SEARCHES)


def count_titles(state: ServiceState, principal: Principal, titles: int) -> None:
    """The title linker's budgets: per user, and per role for all its users together."""
    throttle(state, f"user:{principal.user_id}", TITLES, budget=state.title_budget, cost=titles)
    throttle(state, f"role:{principal.role}", TITLES, budget=state.role_title_budget, cost=titles)


async def within_limits(
    state: ServiceState, fn: Callable[..., T], *args: object, priority: Priority
) -> T:
    """Run a service call in a compute slot of ``priority`` within the request time limit."""
    try:
        return await asyncio.wait_for(
            state.compute(fn, *args, priority=priority),
            timeout=state.settings.request_timeout_s,
        )
    except TimeoutError:
        raise TimedOutError("délai dépassé, réessayez", "timed out, retry") from None


async def shortlist(
    state: ServiceState, principal: Principal, body: ShortlistRequest
) -> ShortlistResponse:
    """A shortlist (:func:`services.shortlists.create_shortlist`) through the search path;
    counted in the request metrics."""
    count_search(state, principal)
    response = await within_limits(
        state,
        shortlists.create_shortlist,
        state,
        principal,
        body,
        request_id_var.get(),
        priority=Priority.SHORTLIST,
    )
    state.metrics.shortlists.labels("stored" if response.stored else "ad_hoc").inc()
    return response


async def pool_search(state: ServiceState, principal: Principal, body: PoolNeed) -> PoolPage:
    """A page of the anonymised pool (:func:`services.pool.search_pool`) through the search
    path (after the coaches' shortlists)."""
    count_search(state, principal)
    return await within_limits(
        state, pool.search_pool, state, principal, body, request_id_var.get(),
        priority=Priority.BATCH,
    )  # fmt: skip


def linker_ready(state: ServiceState) -> None:
    """Not ready (503 with Retry-After) while the title linker is still being built after a
    start; no request waits for it."""
    if not state.matching.linker_ready:
        state.matching.prepare_linker()
        raise NotReadyError(
            "la recherche de métiers se prépare après le démarrage, réessayez dans une minute",
            "the title linker is being built after a start, retry in a minute",
        )


async def read_wish(
    state: ServiceState, principal: Principal, words: str, skills: list[str]
) -> list[WishReading]:
    """What a wish reads as (:func:`services.linking.read_wish`) through the search path."""
    linker_ready(state)
    count_titles(state, principal, 1)
    return await within_limits(
        state, linking.read_wish, state, words, skills, priority=Priority.INTERACTIVE
    )
