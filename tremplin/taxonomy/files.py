"""Access to the vendored reference files (gzip CSV) shipped inside the package."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_rows(name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of the vendored gzip CSV ``name`` as dictionaries."""
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def read_text(name: str) -> str:
    """Return the content of a vendored gzip text file."""
    with gzip.open(DATA_DIR / name, "rb") as fh:
        return io.TextIOWrapper(fh, encoding="utf-8").read()
