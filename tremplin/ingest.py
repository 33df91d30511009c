"""File import: read → validate every row → resolve skills → check references → upsert.

A file with any bad row stores nothing, unless ``skip_invalid`` is set, in which case the
good rows are stored and the bad ones reported. Storing happens in one transaction, so
a failure leaves the database as it was. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from data_contracts.models import (
    BeneficiaryProfile,
    Contract,
    Employer,
    JobDay,
    Opportunity,
    OutcomeEvent,
    Vacancy,
)
from data_contracts.readers import FileFormatError, read_table
from data_contracts.tabular import RowError, validate_table
from tremplin.feeds import FeedFormat, read_opportunities
from tremplin.provenance import record_generator_load
from tremplin.store import repository as repo
from tremplin.store.db import transaction
from tremplin.taxonomy import load_taxonomy


class ImportKind(StrEnum):
    """What a file holds."""

    OPPORTUNITIES = "opportunities"
    BENEFICIARIES = "beneficiaries"
    EMPLOYERS = "employers"
    JOB_DAYS = "job_days"
    OUTCOMES = "outcomes"
    VACANCIES = "vacancies"


MODELS: dict[ImportKind, type[Contract]] = {
    ImportKind.OPPORTUNITIES: Opportunity,
    ImportKind.BENEFICIARIES: BeneficiaryProfile,
    ImportKind.EMPLOYERS: Employer,
    ImportKind.JOB_DAYS: JobDay,
    ImportKind.OUTCOMES: OutcomeEvent,
    ImportKind.VACANCIES: Vacancy,
}

UPSERTS: dict[ImportKind, Callable[[Session, Sequence[Any]], repo.UpsertCounts]] = {
    ImportKind.OPPORTUNITIES: repo.upsert_opportunities,
    ImportKind.BENEFICIARIES: repo.upsert_beneficiaries,
    ImportKind.EMPLOYERS: repo.upsert_employers,
    ImportKind.JOB_DAYS: repo.upsert_job_days,
    ImportKind.OUTCOMES: repo.upsert_outcomes,
    ImportKind.VACANCIES: repo.upsert_vacancies,
}


class InferredOccupation(BaseModel):
    """The ROME métier read from a stored offer that came without one."""

    id: str
    title: str
    code: str | None = Field(description="The most probable métier, if any is likely.")
    label: str | None = None
    appellation: str | None = None
    probability: float = Field(ge=0.0, le=1.0)


class ImportReport(BaseModel):
    """What an import did: counts, and every problem with its line and fix."""

    file: str
    kind: ImportKind
    total_rows: int
    valid_rows: int
    stored: bool
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    file_errors: list[str] = []
    row_errors: list[str] = []
    coded: list[InferredOccupation] = Field(
        default=[], description="Stored offers without a ROME code: the métier read in the ad."
    )
    uncoded_ids: list[str] = Field(default=[], exclude=True)  # filled by the import, for coding

    @property
    def ok(self) -> bool:
        """True when nothing was wrong with the file."""
        return not self.file_errors and not self.row_errors


def resolve_skill_id(token: str) -> str | None:
    """Taxonomy-backed resolver for skill tokens (ROME code, ESCO URI, French label)."""
    resolution = load_taxonomy().resolve_skill(token)
    return resolution.skill.id if resolution.skill else None


def _reference_errors(
    session: Session, kind: ImportKind, valid: list[tuple[int, Contract]]
) -> list[RowError]:
    errors: list[RowError] = []
    tenants = repo.known_cpas(session)
    if kind in (ImportKind.BENEFICIARIES, ImportKind.OUTCOMES):
        for line, c in valid:
            cpas_id = getattr(c, "cpas_id", None)
            if cpas_id not in tenants:
                errors.append(
                    RowError(
                        line,
                        "cpas_id",
                        "CPAS inconnu : créez-le avec « tremplin cpas add » / unknown CPAS",
                        cpas_id,
                    )
                )
    if kind is ImportKind.OUTCOMES:
        people, offers = repo.outcome_reference_ids(session)
        for line, c in valid:
            assert isinstance(c, OutcomeEvent)
            if (c.cpas_id, c.beneficiary_id) not in people:
                errors.append(
                    RowError(
                        line,
                        "beneficiary_id",
                        "bénéficiaire inconnu dans ce CPAS / unknown beneficiary",
                        c.beneficiary_id,
                    )
                )
            if c.opportunity_id not in offers:
                errors.append(
                    RowError(
                        line,
                        "opportunity_id",
                        "opportunité inconnue / unknown opportunity",
                        c.opportunity_id,
                    )
                )
    if kind is ImportKind.OPPORTUNITIES:
        for line, c in valid:
            assert isinstance(c, Opportunity)
            if c.reserved_for_cpas and c.reserved_for_cpas not in tenants:
                errors.append(
                    RowError(
                        line,
                        "reserved_for_cpas",
                        "CPAS inconnu / unknown CPAS",
                        c.reserved_for_cpas,
                    )
                )
    return errors


def import_file(
    path: Path,
    kind: ImportKind,
    factory: sessionmaker[Session],
    skip_invalid: bool = False,
    feed: FeedFormat = FeedFormat.TABLE,
    today: dt.date | None = None,
    enrich: Callable[[Contract], Contract] | None = None,
) -> ImportReport:
    """Validate and store a CSV / JSON Lines / Parquet file of ``kind`` (see module doc), or
    a France Travail / Forem feed of opportunities (``feed``; ``today`` decides which of a
    feed's offers have expired). ``enrich`` completes each valid row before it is stored (the
    services read the skills an ad names when it lists none)."""
    if feed is not FeedFormat.TABLE and kind is not ImportKind.OPPORTUNITIES:
        raise FileFormatError(
            f"le format « {feed.value} » ne sert qu'aux offres : importez les {kind.value} "
            "en CSV, JSON Lines ou Parquet"
        )
    if feed is FeedFormat.TABLE:
        raw = read_table(path)
    else:
        if today is None:
            raise ValueError("a feed import needs today's date")
        raw = read_opportunities(path, feed, today)
    validation = validate_table(raw.rows, raw.lines, MODELS[kind], resolve_skill=resolve_skill_id)
    errors = [
        RowError(line, "(ligne)", message) for line, message in raw.unreadable
    ] + validation.errors
    report = ImportReport(
        file=str(path),
        kind=kind,
        total_rows=len(raw.lines) + len(raw.unreadable),
        valid_rows=0,
        stored=False,
        file_errors=validation.file_errors,
    )
    if validation.file_errors:
        report.row_errors = [e.render() for e in errors]
        return report
    with transaction(factory) as session:
        ref_errors = _reference_errors(session, kind, validation.valid)
        bad_lines = {e.line for e in ref_errors}
        errors = sorted(errors + ref_errors, key=lambda e: e.line)
        good = [c for line, c in validation.valid if line not in bad_lines]
        report.valid_rows = len(good)
        report.row_errors = [e.render() for e in errors]
        if errors and not skip_invalid:
            return report
        if enrich is not None:
            good = [enrich(c) for c in good]
        counts = UPSERTS[kind](session, good)
    report.stored = True
    report.uncoded_ids = [
        c.id for c in good if isinstance(c, Opportunity) and not c.occupation.rome_code
    ]
    report.inserted, report.updated, report.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    return report


SAMPLE_FILES = (
    (ImportKind.EMPLOYERS, "employers"),
    (ImportKind.OPPORTUNITIES, "opportunities"),
    (ImportKind.BENEFICIARIES, "beneficiaries"),
    (ImportKind.JOB_DAYS, "job_days"),
    (ImportKind.OUTCOMES, "outcomes"),
    (ImportKind.VACANCIES, "vacancies"),
)


def load_sample_dir(directory: Path, factory: sessionmaker[Session]) -> list[ImportReport]:
    """Load a sample folder (``tremplin sample generate``): CPAS first, then every file.

    Stops at the first file that is refused (its report is the last one returned); when every
    file is stored, records the load as the generator's (:mod:`tremplin.provenance`).
    """
    import json

    with transaction(factory) as session:
        for line in (directory / "cpas.jsonl").read_text(encoding="utf-8").splitlines():
            c = json.loads(line)
            repo.ensure_cpas(session, c["id"], c["name"], c.get("postcode"))
    reports = []
    for kind, name in SAMPLE_FILES:
        report = import_file(directory / f"{name}.jsonl", kind, factory)
        reports.append(report)
        if not report.stored:
            return reports
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    with transaction(factory) as session:
        record_generator_load(session, manifest)
    return reports
