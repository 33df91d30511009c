"""Where the stored data came from: the sample generator's loads are recorded, so that a
measure against its hidden truth is only taken on the generator's own data.

The generator's "hidden suitability" is the formula it drew outcomes from. On any other data
(real outcomes, or the sample with events added since) it is not a truth at all, and a gate
verdict computed against it would be meaningless: :func:`check_generator_store` refuses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tremplin.errors import InvalidRequestError
from tremplin.store.models import DatasetProvenanceRow, OutcomeEventRow

GENERATOR = "tremplin-sample-generator"


class NotGeneratorDataError(InvalidRequestError):
    """The store does not hold exactly the outcomes the sample generator loaded."""


def outcomes_digest(session: Session) -> tuple[int, str]:
    """How many outcome events are stored, and a digest of them (ids, types, times)."""
    h = hashlib.sha256()
    count = 0
    rows = session.execute(
        select(
            OutcomeEventRow.cpas_id,
            OutcomeEventRow.external_id,
            OutcomeEventRow.type,
            OutcomeEventRow.occurred_at,
        ).order_by(OutcomeEventRow.cpas_id, OutcomeEventRow.external_id)
    )
    for cpas, external, kind, at in rows:
        h.update(f"{cpas}|{external}|{kind}|{at.isoformat()};".encode())
        count += 1
    return count, h.hexdigest()


def record_generator_load(session: Session, manifest: dict[str, Any]) -> None:
    """Record that the generator's sample (``manifest``) was loaded, with the events' digest."""
    count, digest = outcomes_digest(session)
    session.add(
        DatasetProvenanceRow(
            source=GENERATOR,
            loaded_at=dt.datetime.now(dt.UTC),
            manifest={k: manifest.get(k) for k in ("seed", "employer_bias", "reference_date")},
            outcomes=count,
            outcomes_digest=digest,
        )
    )


def check_generator_store(session: Session) -> DatasetProvenanceRow:
    """The generator's load record, if the store holds exactly the events it loaded; else
    :class:`NotGeneratorDataError` saying what differs."""
    row = session.scalars(
        select(DatasetProvenanceRow)
        .where(DatasetProvenanceRow.source == GENERATOR)
        .order_by(DatasetProvenanceRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotGeneratorDataError(
            "--hidden-truth ne vaut que sur l'échantillon du générateur (tremplin sample load) : "
            "ces données n'en viennent pas / the hidden truth exists only for the generator's "
            "sample; this store was not loaded from it"
        )
    count, digest = outcomes_digest(session)
    if digest != row.outcomes_digest:
        raise NotGeneratorDataError(
            f"--hidden-truth : le magasin contient {count} résultats, l'échantillon chargé en "
            f"avait {row.outcomes} et d'autres ont changé ou été ajoutés depuis ; la vérité "
            "cachée ne dit rien d'eux / the stored outcomes are no longer the generator's"
        )
    return row
