"""The error shape of every kind of failure, and the OpenAPI document."""

import pytest

from app.models import ProcessInstance
from tests.api.helpers import MAX_BODY, count, error_of

ID_ROUTES = [
    ("get", "/api/v1/definitions/{}"),
    ("get", "/api/v1/definitions/{}/source"),
    ("get", "/api/v1/instances/{}"),
    ("post", "/api/v1/instances/{}/retry"),
    ("get", "/api/v1/tasks/{}"),
    ("post", "/api/v1/tasks/{}/complete"),
    ("delete", "/api/v1/tokens/{}"),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": "Basic YWRtaW46ZGVtby0yMDI2"},
        {"Authorization": "Token jx_abc"},
        {"Authorization": "Bearer jx_not-a-real-token"},
        {"Authorization": "Bearer jx_a jx_b"},
        {"Authorization": "Bearer " + "x" * 10_000},
    ],
    ids=[
        "none",
        "empty",
        "scheme-only",
        "blank",
        "basic",
        "other-scheme",
        "unknown",
        "two",
        "huge",
    ],
)
def test_missing_or_malformed_token_is_401(client, headers):
    response = client.get("/api/v1/tasks", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_is_not_api_credentials(client, login_as):
    assert login_as("admin").status_code == 302
    error_of(client.get("/api/v1/tasks"), 401, "unauthorized")


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing-here", "/api/v2/tasks", "/api/", "/api/v1/tasks/x"]
)
def test_unknown_url_under_api_is_json_404(client, url):
    error_of(client.get(url), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("delete", "/api/v1/tasks"),
        ("put", "/api/v1/instances"),
        ("get", "/api/v1/tasks/1/complete"),
        ("post", "/api/v1/definitions/1"),
        ("patch", "/api/v1/tokens/1"),
    ],
)
def test_wrong_method_is_json_405(api_as, method, url):
    response = getattr(api_as("admin").client, method)(url)
    error_of(response, 405, "method_not_allowed")
    assert "Allow" in response.headers


@pytest.mark.parametrize(("method", "pattern"), ID_ROUTES)
def test_unknown_ids_are_404_even_beyond_the_column_range(api_as, method, pattern):
    """2**31 and 10**20 overflow a 32-bit id column: still a 404, never a database error."""
    api = api_as("admin")
    kwargs = {"json": {"data": {"confirm": True}}} if pattern.endswith("complete") else {}
    for unknown in (424242, 2**31, 10**20):
        error_of(getattr(api, method)(pattern.format(unknown), **kwargs), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        b'{"department_id": 1, "year": ',
        b"{'department_id': 1}",
        b"\xff\xfe not utf-8",
        b"[" * 100_000,  # deeper than the JSON decoder's recursion limit
        b'{"department_id": 1, "year": ' + b"9" * 5000 + b"}",  # past int()'s digit limit
    ],
    ids=["truncated", "single-quotes", "not-utf8", "deeply-nested", "huge-integer"],
)
def test_undecodable_json_body_is_400(api_as, body):
    response = api_as("admin").post("/api/v1/instances", data=body, content_type="application/json")
    error = error_of(response, 400, "bad_request")
    assert error["message"] == "Invalid JSON body."
    assert count(ProcessInstance) == 0


def test_body_over_the_size_limit_is_413(api_as):
    body = b'{"department_id": 1, "year": 2026, "x": "' + b"a" * MAX_BODY + b'"}'
    response = api_as("admin").post("/api/v1/instances", data=body, content_type="application/json")
    error_of(response, 413, "request_entity_too_large")
    assert count(ProcessInstance) == 0


def test_validation_errors_are_422_with_fields(api_as):
    response = api_as("admin").post("/api/v1/instances", json={"year": "abc"})
    error = error_of(response, 422, "validation_failed")
    assert error["fields"] == {
        "department_id": ["Missing data for required field."],
        "year": ["Not a valid integer."],
    }


def test_openapi_document_lists_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")  # public: no token needed
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["info"]["title"] == "绩效考核 API"
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    documented = {
        (path, method)
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = _openapi_path(rule.rule)
        routed |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    assert {
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens/{token_id}", "delete"),
        ("/api/v1/definitions", "get"),
        ("/api/v1/definitions", "post"),
        ("/api/v1/definitions/{definition_id}", "get"),
        ("/api/v1/definitions/{definition_id}/source", "get"),
        ("/api/v1/instances", "post"),
        ("/api/v1/instances/{instance_id}", "get"),
        ("/api/v1/instances/{instance_id}/retry", "post"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{task_id}", "get"),
        ("/api/v1/tasks/{task_id}/complete", "post"),
    } <= documented
    complete = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert {"200", "409", "422"} <= set(complete["responses"])


def _openapi_path(rule: str) -> str:
    """`/tasks/<int(min=1):task_id>` → `/tasks/{task_id}`."""
    import re

    return re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", rule)
