"""The API caps the numerical libraries' threads in every request thread, not only at start."""

from __future__ import annotations

import threading
from typing import Any

from api_support import in_own_thread
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from services.engine import MatchingService, cap_this_thread
from tremplin.settings import Settings


def _in_new_thread(fn: Any) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_a_new_thread_starts_uncapped_and_cap_this_thread_caps_it() -> None:
    # the premise: OpenMP's limit is per thread, so a cap set elsewhere does not hold here
    def capped_then_read() -> tuple[int, int]:
        before = _openmp_effective_n_threads()
        cap_this_thread(1)
        return before, _openmp_effective_n_threads()

    before, after = _in_new_thread(capped_then_read)
    assert after == 1
    assert before >= 1


def test_asking_for_the_catalogue_caps_the_request_thread(tmp_path: Any) -> None:
    service = MatchingService(Settings(data_dir=tmp_path, compute_threads=1), factory=None)  # type: ignore[arg-type]
    service.served = object()  # type: ignore[assignment]  # any loaded engine
    assert _in_new_thread(lambda: (service.current(), _openmp_effective_n_threads())[1]) == 1


def test_compute_runs_at_most_compute_concurrency_at_once(tmp_path: Any) -> None:
    import time

    import anyio

    from serving.state import ServiceState

    state = ServiceState(
        settings=Settings(data_dir=tmp_path, compute_concurrency=2),
        engine=None,  # type: ignore[arg-type]
        factory=None,  # type: ignore[arg-type]
        matching=None,  # type: ignore[arg-type]
        limiter=None,  # type: ignore[arg-type]
        title_budget=None,  # type: ignore[arg-type]
        role_title_budget=None,  # type: ignore[arg-type]
        credentials=None,  # type: ignore[arg-type]
        metrics=None,  # type: ignore[arg-type]
        pseudonym_key=b"",
    )
    lock = threading.Lock()
    running, peak = [0], [0]

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return i * i

    async def main() -> list[int]:
        out: list[int] = []

        async def one(i: int) -> None:
            out.append(await state.compute(work, i))

        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(one, i)
        return out

    assert sorted(in_own_thread(anyio.run, main)) == [0, 1, 4, 9, 16, 25]
    assert peak[0] == 2
