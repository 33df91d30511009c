"""The shortlist service called directly, as the API, the command line and the pages call it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import TODAY, World

from data_contracts.enums import OpportunityKind
from services.context import ServiceContext, open_context
from services.schemas import ShortlistRequest
from services.shortlists import create_shortlist, read_shortlist, shortlist_history
from tremplin.actors import system_actor
from tremplin.errors import InvalidRequestError, NotFoundError, PolicyRefusedError
from tremplin.store.models import AuditRow


@pytest.fixture(scope="module")
def ctx(api: World) -> Iterator[ServiceContext]:
    """A command-line context on the API world's database and files, its engine loaded."""
    context = open_context(api.settings)
    context.matching.reload()
    yield context


def test_one_request_ranks_audits_and_keeps_history(api: World, ctx: ServiceContext) -> None:
    ben = api.beneficiaries["cpas-liege"][2]
    actor = system_actor("job:test", "cpas-liege")
    request = ShortlistRequest(beneficiary_id=ben, top=4, today=TODAY)
    out = create_shortlist(ctx, actor, request, "req-services-1")
    assert out.stored and 0 < len(out.shortlist.items) <= 4
    assert out.ranker_version == out.shortlist.ranker and out.engine_version
    again = create_shortlist(ctx, actor, request, "req-services-2")
    assert [i.opportunity_id for i in again.shortlist.items] == [
        i.opportunity_id for i in out.shortlist.items
    ]  # deterministic
    assert read_shortlist(ctx, actor, out.id).shortlist == out.shortlist
    history = shortlist_history(ctx, actor, ben, 10, 0)
    assert {out.id, again.id} <= {h.id for h in history.items}
    with ctx.transaction() as session:
        row = session.query(AuditRow).filter_by(request_id="req-services-1").one()
    assert row.actor == "job:test" and row.role == "system" and row.tenant == "cpas-liege"
    assert row.ranker_version == out.ranker_version and ben not in (row.subject or "")


def test_tenancy_and_bad_requests_are_domain_errors(api: World, ctx: ServiceContext) -> None:
    ben = api.beneficiaries["cpas-liege"][2]
    other = system_actor("job:test", "cpas-seraing")
    with pytest.raises(NotFoundError):
        create_shortlist(ctx, other, ShortlistRequest(beneficiary_id=ben), "r")
    with pytest.raises(PolicyRefusedError):  # no CPAS to act for
        create_shortlist(ctx, system_actor("job:test"), ShortlistRequest(beneficiary_id=ben), "r")
    with pytest.raises(InvalidRequestError):
        create_shortlist(ctx, other, ShortlistRequest(), "r")
    liege = system_actor("job:test", "cpas-liege")
    made = create_shortlist(
        ctx,
        liege,
        ShortlistRequest(beneficiary_id=ben, kinds=[OpportunityKind.TRAINING]),
        "r",
    )
    with pytest.raises(NotFoundError):  # another CPAS cannot read it back
        read_shortlist(ctx, other, made.id)
    with pytest.raises(NotFoundError):
        shortlist_history(ctx, other, ben, 10, 0)
