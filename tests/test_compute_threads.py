"""The API caps the numerical libraries' threads in every request thread, not only at start."""

from __future__ import annotations

import threading
from typing import Any

from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from serving.matching_service import MatchingService, cap_this_thread
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
    service.catalogue = object()  # type: ignore[assignment]  # any loaded catalogue
    assert _in_new_thread(lambda: (service.current(), _openmp_effective_n_threads())[1]) == 1
