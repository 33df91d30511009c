"""Read CSV, JSON Lines and Parquet files into flat string tables with line numbers."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


class FileFormatError(ValueError):
    """The file cannot be read at all; the message says what to fix."""


@dataclass
class RawTable:
    """Rows as a DataFrame of flat dotted columns, each row's line number, and bad lines."""

    rows: pd.DataFrame
    lines: list[int]
    unreadable: list[tuple[int, str]]


SUPPORTED = (".csv", ".jsonl", ".ndjson", ".parquet")


def decode_text(path: Path) -> str:
    """The file's text (UTF-8, with or without BOM); a French message when it is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            f"{path.name} n'est pas encodé en UTF-8 (octet invalide ligne {line}). "
            f"Convertissez-le, par ex. : iconv -f WINDOWS-1252 -t UTF-8 {path.name} > {path.stem}-utf8{path.suffix} "
            f"/ file is not UTF-8 encoded"
        ) from exc


def _read_csv(path: Path) -> RawTable:
    text = decode_text(path)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError(f"{path.name} est vide / file is empty") from None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise FileFormatError(
            f"{path.name} : colonnes en double dans l'en-tête / duplicate header columns"
        )
    records: list[list[str]] = []
    lines: list[int] = []
    unreadable: list[tuple[int, str]] = []
    line = reader.line_num
    for row in reader:
        start = line + 1
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            unreadable.append(
                (start, f"{len(row)} cellules au lieu de {len(header)} / wrong number of cells")
            )
            continue
        records.append(row)
        lines.append(start)
    frame = pd.DataFrame(records, columns=header, dtype=object)
    return RawTable(frame.where(frame != "", None), lines, unreadable)


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> Any:
    """JSON scalars → strings as in CSV, so both formats pass the same checks."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def records_table(
    records: list[dict[str, Any]], lines: list[int], unreadable: list[tuple[int, str]]
) -> RawTable:
    """Nested records (one per line number) as the flat table every reader returns."""
    flat = [{k: _cell(v) for k, v in _flatten(obj).items()} for obj in records]
    return RawTable(
        pd.DataFrame.from_records(flat, coerce_float=False).astype(object), lines, unreadable
    )


def _read_jsonl(path: Path) -> RawTable:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    unreadable: list[tuple[int, str]] = []
    for number, raw in enumerate(decode_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            unreadable.append(
                (number, f"JSON invalide : {exc.msg} (colonne {exc.colno}) / invalid JSON")
            )
            continue
        if not isinstance(obj, dict):
            unreadable.append(
                (number, "un objet JSON par ligne est attendu / one JSON object per line")
            )
            continue
        records.append(obj)
        lines.append(number)
    return records_table(records, lines, unreadable)


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise FileFormatError(
            f"{path.name} n'est pas un fichier Parquet lisible : {exc} / unreadable Parquet"
        ) from exc
    records = [
        {k: _cell(v) for k, v in _flatten({str(c): v for c, v in r.items()}).items()}
        for r in frame.to_dict("records")
    ]
    table = pd.DataFrame.from_records(records, columns=None).astype(object)
    table = table.where(table.notna(), None)
    return RawTable(table, list(range(1, len(records) + 1)), [])


def read_table(path: Path) -> RawTable:
    """Read a CSV (``,`` ``;`` or tab), JSON Lines or Parquet file into a flat table."""
    if not path.is_file():
        raise FileFormatError(f"fichier introuvable : {path} / file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise FileFormatError(
        f"format non reconnu « {suffix} » : utilisez .csv, .jsonl ou .parquet / unsupported format"
    )
