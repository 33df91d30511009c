"""The services called directly, as the API, the command line and the pages call them: the
shortlist, opportunity writes, the person's CPAS for an operator, the model lifecycle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import TODAY, World

from data_contracts.enums import OpportunityKind
from services import models
from services.beneficiaries import cpas_holding
from services.context import ServiceContext, open_context
from services.opportunities import expire_opportunity, write_opportunity
from services.schemas import ShortlistRequest
from services.shortlists import create_shortlist, read_shortlist, shortlist_history
from tests.factories import opportunity
from tremplin.actors import Principal, Role, system_actor
from tremplin.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PolicyRefusedError,
    RegistryError,
)
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


def test_opportunity_writes_are_one_service_for_every_shell(
    api: World, ctx: ServiceContext
) -> None:
    """Create, conflict, ownership and withdrawal on the request's date, as the API's routes
    and the Maison de l'emploi's page call them."""
    maison = system_actor("job:test")
    offer = opportunity(id="svc-opp-1", employer_id=api.employer_id)
    assert write_opportunity(ctx, maison, offer, "svc-w1", creating=True) == offer
    with pytest.raises(ConflictError):
        write_opportunity(ctx, maison, offer, "svc-w2", creating=True)
    with pytest.raises(InvalidRequestError):
        write_opportunity(ctx, maison, offer, "svc-w3", creating=False, path_id="other")
    stranger = Principal(1, "emp", Role.EMPLOYER, 1, employer_id="someone-else")
    with pytest.raises(PolicyRefusedError):
        write_opportunity(ctx, stranger, offer, "svc-w4", creating=False)
    withdrawn = expire_opportunity(ctx, maison, "svc-opp-1", "svc-w5")
    assert withdrawn.valid_until == ctx.today()
    with pytest.raises(NotFoundError):
        expire_opportunity(ctx, stranger, "svc-opp-1", "svc-w6")  # not theirs: not found


def test_an_operator_s_command_finds_the_person_s_cpas(api: World, ctx: ServiceContext) -> None:
    person = api.beneficiaries["cpas-liege"][0]
    assert cpas_holding(ctx, person) == "cpas-liege"
    assert cpas_holding(ctx, person, "cpas-seraing") == "cpas-seraing"  # told: not looked up
    with pytest.raises(NotFoundError, match="inconnu"):
        cpas_holding(ctx, "nobody-here")


def test_the_model_lifecycle_reloads_audited_and_refuses_in_domain_terms(
    ctx: ServiceContext,
) -> None:
    actor = system_actor("job:test")
    info = models.reload_engine(ctx, actor, "svc-reload-1")
    assert info.ready and info.opportunities > 0
    with ctx.transaction() as session:
        row = session.query(AuditRow).filter_by(request_id="svc-reload-1").one()
    assert row.action == "model_reload"
    with pytest.raises(RegistryError) as refused:  # nothing promoted yet: nothing to undo
        models.rollback(ctx, actor)
    assert refused.value.code.value == "registry" and " / " not in refused.value.fr
