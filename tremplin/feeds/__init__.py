"""Connectors for the feeds a Maison de l'emploi actually has: France Travail's API JSON and
Le Forem's open-data offers, read into the same flat rows as the project's own files, so one
validation, one row-level report and one all-or-nothing rule apply to every format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from data_contracts.readers import RawTable, read_table, records_table
from tremplin.feeds import forem, france_travail
from tremplin.feeds.common import AdText, RecordError, feed_records
from tremplin.taxonomy import Taxonomy, load_taxonomy


class FeedFormat(StrEnum):
    """How an opportunity file is laid out."""

    TABLE = "table"  # the contract's own columns: CSV, JSON Lines, Parquet
    FRANCE_TRAVAIL = "france-travail"
    FOREM = "forem"


FEED_SUFFIXES = (".json", ".jsonl", ".ndjson")


def feed_rows(
    path: Path,
    feed: FeedFormat,
    today: dt.date,
    taxonomy: Taxonomy | None = None,
    keep_codes: bool = True,
) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """(line, nested opportunity row) for each record of a France Travail or Forem file, or
    (line, the error that says why the record cannot be read)."""
    tax = taxonomy or load_taxonomy()
    keys = france_travail.LIST_KEYS if feed is FeedFormat.FRANCE_TRAVAIL else forem.LIST_KEYS
    for line, record in feed_records(path, keys):
        if isinstance(record, RecordError):
            yield line, record
            continue
        if not isinstance(record, dict):
            yield line, RecordError("une offre doit être un objet JSON")
            continue
        try:
            if feed is FeedFormat.FRANCE_TRAVAIL:
                yield line, france_travail.opportunity_row(record, tax, keep_codes)
            else:
                yield line, forem.opportunity_row(record, tax, today, keep_codes)
        except RecordError as exc:
            yield line, exc


_MARKS = {  # fields only one layout has
    FeedFormat.FRANCE_TRAVAIL: ("intitule", "romeCode", "lieuTravail", "typeContrat"),
    FeedFormat.FOREM: ("numerooffreforem", "titreoffre", "metiercodedimeco", "typecontrat"),
}


def detect_format(path: Path) -> FeedFormat:
    """The layout of an opportunity file, read from its first record: a France Travail or
    Forem feed by their own field names, else the project's columns."""
    if path.suffix.lower() not in FEED_SUFFIXES:
        return FeedFormat.TABLE
    keys = (*france_travail.LIST_KEYS, *forem.LIST_KEYS)
    try:
        first = next((r for _, r in feed_records(path, keys) if isinstance(r, dict)), None)
    except ValueError:
        return FeedFormat.TABLE  # let the table reader say what is wrong
    if first is None:
        return FeedFormat.TABLE
    inner = first.get("fields")
    fields: dict[str, Any] = inner if isinstance(inner, dict) else first
    for feed, marks in _MARKS.items():
        if any(m in fields for m in marks):
            return feed
    return FeedFormat.TABLE


def ad_texts(path: Path, feed: FeedFormat) -> Iterator[tuple[int, AdText | RecordError]]:
    """(line, the ad's id, title, description and date) for each record of a France Travail
    or Forem file — whatever codes, contract or place it carries — or (line, why not)."""
    if feed is FeedFormat.TABLE:
        raise ValueError("ad texts are read from a France Travail or Forem feed")
    module = france_travail if feed is FeedFormat.FRANCE_TRAVAIL else forem
    for line, record in feed_records(path, module.LIST_KEYS):
        if isinstance(record, RecordError):
            yield line, record
        elif not isinstance(record, dict):
            yield line, RecordError("une offre doit être un objet JSON")
        else:
            try:
                yield line, module.ad_text(record)
            except RecordError as exc:
                yield line, exc


def read_opportunities(
    path: Path, feed: FeedFormat, today: dt.date, taxonomy: Taxonomy | None = None
) -> RawTable:
    """The flat table of an opportunity file in any format (records a connector cannot read
    are reported as unreadable lines, with the connector's French reason)."""
    if feed is FeedFormat.TABLE:
        return read_table(path)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    unreadable: list[tuple[int, str]] = []
    for line, row in feed_rows(path, feed, today, taxonomy):
        if isinstance(row, RecordError):
            unreadable.append((line, str(row)))
        else:
            records.append(row)
            lines.append(line)
    return records_table(records, lines, unreadable)


__all__ = [
    "FEED_SUFFIXES",
    "AdText",
    "FeedFormat",
    "RecordError",
    "ad_texts",
    "detect_format",
    "feed_rows",
    "read_opportunities",
]
