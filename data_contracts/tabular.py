"""Tabular (CSV / JSON Lines / Parquet) form of the contracts, derived from the models.

A contract is flattened to dotted columns (``location.postcode``, ``prerequisites.french_level``).
Lists of plain values and of skills are written as ``;``-separated tokens (or a JSON array);
lists of other objects as a JSON array in the cell. The pandera schema that checks a
table — required columns, no unknown column, enum values, number bounds, formats — is
built from the pydantic model by walking its fields, so the two cannot drift apart; each
row that passes is then validated by the model itself for cross-field rules.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import annotated_types
import pandas as pd
import pandera.pandas as pa
from pydantic import BaseModel, BeforeValidator, ValidationError

from data_contracts.models import Contract, SkillRef

ColumnKind = Literal["scalar", "list", "skills", "json"]
LIST_SEPARATOR = re.compile(r"\s*[;|]\s*")
BLANKS = " \t\r\n"  # what makes a cell empty (the models strip the rest themselves)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One flat column of a contract's tabular form."""

    name: str
    required: bool
    kind: ColumnKind
    enum_values: tuple[str, ...] | None = None
    number: Literal["int", "float"] | None = None
    lower: float | None = None
    upper: float | None = None
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one row: its line in the file, the column and what to fix."""

    line: int
    field: str
    message: str
    value: str | None = None

    def render(self) -> str:
        """One human line: ``ligne 12, location.postcode : … (valeur: '9999')``."""
        shown = f" (valeur : {self.value!r})" if self.value not in (None, "") else ""
        return f"ligne {self.line}, {self.field} : {self.message}{shown}"


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip Optional and Annotated; return (core type, Annotated metadata)."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata.extend(extra)
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, metadata
            annotation = args[0]
        else:
            return annotation, metadata


def _scalar_spec(
    name: str, required: bool, core: Any, metadata: list[Any], kind: ColumnKind
) -> ColumnSpec:
    enum_values = (
        tuple(m.value for m in core) if isinstance(core, type) and issubclass(core, Enum) else None
    )
    number: Literal["int", "float"] | None = None
    # A field that normalises its own input (e.g. "B-4000") is left to pydantic to check.
    if not any(isinstance(m, BeforeValidator) for m in metadata):
        if core is int:
            number = "int"
        elif core is float:
            number = "float"
    lower = upper = None
    pattern = None
    # StringConstraints / FieldInfo carry their own constraints in a nested ``metadata``.
    constraints = [c for m in metadata for c in (m, *(getattr(m, "metadata", None) or []))]
    for c in constraints:
        if isinstance(c, annotated_types.Ge | annotated_types.Gt):
            lower = float(getattr(c, "ge", getattr(c, "gt", 0)))
        elif isinstance(c, annotated_types.Le | annotated_types.Lt):
            upper = float(getattr(c, "le", getattr(c, "lt", 0)))
        elif getattr(c, "pattern", None):
            pattern = str(c.pattern)
    return ColumnSpec(name, required, kind, enum_values, number, lower, upper, pattern)


def flat_columns(
    model: type[BaseModel], prefix: str = "", parent_required: bool = True
) -> list[ColumnSpec]:
    """The flat columns of ``model``'s tabular form, in field order."""
    specs: list[ColumnSpec] = []
    for field_name, info in model.model_fields.items():
        name = f"{prefix}{field_name}"
        required = parent_required and info.is_required()
        core, metadata = _unwrap(info.annotation)
        metadata = [*metadata, *info.metadata]
        if isinstance(core, type) and issubclass(core, BaseModel):
            specs.extend(flat_columns(core, f"{name}.", required))
            continue
        if typing.get_origin(core) is list:
            item, item_meta = _unwrap(typing.get_args(core)[0])
            if isinstance(item, type) and issubclass(item, SkillRef):
                specs.append(ColumnSpec(name, required, "skills"))
            elif isinstance(item, type) and issubclass(item, BaseModel):
                specs.append(ColumnSpec(name, required, "json"))
            else:
                specs.append(_scalar_spec(name, required, item, item_meta, "list"))
            continue
        specs.append(_scalar_spec(name, required, core, metadata, "scalar"))
    return specs


def split_list(value: Any) -> list[Any]:
    """Cell → list: a JSON array, ``;``/``|``-separated tokens, or an actual list."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if hasattr(value, "tolist"):
        return list(value.tolist())
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        parsed = json.loads(text)
        if not isinstance(parsed, list):
            raise ValueError("tableau JSON attendu / JSON array expected")
        return parsed
    return [t for t in LIST_SEPARATOR.split(text) if t]


def _is_number(value: Any, spec: ColumnSpec) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if spec.number == "int" and not number.is_integer():
        return False
    if spec.lower is not None and number < spec.lower:
        return False
    return not (spec.upper is not None and number > spec.upper)


def _element_check(spec: ColumnSpec) -> tuple[Callable[[Any], bool], str] | None:
    """A per-value check for a column, with its French/English explanation."""
    if spec.enum_values is not None:
        allowed = set(spec.enum_values)
        hint = ", ".join(spec.enum_values)
        return (
            lambda v: str(v).strip() in allowed
        ), f"valeur non permise ; valeurs permises : {hint}"
    if spec.number is not None:
        bounds = (
            f"entre {spec.lower:g} et {spec.upper:g}"
            if spec.lower is not None and spec.upper is not None
            else ""
        )
        kind = "entier" if spec.number == "int" else "nombre"
        return (
            lambda v: _is_number(v, spec)
        ), f"{kind} attendu {bounds} / {spec.number} expected".replace("  ", " ")
    if spec.pattern is not None:
        regex = re.compile(spec.pattern)
        return (
            lambda v: bool(regex.match(str(v).strip()))
        ), f"format invalide (attendu : {spec.pattern})"
    return None


def pandera_schema(model: type[Contract]) -> pa.DataFrameSchema:
    """The pandera schema of ``model``'s tabular form (strict: unknown columns fail)."""
    columns: dict[str, pa.Column] = {}
    for spec in flat_columns(model):
        checks = []
        element = _element_check(spec)
        if element is not None and spec.kind == "scalar":
            fn, message = element
            checks.append(pa.Check(fn, element_wise=True, ignore_na=True, name=message))
        elif element is not None and spec.kind == "list":
            fn, message = element

            def list_ok(cell: Any, fn: Callable[[Any], bool] = fn) -> bool:
                try:
                    return all(fn(v) for v in split_list(cell))
                except ValueError:
                    return False

            checks.append(pa.Check(list_ok, element_wise=True, ignore_na=True, name=message))
        columns[spec.name] = pa.Column(
            object, checks=checks, nullable=not spec.required, required=spec.required, coerce=False
        )
    return pa.DataFrameSchema(columns, strict=True, name=model.__name__)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and pd.isna(value):
        return False
    return not (isinstance(value, str) and value.strip(BLANKS) == "")


def unflatten(row: Mapping[str, Any], specs: Iterable[ColumnSpec]) -> dict[str, Any]:
    """Dotted flat row → nested dict for the pydantic model (empty cells are omitted)."""
    nested: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in row or (not _present(row[spec.name]) and spec.kind == "scalar"):
            continue
        value = row[spec.name]
        if spec.kind in ("list", "skills", "json"):
            value = split_list(value)
            if not value and not spec.required:
                continue
        target = nested
        *parents, leaf = spec.name.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = value
    return nested


_PANDERA_MESSAGES = {
    "not_nullable": "valeur obligatoire manquante / required value missing",
    "column_in_dataframe": "colonne obligatoire absente : ajoutez-la / required column missing",
    "column_in_schema": "colonne inconnue : retirez-la ou renommez-la / unknown column",
}

SkillResolver = Callable[[str], str | None]
"""Maps a user-given skill token (ROME code, ESCO URI, French label) to a skill id, or None."""


@dataclass
class TableValidation:
    """Valid contracts with their lines, and every row error found."""

    valid: list[tuple[int, Contract]]
    errors: list[RowError]
    file_errors: list[str]
    total_rows: int


def _resolve_skills(
    payload: dict[str, Any], specs: list[ColumnSpec], resolve: SkillResolver, line: int
) -> list[RowError]:
    errors: list[RowError] = []
    for spec in specs:
        if spec.kind != "skills":
            continue
        *parents, leaf = spec.name.split(".")
        holder: Any = payload
        for p in parents:
            holder = holder.get(p, {}) if isinstance(holder, dict) else {}
        if not isinstance(holder, dict) or leaf not in holder:
            continue
        resolved = []
        for item in holder[leaf]:
            token = item.get("id") if isinstance(item, dict) else item
            skill_id = resolve(str(token)) if token is not None else None
            if skill_id is None:
                errors.append(
                    RowError(
                        line,
                        spec.name,
                        "compétence inconnue : donnez un code ROME (ex. 100023), une URI ESCO ou "
                        "un libellé exact du référentiel / unknown skill",
                        str(token),
                    )
                )
                continue
            resolved.append({**item, "id": skill_id} if isinstance(item, dict) else skill_id)
        holder[leaf] = resolved
    return errors


PYDANTIC_MESSAGES = {  # pydantic's own words for the commonest problems, in French
    "missing": "valeur obligatoire manquante : ajoutez-la",
    "date_parsing": "date illisible : écrivez-la AAAA-MM-JJ",
    "date_from_datetime_parsing": "date illisible : écrivez-la AAAA-MM-JJ",
    "int_parsing": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "string_pattern_mismatch": "format non reconnu",
    "string_too_short": "texte vide : complétez-le",
}


def _pydantic_errors(exc: ValidationError, line: int, row: Mapping[str, Any]) -> list[RowError]:
    errors = []
    for err in exc.errors():
        path = [str(p) for p in err["loc"] if not isinstance(p, int)]
        field = ".".join(path) or "(ligne)"
        message = PYDANTIC_MESSAGES.get(err["type"]) or str(err["msg"]).removeprefix(
            "Value error, "
        )
        value = row.get(field)
        errors.append(RowError(line, field, message, None if value is None else str(value)))
    return errors


def validate_table(
    rows: pd.DataFrame,
    lines: list[int],
    model: type[Contract],
    resolve_skill: SkillResolver | None = None,
) -> TableValidation:
    """Validate a table of flat rows against ``model``; report every bad row.

    ``lines`` gives each row's line number in the source file. Rows are checked by the
    derived pandera schema, then by the model; duplicate ids are errors too.
    """
    specs = flat_columns(model)
    errors: list[RowError] = []
    file_errors: list[str] = []
    bad_rows: set[int] = set()
    try:
        pandera_schema(model).validate(rows, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for case in exc.failure_cases.to_dict("records"):
            check = str(case["check"])
            message = _PANDERA_MESSAGES.get(check, check)
            if check in ("column_in_schema", "column_in_dataframe"):
                file_errors.append(f"{case['failure_case']} : {message}")
                continue
            idx = case["index"]
            if idx is None or (isinstance(idx, float) and pd.isna(idx)):
                file_errors.append(f"{case['column']} : {message}")
                continue
            pos = int(idx)
            bad_rows.add(pos)
            value = case["failure_case"]
            errors.append(
                RowError(
                    lines[pos], str(case["column"]), message, None if pd.isna(value) else str(value)
                )
            )
    if file_errors:
        return TableValidation([], errors, file_errors, len(rows))

    valid: list[tuple[int, Contract]] = []
    first_line_of_id: dict[str, int] = {}
    for pos, raw_record in enumerate(rows.to_dict("records")):
        record = {str(k): v for k, v in raw_record.items()}
        if pos in bad_rows:
            continue
        line = lines[pos]
        try:
            payload = unflatten(record, specs)
        except (ValueError, json.JSONDecodeError) as exc:
            errors.append(RowError(line, "(ligne)", f"liste ou JSON illisible : {exc}"))
            continue
        if resolve_skill is not None:
            skill_errors = _resolve_skills(payload, specs, resolve_skill, line)
            if skill_errors:
                errors.extend(skill_errors)
                continue
        try:
            contract = model.model_validate(payload)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(exc, line, record))
            continue
        key = str(getattr(contract, "id", pos))
        if key in first_line_of_id:
            errors.append(
                RowError(
                    line,
                    "id",
                    f"identifiant en double (déjà ligne {first_line_of_id[key]}) / duplicate id",
                    key,
                )
            )
            continue
        first_line_of_id[key] = line
        valid.append((line, contract))
    errors.sort(key=lambda e: e.line)
    return TableValidation(valid, errors, file_errors, len(rows))


def to_flat_row(contract: Contract) -> dict[str, str]:
    """A contract as one flat tabular row (the inverse of :func:`unflatten`).

    Lists of plain values are ``;``-joined; lists of objects (skills included) are JSON
    arrays so that no detail is lost; absent values are left out.
    """
    row: dict[str, str] = {}
    data = contract.model_dump(mode="json", exclude_none=True)
    for spec in flat_columns(type(contract)):
        value: Any = data
        for part in spec.name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        if isinstance(value, list):
            if not value:
                continue
            plain = all(isinstance(v, str | int | float) for v in value)
            row[spec.name] = (
                ";".join(str(v) for v in value)
                if plain and spec.kind == "list"
                else json.dumps(value, ensure_ascii=False)
            )
        elif isinstance(value, bool):
            row[spec.name] = "true" if value else "false"
        else:
            row[spec.name] = str(value)
    return row
