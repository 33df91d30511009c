"""Documents people use from a job-day plan: a CSV export, ICS calendars, printable pages.

Pages are rendered with Jinja2 (autoescaped) from ``services/templates``; they carry their
own print style (a browser prints them to paper or PDF). Calendars follow RFC 5545
(``icalendar``), one event per interview, in Brussels time.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from icalendar import Calendar, Event
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.jobday_schemas import Convocation, PlanOut, StandList

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSV_COLUMNS = (
    "participant",
    "cpas_id",
    "beneficiary_id",
    "employer_id",
    "employer_name",
    "opportunity_id",
    "opportunity_title",
    "starts_at",
    "ends_at",
    "quality",
    "good",
)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def plan_csv(plan: PlanOut) -> str:
    """The plan's interviews as CSV (UTF-8, one row per interview, times in Brussels time)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for i in plan.interviews:
        row = i.model_dump(mode="json")
        writer.writerow({k: row.get(k) if row.get(k) is not None else "" for k in CSV_COLUMNS})
    return out.getvalue()


def convocations_ics(convocations: list[Convocation]) -> bytes:
    """An ICS calendar with one event per interview of the convocations."""
    cal = Calendar()
    cal.add("prodid", "-//Tremplin//Job days//FR")
    cal.add("version", "2.0")
    for c in convocations:
        for n, item in enumerate(c.interviews):
            event = Event()
            event.add("uid", f"{c.job_day_id}-{c.beneficiary_id}-{n}@tremplin")
            event.add("summary", f"Entretien — {item.employer_name} ({c.title})")
            event.add("dtstart", item.starts_at)
            event.add("dtend", item.ends_at)
            event.add("location", c.place)
            event.add("description", "À emporter : " + ", ".join(c.bring))
            cal.add_component(event)
    return bytes(cal.to_ical())


def plan_html(plan: PlanOut, title: str) -> str:
    """A printable page of the plan (by stand, then time)."""
    by_stand: dict[str, list[object]] = {}
    for i in plan.interviews:
        by_stand.setdefault(i.employer_name, []).append(i)
    return (
        _environment()
        .get_template("plan.html")
        .render(plan=plan, title=title, by_stand=sorted(by_stand.items()))
    )


def stand_html(stand: StandList) -> str:
    """A printable list for one employer's stand."""
    return _environment().get_template("stand.html").render(stand=stand)


def convocations_html(convocations: list[Convocation]) -> str:
    """Printable convocations, one per page."""
    return _environment().get_template("convocations.html").render(convocations=convocations)
