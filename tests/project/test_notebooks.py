"""The notebooks a coordinator or a new developer opens first: stored without outputs, and
the data tour runs on the small sample (the evaluation and fairness notebooks run on trained
stores: ``test_training.py::test_the_whole_loop`` and ``test_external_quality.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from notebook_support import outputs_of, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_are_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "01_data_tour",
        "02_model_evaluation",
        "03_fairness_monitoring",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    """Outputs carry data and bloat diffs: git keeps the cells only (strip them with
    ``jupyter nbconvert --clear-output --inplace``)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: a cell keeps its outputs"
            assert cell["execution_count"] is None, f"{path.name}: a cell keeps its count"
    assert "widgets" not in notebook.get("metadata", {})


def test_the_data_tour_runs_on_the_small_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tremplin.ingest import load_sample_dir
    from tremplin.sample import generate, write_sample
    from tremplin.store.db import migrated_factory

    url = f"sqlite:///{tmp_path / 'tremplin.db'}"
    data = generate(7, n_opportunities=300, n_beneficiaries=80)
    write_sample(data, tmp_path / "sample", 7, False)
    reports = load_sample_dir(tmp_path / "sample", migrated_factory(url))
    assert all(r.stored for r in reports)
    monkeypatch.setenv("TREMPLIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TREMPLIN_DATABASE_URL", url)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = run_notebook(ROOT / "notebooks" / "01_data_tour.ipynb", tmp_path)
    text = "".join(outputs_of(notebook, "stream"))
    assert "300 opportunities, 80 beneficiaries" in text
    assert "ROME→ESCO" in text
    assert len(outputs_of(notebook, "image/png")) >= 3  # families, profiles, the map
    assert (tmp_path / "data_tour_map.png").is_file()
