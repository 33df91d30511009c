"""Door-to-door travel-time estimates from a great-circle distance, per transport mode.

No routing engine runs offline here, so the estimate is the textbook one: road or network
distance is the straight-line distance times a detour factor (about 1.3 for Belgian road and
transit networks in the literature on circuity), covered at a typical door-to-door speed, plus
a fixed access time (walking to the stop and waiting, parking). The figures are deliberately
modest so that the filter removes only what is clearly out of reach; docs/matching.md gives
the sources and the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_contracts.enums import TransportMode


@dataclass(frozen=True)
class ModeSpeed:
    """How a transport mode turns kilometres into minutes."""

    detour: float
    km_per_hour: float
    access_minutes: float


MODE_SPEEDS: dict[TransportMode, ModeSpeed] = {
    TransportMode.WALK: ModeSpeed(detour=1.3, km_per_hour=4.5, access_minutes=0.0),
    TransportMode.BIKE: ModeSpeed(detour=1.3, km_per_hour=15.0, access_minutes=2.0),
    # TEC/STIB bus, tram and metro with transfers: about 20 km/h door to door beyond access
    TransportMode.PUBLIC_TRANSPORT: ModeSpeed(detour=1.3, km_per_hour=20.0, access_minutes=12.0),
    TransportMode.CAR: ModeSpeed(detour=1.3, km_per_hour=45.0, access_minutes=5.0),
}


def travel_minutes(km: np.ndarray | float, modes: list[TransportMode]) -> np.ndarray:
    """The fastest of ``modes`` for each distance (minutes); walking when none is given."""
    dist = np.asarray(km, dtype=np.float64)
    best = np.full(dist.shape, np.inf)
    for mode in modes or [TransportMode.WALK]:
        s = MODE_SPEEDS[mode]
        best = np.minimum(best, s.access_minutes + 60.0 * s.detour * dist / s.km_per_hour)
    return best
