"""Documents people use from a job-day plan: a CSV export, ICS calendars, printable pages.

Pages are rendered with Jinja2 (autoescaped) from ``services/templates``; they carry their
own print style (a browser prints them to paper or PDF). The CSV is what Excel opens in a
Belgian French locale: ``;`` between columns, a UTF-8 byte-order mark, French headers, dates
as ``07/12/2026 09:30`` and decimals with a comma. Calendars follow RFC 5545 (``icalendar``):
one event per interview with its ``UID`` and ``DTSTAMP``, times in Europe/Brussels with the
zone's ``VTIMEZONE``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from icalendar import Calendar, Event
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.jobday_schemas import Convocation, PlanOut, StandList

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSV_COLUMNS = {  # the interview's field -> the column's French header
    "participant": "Code participant",
    "cpas_id": "CPAS",
    "beneficiary_id": "Bénéficiaire",
    "employer_name": "Employeur",
    "employer_id": "Identifiant employeur",
    "opportunity_title": "Offre",
    "opportunity_id": "Identifiant offre",
    "starts_at": "Début",
    "ends_at": "Fin",
    "quality": "Adéquation",
    "good": "Bonne adéquation",
}
BOM = "\ufeff"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _cell(value: object) -> str:
    """A value as Excel in a fr-BE locale reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return str(value)


def excel_csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """A table as CSV that Excel in a Belgian French locale opens in columns, line by line (to
    stream): a UTF-8 byte-order mark, ``;`` between cells, CRLF line ends, values as that
    locale writes them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow(_cell(value) for value in row)
        yield out.getvalue()


def excel_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The whole table of :func:`excel_csv_lines` as one string."""
    return "".join(excel_csv_lines(header, rows))


def plan_csv(plan: PlanOut) -> str:
    """The plan's interviews as CSV for Excel in a Belgian French locale (French headers; one
    row per interview, times in Brussels time)."""
    return excel_csv(
        CSV_COLUMNS.values(),
        ([getattr(i, field) for field in CSV_COLUMNS] for i in plan.interviews),
    )


def convocations_ics(convocations: list[Convocation], stamp: dt.datetime | None = None) -> bytes:
    """An ICS calendar with one event per interview of the convocations; ``stamp``: when the
    calendar was made (``DTSTAMP``; now by default)."""
    made = stamp or dt.datetime.now(dt.UTC)
    cal = Calendar()
    cal.add("prodid", "-//Tremplin//Job days//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    for c in convocations:
        for n, item in enumerate(c.interviews):
            event = Event()
            event.add("uid", f"{c.job_day_id}-{c.beneficiary_id}-{n}@tremplin")
            event.add("dtstamp", made)
            event.add("summary", f"Entretien — {item.employer_name} ({c.title})")
            event.add("dtstart", item.starts_at)
            event.add("dtend", item.ends_at)
            event.add("location", c.place)
            event.add("description", "À emporter : " + ", ".join(c.bring))
            cal.add_component(event)
    cal.add_missing_timezones()  # VTIMEZONE Europe/Brussels for the events' TZID
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
