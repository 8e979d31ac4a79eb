"""The OpenAPI document: valid OpenAPI 3 (openapi-spec-validator), and no operation answers 5xx to
what schemathesis generates from it (a bounded budget: a few examples per operation, as the
centre, on a city with a running instance). Runs on SQLite and PostgreSQL like every test;
PostgreSQL is where unstorable input used to become a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import OpenAPIV30SpecValidator

from app.services import accounts
from app.services.transactions import unit_of_work
from tests.conftest import person, start_instance

EXAMPLES_PER_OPERATION = 20


def test_the_openapi_document_is_valid(client):
    document = client.get("/api/v1/openapi.json").get_json()
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}"
        for e in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    assert errors == []


@pytest.mark.fuzz
def test_no_operation_answers_5xx(app, org):
    """Every operation of the document, EXAMPLES_PER_OPERATION generated requests each, with the
    centre's token (which reaches every operation). One operation failing does not hide the
    others: the failures are listed together. (A loop over the operations rather than
    schemathesis' pytest plugin, whose lazy loading does not run under pytest 9.)"""
    start_instance("CZ-YS")
    token = unit_of_work(
        lambda: accounts.issue_token(person("admin"), "fuzz", ["read", "tasks", "admin"])[1]
    )
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def no_server_error(case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query or ''} → "
                f"{response.status_code}: {response.text[:300]}"
            )

        try:
            no_server_error()
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert operations > 50
    assert failures == []
