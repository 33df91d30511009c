"""Compute slots: coaches' shortlists before batches, batches capped, cancellations clean."""

from __future__ import annotations

import asyncio
import threading

from api_support import in_own_thread

from serving.compute import ComputeScheduler, Priority


def _blocking(started: list[str], name: str, gate: threading.Event) -> str:
    started.append(name)
    gate.wait(5)
    return name


async def _until(condition: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)


def test_batches_hold_at_most_their_share_and_coaches_go_first() -> None:
    async def scenario() -> list[str]:
        scheduler = ComputeScheduler(slots=2, batch_slots=1)
        started: list[str] = []
        gates = {n: threading.Event() for n in ("b1", "b2", "b3", "s1", "s2")}

        def submit(name: str, priority: Priority) -> asyncio.Task[str]:
            return asyncio.create_task(
                scheduler.run(priority, _blocking, started, name, gates[name])
            )

        tasks = [submit("b1", Priority.BATCH), submit("b2", Priority.BATCH)]
        await _until(lambda: started == ["b1"])
        assert scheduler.waiting == 1  # b2: the batch share is one slot, though one is free
        tasks.append(submit("s1", Priority.SHORTLIST))
        await _until(lambda: "s1" in started)  # the free slot went to the coach at once
        tasks += [submit("b3", Priority.BATCH), submit("s2", Priority.SHORTLIST)]
        await asyncio.sleep(0.05)
        gates["b1"].set()  # a slot frees: s2 (a coach) overtakes b2 and b3, queued before it
        await _until(lambda: "s2" in started)
        assert "b2" not in started
        for gate in gates.values():
            gate.set()
        await asyncio.gather(*tasks)
        assert scheduler._busy == 0 and scheduler._batch_busy == 0
        return started

    order = in_own_thread(asyncio.run, scenario())
    assert order.index("s2") < order.index("b2") < order.index("b3")


def test_a_cancelled_waiter_leaves_no_slot_taken() -> None:
    async def scenario() -> None:
        scheduler = ComputeScheduler(slots=1, batch_slots=1)
        started: list[str] = []
        gate = threading.Event()
        first = asyncio.create_task(scheduler.run(Priority.BATCH, _blocking, started, "a", gate))
        await _until(lambda: started == ["a"])
        waiter = asyncio.create_task(
            scheduler.run(Priority.SHORTLIST, _blocking, started, "b", gate)
        )
        await asyncio.sleep(0.02)
        waiter.cancel()
        gate.set()
        await first
        await asyncio.sleep(0.02)
        assert scheduler._busy == 0 and scheduler.waiting == 0 and started == ["a"]
        assert await scheduler.run(Priority.SHORTLIST, lambda: "free") == "free"

    in_own_thread(asyncio.run, scenario())
