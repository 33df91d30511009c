"""Deterministic sample data for the Liège basin and Brussels (see docs/sample-data.md).

Everything is drawn from one seeded ``random.Random``; iteration is over sorted
sequences only, so the same seed gives byte-identical files on any machine. Outcome
events come from a hidden ground-truth suitability model (:func:`suitability`) that the
matching engine never sees; behind ``employer_bias`` some employers discriminate against
one group, so that fairness monitoring can be shown to catch it.

Modules: :mod:`.draw` (seeded draws, the result), :mod:`.offers`, :mod:`.people`,
:mod:`.truth` (the hidden suitability model), :mod:`.outcomes`, :mod:`.seasons` (job days,
vacancies); this one puts them together and writes the files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data_contracts.enums import (
    EmployerKind,
    OpportunityKind,
)
from tremplin.sample.catalogue import (
    CPAS,
)
from tremplin.sample.draw import REFERENCE_DATE, Draw, SampleData
from tremplin.sample.offers import draw_employers, draw_opportunity
from tremplin.sample.outcomes import draw_outcomes
from tremplin.sample.people import draw_beneficiary
from tremplin.sample.seasons import draw_job_day, draw_themed_job_days, draw_vacancies
from tremplin.sample.truth import BIASED_SHARE
from tremplin.taxonomy import load_taxonomy


def generate(
    seed: int = 42,
    n_opportunities: int = 3000,
    n_beneficiaries: int = 800,
    employer_bias: bool = False,
) -> SampleData:
    """Generate the whole sample deterministically from ``seed``."""
    tax = load_taxonomy()
    d = Draw(seed)
    employers = draw_employers(d)
    n_jobs = round(n_opportunities * 0.70)
    n_internships = round(n_opportunities * 0.15)
    kinds = (
        [OpportunityKind.JOB_OFFER] * n_jobs
        + [OpportunityKind.INTERNSHIP] * n_internships
        + [OpportunityKind.TRAINING] * (n_opportunities - n_jobs - n_internships)
    )
    opportunities = [
        draw_opportunity(d, tax, i + 1, kind, employers) for i, kind in enumerate(kinds)
    ]
    beneficiaries = [draw_beneficiary(d, tax, i + 1) for i in range(n_beneficiaries)]
    hiring = sorted({e.id for e in employers if e.kind is not EmployerKind.TRAINING_PROVIDER})
    biased = set(d.some(hiring, round(len(hiring) * BIASED_SHARE))) if employer_bias else set()
    outcomes, truth = draw_outcomes(d, tax, beneficiaries, opportunities, biased)
    cpas = [{"id": c[0], "name": c[1], "postcode": c[2]} for c in CPAS]
    job_days = [draw_job_day(d, employers, opportunities)]
    more = Draw(seed + 1)  # later additions draw apart: the rest of the sample is unchanged
    job_days += draw_themed_job_days(more, employers, opportunities)
    return SampleData(
        cpas,
        employers,
        opportunities,
        beneficiaries,
        job_days,
        outcomes,
        vacancies=draw_vacancies(more, employers, opportunities),
        ground_truth=truth,
        biased_employers=sorted(biased),
    )


def _write_jsonl(path: Path, items: Sequence[Any]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            data = (
                item.model_dump(mode="json", exclude_none=True)
                if hasattr(item, "model_dump")
                else item
            )
            fh.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")


def write_sample(data: SampleData, out: Path, seed: int, employer_bias: bool) -> dict[str, Any]:
    """Write the sample as JSON Lines files plus a manifest with counts and checksums."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Sequence[Any]] = {
        "cpas.jsonl": data.cpas,
        "employers.jsonl": data.employers,
        "opportunities.jsonl": data.opportunities,
        "beneficiaries.jsonl": data.beneficiaries,
        "job_days.jsonl": data.job_days,
        "outcomes.jsonl": data.outcomes,
        "vacancies.jsonl": data.vacancies,
        "ground_truth.jsonl": [
            {"beneficiary_id": b, "opportunity_id": o, "suitability": s}
            for b, o, s in data.ground_truth
        ],
    }
    manifest: dict[str, Any] = {
        "seed": seed,
        "employer_bias": employer_bias,
        "biased_employers": data.biased_employers,
        "reference_date": REFERENCE_DATE.isoformat(),
        "files": {},
    }
    for name, items in files.items():
        path = out / name
        _write_jsonl(path, items)
        manifest["files"][name] = {
            "rows": len(items),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest
