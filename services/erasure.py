"""Erasure (GDPR art. 17): a person removed from every store, caches included.

The database rows (profile, monitoring data, outcomes, shortlist history) go in one
transaction with the audit record, which keeps only a pseudonym. Then what was derived from the
person's free text leaves the caches: the persistent embedding cache's vectors of their query
texts (all encoder versions), and the in-memory query vectors and wish links (emptied whole:
they are caches, and a per-text removal would have to reproduce every text ever derived).
"""

from __future__ import annotations

from data_contracts.models import BeneficiaryProfile
from matching.embedding_cache import EmbeddingCache
from matching.encoder import forget_queries
from matching.engine import cache_path
from matching.profile import ProfileView
from services.context import ServiceContext
from services.schemas import ErasureReport
from services.tenancy import acting_cpas, beneficiary_not_found
from tremplin import audit
from tremplin.actors import Principal
from tremplin.store import repository as repo
from tremplin.store.db import scrub_sqlite_journal
from tremplin.taxonomy import load_taxonomy


def erase_beneficiary(
    ctx: ServiceContext, actor: Principal, beneficiary_id: str, request_id: str
) -> ErasureReport:
    """Erase one of the actor's CPAS's beneficiaries everywhere; audited by pseudonym."""
    cpas = acting_cpas(actor)
    subject = audit.pseudonym(ctx.pseudonym_key, cpas, beneficiary_id)
    with ctx.transaction() as session:
        profile = repo.get_beneficiary(session, cpas, beneficiary_id)
        removed = repo.erase_beneficiary(session, cpas, beneficiary_id)
        if removed is None or profile is None:
            raise beneficiary_not_found()
        audit.record(
            session,
            actor,
            request_id,
            audit.AuditAction.ERASURE,
            tenant=cpas,
            subject=subject,
            inputs=removed,
        )
    scrub_sqlite_journal(ctx.factory)
    forget_person(ctx, profile)
    return ErasureReport(
        beneficiary_removed=True,
        shortlists_removed=removed["shortlists"],
        outcomes_removed=removed["outcomes"],
        audit_subject=subject,
    )


def derived_texts(ctx: ServiceContext, profile: BeneficiaryProfile) -> set[str]:
    """The texts derived from a person that the engine may have encoded: the parts of their
    dense query and what the linker and the ad coder read (as the served engine reads them,
    and without title links), wish and experience titles."""
    views = [ProfileView(profile, load_taxonomy())]
    served = ctx.matching.served
    if served is not None:
        views.append(ProfileView.of(profile, served.catalogue))
    texts = {t for v in views for t in v.encoded_texts}
    texts.add(profile.aspirations.text)
    texts.update(e.title for e in profile.experiences)
    return {t for t in texts if t.strip()}


def forget_person(ctx: ServiceContext, profile: BeneficiaryProfile) -> None:
    """Remove what the caches derived from ``profile``."""
    cache = EmbeddingCache(cache_path(ctx.settings))
    try:
        cache.forget(sorted(derived_texts(ctx, profile)), "query")
    finally:
        cache.close()
    forget_queries()
    served = ctx.matching.served
    if served is not None and served.catalogue.linker is not None:
        served.catalogue.linker.forget()
    if served is not None and served.catalogue.coder is not None:
        served.catalogue.coder.forget()
