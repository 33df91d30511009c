"""The API's contract: every route declares its roles, the role x route matrix holds, the
OpenAPI document in docs/ is current, and fuzzing every operation as every role gives no 5xx
and no response that breaks its own schema."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import World
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[2]
USER_OF_ROLE = {
    "coach": "coach.liege",
    "maison_emploi": "maison.liege",
    "employer": "employer",
    "admin": "admin",
}
FUZZ_EXAMPLES = 8
# the same cases on every run, so that the suite is a stable gate; set TREMPLIN_FUZZ_RANDOM=1 to
# explore new ones (what a fresh seed finds becomes a test here once fixed)
DERANDOMIZE = not os.environ.get("TREMPLIN_FUZZ_RANDOM")
HYPOTHESIS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "derandomize": DERANDOMIZE,
    "suppress_health_check": list(HealthCheck),
}
STATEFUL_EXAMPLES = 15


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_route_declares_its_roles(api: World) -> None:
    ops = operations(api.client.app.openapi())  # type: ignore[attr-defined]
    assert len(ops) >= 25
    undeclared = [f"{m} {p}" for m, p, op in ops if not op.get("x-roles")]
    assert not undeclared, f"routes without x-roles: {undeclared}"


def test_role_route_matrix(api: World) -> None:
    """Each role gets past authorisation exactly on the routes that admit it; anonymous callers
    get 401 everywhere but on public routes."""
    checked = 0
    for method, path, op in operations(api.client.app.openapi()):  # type: ignore[attr-defined]
        if path.endswith("/auth/logout"):
            continue  # revokes the caller's token; covered in test_api
        allowed = set(op["x-roles"])
        url = re.sub(r"\{[^}]+\}", "matrix-x", path)
        kwargs: dict[str, Any] = {} if method in {"GET", "DELETE"} else {"json": {}}
        anonymous = api.call(None, method, url, **kwargs)
        if "public" in allowed:
            assert anonymous.status_code not in (401, 403), (method, path)
            continue
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        for role, user in USER_OF_ROLE.items():
            r = api.call(user, method, url, **kwargs)
            if role in allowed:
                assert r.status_code not in (401, 403), (role, method, path, r.text)
            else:
                assert r.status_code == 403, (role, method, path, r.status_code)
            checked += 1
    assert checked >= 80


def test_openapi_document_is_current(api: World) -> None:
    """docs/openapi.json is what the app serves (regenerate: tremplin openapi)."""
    served = api.client.get("/openapi.json").json()
    saved = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert saved == served, "docs/openapi.json is stale: run `tremplin openapi`"


FUZZ_ROLES_ON_POSTGRESQL = ("admin", "coach")  # the two that write most; all roles on SQLite
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    negative_data_rejection,
]


def _backend(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.id.split("-")[0])


def _skip_on_postgresql(request: pytest.FixtureRequest, role: str) -> None:
    if _backend(request) == "postgresql" and role not in FUZZ_ROLES_ON_POSTGRESQL:
        pytest.skip("PostgreSQL fuzzing runs as admin and coach (every role runs on SQLite)")


@pytest.mark.parametrize("role", sorted(USER_OF_ROLE))
def test_fuzz_every_operation(
    api: World,
    role: str,
    request: pytest.FixtureRequest,
    linker: object,
    record_property: Any,
) -> None:
    """Schemathesis cases for every operation, authenticated as ``role``: valid data (no 5xx,
    responses and statuses as documented) and invalid data (refused with a 4xx)."""
    _skip_on_postgresql(request, role)
    api.build_linker()
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = api.headers(USER_OF_ROLE[role])
    counts = {"operations": 0, "cases": 0}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/auth/logout"):
            continue
        counts["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzzer(operation, mode, headers, counts, failures)()
            except Unsatisfiable:
                continue  # no invalid input exists (an operation without parameters)
            except Exception:  # recorded with the operation's label
                if not failures:
                    raise
    backend = _backend(request)
    print(f"fuzz {backend} {role}: {counts['operations']} operations, {counts['cases']} cases")
    for name, value in {**counts, "failures": len(failures)}.items():
        record_property(name, value)  # in the JUnit report (--junitxml), workers included
    assert not failures, failures


def _fuzzer(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    counts: dict[str, int],
    failures: list[str],
) -> Any:
    @settings(max_examples=FUZZ_EXAMPLES, **HYPOTHESIS)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        counts["cases"] += 1
        response = case.call(headers=headers, timeout=120)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            failures.append(f"{operation.label} ({mode.value}): {str(exc)[:400]}")
            raise

    return run


@pytest.mark.parametrize("role", ["admin", "coach"])
def test_stateful_sequences(
    api: World,
    role: str,
    request: pytest.FixtureRequest,
    linker: object,
    record_property: Any,
) -> None:
    """Schemathesis's stateful phase: sequences that follow the links it infers between
    operations (create a beneficiary, then read, update, shortlist, erase it...), with the
    same checks; a step that answers an undocumented status or a 5xx fails the test."""
    api.build_linker()
    # the nightly candidates' read-only view has no state to follow and, added to the
    # machine's links, made its replays of admin sequences flaky (rules enabled by bundles the
    # server state fills differently between runs); it is fuzzed per operation above and
    # exercised end to end in tests/services/test_batch.py; the same for the skills read in a coach's
    # pasted notes (stateless, tests/api/test_api.py)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app).exclude(
        path_regex=r"/(new-opportunities|skills-in-text)$"
    )
    headers = api.headers(USER_OF_ROLE[role])
    steps = {"count": 0}

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            if case.path.endswith("/auth/logout"):
                return {"headers": {}}  # never revoke the session's own token
            return {"headers": headers}

        def validate_response(
            self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any
        ) -> None:
            steps["count"] += 1
            case.validate_response(response, checks=CHECKS)

    Sequences.run(
        settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, **HYPOTHESIS)
    )
    backend = _backend(request)
    print(f"stateful {backend} {role}: {steps['count']} calls")
    record_property("calls", steps["count"])
    assert steps["count"] > STATEFUL_EXAMPLES
