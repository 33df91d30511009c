"""Dates and times as a Belgian reader expects them: the first of a month written « 1er »,
instants shown in Brussels time (the server keeps UTC), a day that changes at local midnight."""

from __future__ import annotations

import datetime as dt

from tremplin.french import french_date, french_day
from web.templating import french_date as page_date
from web.templating import hour, local_date


def test_the_first_of_the_month_is_written_1er() -> None:
    assert french_date(dt.date(2026, 11, 1)) == "1er novembre 2026"
    assert french_date(dt.date(2026, 11, 2)) == "2 novembre 2026"
    assert french_day(dt.date(2026, 12, 1)) == "mardi 1er décembre 2026"


def test_instants_are_shown_in_brussels_time() -> None:
    winter = dt.datetime(2026, 12, 7, 2, 53, tzinfo=dt.UTC)
    assert hour(winter) == "3 h 53"  # UTC+1 in winter
    summer = dt.datetime(2026, 7, 1, 7, 5)  # stored without a zone: UTC
    assert hour(summer) == "9 h 05"  # UTC+2 in summer
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert local_date(late) == dt.date(2026, 12, 1) and page_date(late) == "1er décembre 2026"
    assert hour(dt.time(9, 30)) == "9 h 30" and local_date(dt.date(2026, 1, 5)).day == 5
