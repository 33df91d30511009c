"""Dates as French readers write them (every page, printout, convocation and card uses these)."""

from __future__ import annotations

import datetime as dt

FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def french_date(day: dt.date) -> str:
    """``2 décembre 2026``; the first of a month is written ``1er décembre 2026``."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def french_day(day: dt.date) -> str:
    """``mercredi 2 décembre 2026`` (a convocation's date; ``mardi 1er décembre 2026``)."""
    return f"{FRENCH_DAYS[day.weekday()]} {french_date(day)}"


def french_month(day: dt.date) -> str:
    """``décembre 2026``."""
    return f"{FRENCH_MONTHS[day.month - 1]} {day.year}"
