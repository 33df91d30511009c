"""Job-day exports opened as the software that reads them would: the plan's CSV as Excel in a
Belgian French locale reads it (``;``, a byte-order mark, French headers, comma decimals), the
convocations' calendar parsed back and checked against RFC 5545's required properties."""

from __future__ import annotations

import csv
import datetime as dt
import io

from icalendar import Calendar

from services.documents import convocations_ics, plan_csv
from services.jobday_schemas import (
    Convocation,
    ConvocationItem,
    InterviewOut,
    PlanFigures,
    PlanOut,
)
from tremplin.settings import BRUSSELS

NINE = dt.datetime(2026, 12, 9, 9, 30, tzinfo=BRUSSELS)


def _plan() -> PlanOut:
    interview = InterviewOut(
        participant="JD-7K2",
        cpas_id="cpas-liege",
        beneficiary_id=None,
        employer_id="emp-0003",
        employer_name="Nettoyage Meuse, Liège",
        opportunity_id="opp-001558",
        opportunity_title="Agent d'entretien ; horaires de jour",
        starts_at=NINE,
        ends_at=NINE + dt.timedelta(minutes=20),
        quality=0.8234,
        good=True,
    )
    return PlanOut(
        id="plan-1",
        job_day_id="jd-liege",
        created_at=NINE,
        created_by="maison.liege",
        reason="plan",
        figures=PlanFigures.model_construct(),  # the export reads the interviews only
        stands=[],
        interviews=[interview],
    )


def test_the_plan_csv_opens_in_columns_in_a_belgian_excel() -> None:
    text = plan_csv(_plan())
    assert text.startswith("\ufeff")  # UTF-8 with a byte-order mark: Excel reads accents
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    header, row = rows
    assert header[:4] == ["Code participant", "CPAS", "Bénéficiaire", "Employeur"]
    assert not any(h.isascii() and "_" in h for h in header)  # no field names
    cells = dict(zip(header, row, strict=True))
    assert cells["Employeur"] == "Nettoyage Meuse, Liège"  # a comma stays inside its cell
    assert cells["Offre"] == "Agent d'entretien ; horaires de jour"  # quoted, one cell
    assert cells["Début"] == "09/12/2026 09:30" and cells["Fin"] == "09/12/2026 09:50"
    assert cells["Adéquation"] == "0,82" and cells["Bonne adéquation"] == "oui"
    assert cells["Bénéficiaire"] == ""  # the organiser never sees who is behind a code


def test_the_convocations_calendar_is_valid_rfc_5545() -> None:
    convocation = Convocation(
        beneficiary_id="ben-00012",
        job_day_id="jd-liege",
        title="Job day Liège",
        date=NINE.date(),
        place="Rue de la Régence 58, 4000 Liège",
        arrive_by=NINE - dt.timedelta(minutes=15),
        interviews=[
            ConvocationItem(
                starts_at=NINE,
                ends_at=NINE + dt.timedelta(minutes=20),
                employer_name="Nettoyage Meuse",
                stand_offer=None,
            )
        ],
        bring=["votre carte d'identité"],
        text="",
    )
    stamp = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    raw = convocations_ics([convocation], stamp=stamp)
    cal = Calendar.from_ical(raw)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    (event,) = cal.walk("VEVENT")
    for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
        assert required in event, required
    assert event.decoded("DTSTAMP") == stamp
    assert event.decoded("DTSTART") == NINE  # the same instant, read back with its zone
    assert b"DTSTART;TZID=Europe/Brussels:20261209T093000" in raw
    (zone,) = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Brussels"
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded as the RFC says
    # a second, independent RFC 5545 reader (ical: typed properties, strict value parsing)
    # reads the same event, place and zone; the required properties are checked above
    from ical.calendar_stream import IcsCalendarStream

    strict = IcsCalendarStream.calendar_from_ics(raw.decode("utf-8"))
    (read,) = strict.events
    assert read.uid == str(event["UID"])
    assert read.dtstamp == stamp and read.location == "Rue de la Régence 58, 4000 Liège"
    assert read.dtstart == NINE and [t.tz_id for t in strict.timezones] == ["Europe/Brussels"]
