"""``tremplin evaluate``: the sample suite labelled for what it is, and clear usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tremplin_cli.main import app

runner = CliRunner()


def test_an_unknown_suite_is_a_usage_error() -> None:
    result = runner.invoke(app, ["evaluate", "--suite", "oracle"])
    assert result.exit_code == 2
    assert "external, sample ou all" in result.output


def test_a_slice_too_small_is_refused() -> None:
    result = runner.invoke(app, ["evaluate", "--size", "3"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_the_sample_suite_says_whose_truth_it_is(
    tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tremplin.settings import get_settings

    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    args = ["evaluate", "--suite", "sample", "--beneficiaries", "12", "--opportunities", "300"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path), "--no-log"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "sample.json").read_text(encoding="utf-8"))
    assert {r["method"] for r in rows} == {"tfidf", "bm25", "dense", "fusion"}
    assert all("vérité du générateur" in r["suite"] for r in rows)
    assert all(r["queries"] > 0 for r in rows)
