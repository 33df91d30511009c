"""The install prints no deprecation warning of the project's own making (issue 21)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_building_the_package_warns_of_nothing_deprecated(tmp_path: Path) -> None:
    """setuptools deprecated ``project.license`` as a table; the metadata build (what ``pip
    install`` runs) must print no deprecation warning about our configuration."""
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), "-v", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    output = run.stdout + run.stderr
    assert "DeprecationWarning" not in output and "deprecated" not in output.lower(), [
        line for line in output.splitlines() if "eprecat" in line
    ]
    assert list(tmp_path.glob("tremplin-*.whl"))
