"""Browsing the served catalogue (the API's opportunity search) against a plain reference,
and the port sharing of the API workers."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts.enums import OpportunityKind
from matching.browse import CatalogueBrowser, Visibility
from matching.catalogue import OpportunityCatalogue
from serving.workers import _bind, reuseport_available
from tremplin.sample import generate
from tremplin.text import normalize

DATA = generate(11, n_opportunities=200, n_beneficiaries=5)
CAT = OpportunityCatalogue(DATA.opportunities)
BROWSER = CatalogueBrowser(CAT)
WORDS = sorted({w for o in DATA.opportunities for w in normalize(o.title).split() if len(w) > 2})
EMPLOYERS = sorted({o.employer_id for o in DATA.opportunities if o.employer_id})
CPAS = ["cpas-liege", "cpas-molenbeek", "cpas-seraing", "cpas-herstal", "cpas-absent"]


def _reference(words: list[str], visibility: Visibility, kind: OpportunityKind | None) -> list[str]:
    out = []
    for o in sorted(DATA.opportunities, key=lambda o: o.id):
        title = normalize(o.title)
        if not all(normalize(w) in title for w in words):
            continue
        if kind is not None and o.kind is not kind:
            continue
        if visibility.employer_only and o.employer_id != visibility.employer_id:
            continue
        if visibility.cpas_id and o.reserved_for_cpas not in (None, visibility.cpas_id):
            continue
        out.append(o.id)
    return out


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), max_size=2),
    who=st.sampled_from(["employer", "coach", "other"]),
    employer=st.sampled_from(EMPLOYERS),
    cpas=st.sampled_from(CPAS),
    kind=st.none() | st.sampled_from(list(OpportunityKind)),
    offset=st.integers(0, 30),
    limit=st.integers(1, 50),
)
def test_search_matches_the_reference(
    words: list[str],
    who: str,
    employer: str,
    cpas: str,
    kind: OpportunityKind | None,
    offset: int,
    limit: int,
) -> None:
    visibility = Visibility(
        employer_id=employer if who == "employer" else None,
        cpas_id=cpas if who == "coach" else None,
        employer_only=who == "employer",
    )
    expected = _reference(words, visibility, kind)
    positions, total = BROWSER.search(words, visibility, kind=kind, limit=limit, offset=offset)
    assert total == len(expected)
    assert [CAT.opportunities[p].id for p in positions] == expected[offset : offset + limit]


def test_accents_and_case_do_not_matter() -> None:
    o = next(o for o in DATA.opportunities if any(c in o.title for c in "éèà"))
    word = next(w for w in o.title.split() if any(c in w for c in "éèà"))
    positions, _ = BROWSER.search([word.upper()], Visibility(), limit=1000)
    plain, _ = BROWSER.search([normalize(word)], Visibility(), limit=1000)
    assert positions == plain and CAT.by_external_id[o.id] in positions


@pytest.mark.skipif(not reuseport_available(), reason="SO_REUSEPORT is Linux/BSD only")
def test_workers_share_one_port() -> None:
    first = _bind("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = _bind("127.0.0.1", port)  # a second worker's socket on the same port
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        first.close()
        second.close()
