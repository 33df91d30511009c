"""The benchmark suite's own logic: the simulated actor pool and the generated performance
page (from the committed result files)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import simulate  # noqa: E402
from report import main as write_report  # noqa: E402


@given(
    st.lists(st.floats(min_value=0.0, max_value=10.0), min_size=1, max_size=200),
    st.integers(min_value=1, max_value=64),
)
def test_a_simulated_pool_finishes_between_the_even_share_and_one_batch_more(
    costs: list[float], workers: int
) -> None:
    """Handing batches to the first free worker ends no earlier than an even split of the work
    (or the longest batch) and no later than an even split plus one batch."""
    wall = simulate(costs, workers)
    assert wall >= max(sum(costs) / workers, max(costs)) - 1e-9
    assert wall <= sum(costs) / workers + max(costs) + 1e-9
    assert simulate(costs, 1) == sum(costs) or abs(simulate(costs, 1) - sum(costs)) < 1e-6


def test_the_performance_page_is_generated_from_the_result_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every target row and section comes from a result file, with its source named."""
    out = tmp_path / "docs" / "performance.md"
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["report.py", "--out", str(out)])
    write_report()
    page = out.read_text(encoding="utf-8")
    assert page.startswith("# Performance")
    assert "| index recall@10 vs exact, 1,000,000 |" in page
    assert "*Source: `benchmarks/results/index-" in page
    assert (tmp_path / "docs" / "img" / "performance-growth.svg").is_file()
    # a figure the report could not read would show as a lone "?" (as the job days' did)
    assert not re.search(r"(?:^|[\s(])\?(?:[\s,.)]|$)", page, re.MULTILINE)


def test_a_run_reads_no_result_older_than_its_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make bench`` passes the day it started: an older file (a fortnight-old load test)
    is not shown as this run's figure, and the page says which day it reads from."""
    out = tmp_path / "performance.md"
    monkeypatch.chdir(ROOT)
    day_of = {
        p.name: found.group(0)
        for p in (ROOT / "benchmarks" / "results").glob("*.json")
        if (found := re.search(r"\d{4}-\d{2}-\d{2}", p.name))
    }
    newest_day = max(day_of.values())
    monkeypatch.setattr(sys, "argv", ["report.py", "--out", str(out), "--since", newest_day])
    write_report()
    page = out.read_text(encoding="utf-8")
    older = {name for name, day in day_of.items() if day < newest_day}
    assert older and not [name for name in older if name in page]
    assert f"No result older than {newest_day} is read." in page
