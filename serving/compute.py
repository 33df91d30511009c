"""Fair sharing of the process's compute slots: coaches first, batch work in small turns.

CPU-bound work (a shortlist, a batch of title links) runs in worker threads, at most
``compute_concurrency`` at once. Who goes next is decided here, not by arrival order:

- **Priorities.** A waiting coach's shortlist is always handed the next free slot before any
  other work; a coach's title links come next; other roles' title links (employers' and
  Maisons de l'emploi's batches) come last.
- **A batch share.** Batch work never holds more than ``batch_slots`` slots at once, so with the
  default two slots one is always free for coaches, however many batches wait.
- **Small turns.** Batch title linking is cut into chunks of :data:`LINK_CHUNK` titles, each a
  turn of its own: a coach arriving behind a 100-title request waits for one chunk (tens of
  milliseconds), not for the whole request.

All of it runs on the event loop (no lock needed); a cancelled waiter (client gone, time-out)
leaves the queue without taking a slot.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from enum import IntEnum
from typing import TypeVar

import anyio.to_thread

T = TypeVar("T")
LINK_CHUNK = 16


class Priority(IntEnum):
    """Who is served first (lower first)."""

    SHORTLIST = 0  # a coach in front of a beneficiary
    INTERACTIVE = 1  # a coach's title links
    BATCH = 2  # other roles' title links


class ComputeScheduler:
    """``slots`` compute slots handed out by priority, batch work capped at ``batch_slots``."""

    def __init__(self, slots: int, batch_slots: int) -> None:
        self.slots = slots
        self.batch_slots = max(1, min(batch_slots, slots))
        self._busy = 0
        self._batch_busy = 0
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        """Calls waiting for a slot now."""
        return sum(1 for _, _, f in self._queue if not f.done())

    def _admissible(self, priority: int) -> bool:
        if self._busy >= self.slots:
            return False
        return priority < Priority.BATCH or self._batch_busy < self.batch_slots

    def _take(self, priority: int) -> None:
        self._busy += 1
        if priority >= Priority.BATCH:
            self._batch_busy += 1

    async def _acquire(self, priority: int) -> None:
        if not self._queue and self._admissible(priority):
            self._take(priority)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (priority, next(self._order), future)
        heapq.heappush(self._queue, entry)
        self._dispatch()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(priority)  # handed a slot just as it was cancelled
            else:
                self._queue.remove(entry)
                heapq.heapify(self._queue)
            raise

    def _release(self, priority: int) -> None:
        self._busy -= 1
        if priority >= Priority.BATCH:
            self._batch_busy -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand free slots to the best admissible waiters (a batch waiter blocked by its share
        does not hold up a coach behind it)."""
        skipped: list[tuple[int, int, asyncio.Future[None]]] = []
        while self._queue and self._busy < self.slots:
            entry = heapq.heappop(self._queue)
            priority, _, future = entry
            if future.done():
                continue
            if not self._admissible(priority):
                skipped.append(entry)
                continue
            self._take(priority)
            future.set_result(None)
        for entry in skipped:
            heapq.heappush(self._queue, entry)

    async def run(self, priority: Priority, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` in a worker thread once a slot is this call's turn."""
        await self._acquire(priority)
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        finally:
            self._release(priority)
