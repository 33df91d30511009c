"""Belgian postcodes with coordinates (bpost list, OpenStreetMap geocoding, ODbL).

One point per postcode: the main locality's where it has coordinates. Distances are
great-circle kilometres; they are a lower bound on the road or transit distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from tremplin.taxonomy.files import read_rows

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Place:
    """A Belgian postcode with its main locality, province and coordinates."""

    postcode: int
    locality: str
    province: str
    lat: float | None
    lng: float | None

    @property
    def has_coordinates(self) -> bool:
        """Whether the place can be used for distance computations."""
        return self.lat is not None and self.lng is not None


@lru_cache(maxsize=1)
def postcodes() -> dict[int, Place]:
    """All known Belgian postcodes, keyed by code."""
    places: dict[int, Place] = {}
    for r in read_rows("be_postcodes.csv.gz"):
        code = int(r["postcode"])
        lat = float(r["lat"]) if r["lat"] else None
        lng = float(r["lng"]) if r["lng"] else None
        main = r["is_sous_commune"] == "Non"
        current = places.get(code)
        place = Place(code, r["localite"].strip().title(), r["province"], lat, lng)
        if (
            current is None
            or (main and place.has_coordinates)
            or (not current.has_coordinates and place.has_coordinates)
        ):
            places[code] = place
    return places


def place(postcode: int) -> Place | None:
    """The place of a postcode, or None when bpost does not know it."""
    return postcodes().get(postcode)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def distance_km(postcode_a: int | None, postcode_b: int | None) -> float | None:
    """Distance between two postcodes' points, None when either has no coordinates (or no
    Belgian postcode: a place abroad)."""
    if postcode_a is None or postcode_b is None:
        return None
    a, b = place(postcode_a), place(postcode_b)
    if a is None or b is None or a.lat is None or a.lng is None or b.lat is None or b.lng is None:
        return None
    return haversine_km(a.lat, a.lng, b.lat, b.lng)
