"""The API's contract: every route declares its roles, the role x route matrix holds, the
OpenAPI document in docs/ is current, and fuzzing every operation as every role gives no 5xx
and no response that breaks its own schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import World
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

ROOT = Path(__file__).resolve().parents[1]
USER_OF_ROLE = {
    "coach": "coach.liege",
    "maison_emploi": "maison.liege",
    "employer": "employer",
    "admin": "admin",
}
FUZZ_EXAMPLES = 8


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


@pytest.mark.parametrize("role", sorted(USER_OF_ROLE))
def test_fuzz_every_operation(
    api: World, role: str, request: pytest.FixtureRequest, linker: object
) -> None:
    """Schemathesis cases for every operation, authenticated as ``role``."""
    if "postgresql" in request.node.callspec.id:
        pytest.skip("fuzzing runs once, on SQLite (the matrix and API tests cover PostgreSQL)")
    app = api.client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = api.headers(USER_OF_ROLE[role])
    counts = {"operations": 0, "cases": 0}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/auth/logout"):
            continue
        counts["operations"] += 1
        try:
            _fuzzer(operation, headers, counts, failures)()
        except Exception:  # recorded with the operation's label
            if not failures:
                raise
    print(f"fuzz {role}: {counts['operations']} operations, {counts['cases']} cases")
    assert not failures, failures


def _fuzzer(
    operation: Any, headers: dict[str, str], counts: dict[str, int], failures: list[str]
) -> Any:
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        counts["cases"] += 1
        response = case.call(headers=headers, timeout=120)
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except AssertionError as exc:
            failures.append(f"{operation.label}: {str(exc)[:300]}")
            raise

    return run
