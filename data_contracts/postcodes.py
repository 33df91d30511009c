"""The Belgian postcodes a contract accepts (bpost's list).

``data/be_postcodes.csv`` holds the distinct codes of the vendored postcode file
(``tremplin/taxonomy/data/be_postcodes.csv.gz``, written together by
``tools/vendor_reference_data.py``; a test checks they agree). Contracts validate against it
without depending on the geography module above them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

POSTCODES_FILE = Path(__file__).resolve().parent / "data" / "be_postcodes.csv"


@lru_cache(maxsize=1)
def known_postcodes() -> frozenset[int]:
    """Every Belgian postcode bpost lists."""
    lines = POSTCODES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    return frozenset(int(line) for line in lines if line.strip())


def is_known_postcode(postcode: int) -> bool:
    """True when ``postcode`` is a real Belgian postcode."""
    return postcode in known_postcodes()
