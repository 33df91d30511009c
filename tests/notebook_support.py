"""Running a notebook of ``notebooks/`` the way a reader would: every cell in order, on the
store the environment points at (``TREMPLIN_DATA_DIR``, ``TREMPLIN_DATABASE_URL``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient


def run_notebook(path: Path, cwd: Path, timeout_s: int = 300) -> Any:
    """Execute the notebook at ``path`` in ``cwd`` (a failing cell raises, with its traceback);
    the executed notebook (never written back: the stored one keeps no output)."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout_s, kernel_name="python3").execute(cwd=str(cwd))
    return notebook


def outputs_of(notebook: Any, kind: str) -> list[Any]:
    """Every output of ``kind`` (a MIME type such as ``image/png``, or ``stream``)."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if kind == "stream" and output.output_type == "stream":
                found.append(output.text)
            elif kind in output.get("data", {}):
                found.append(output.data[kind])
    return found
