"""Text and numbers no database column takes: NUL characters, lone surrogates, integers past 32
bits, CSV cells past the csv module's limit. SQLite stores the first three, PostgreSQL answers
them with an error, so these tests matter most on PostgreSQL: each is a 422 naming the field,
and nothing is written."""

from __future__ import annotations

import copy
import io
import json
import re

import pytest

from app.models import Actual, ApiToken, AuditEvent, Ballot, Evidence, LetterLine, Person
from tests.api.helpers import count, error_of, inbox_task
from tests.conftest import VALID_LETTER, start_instance

NUL = "a\x00b"
SURROGATE = "a\ud800b"


def post_json(api_or_client, url: str, body: dict):
    """A JSON body as a client would send it (a lone surrogate is an escape, `"\\ud800"`)."""
    return api_or_client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["username", "password", "name"])
def test_token_request_with_unstorable_text_is_422(client, org, field, bad):
    body = {"username": "head_fin", "password": "demo-2026", "name": "laptop"} | {field: bad}
    error = error_of(post_json(client, "/api/v1/tokens", body), 422, "validation_failed")
    assert set(error["fields"]) == {field}
    assert count(ApiToken) == 0


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["name", "unit"])
def test_letter_line_with_unstorable_text_is_422_on_the_line(api_as, field, bad):
    start_instance("CZ-YS")
    head = api_as("head_fin")
    task = inbox_task(head, "draft_letter")
    data = copy.deepcopy(VALID_LETTER)
    data["lines"][1][field] = bad
    response = post_json(head, f"/api/v1/tasks/{task['id']}/complete", {"data": data})
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) == {f"data.lines.1.{field}"}
    assert count(LetterLine) == 0
    assert count(AuditEvent, AuditEvent.action == "task.complete") == 0


def test_a_note_on_task_completion_with_nul_is_422(api_as):
    start_instance("CZ-YS")
    head = api_as("head_fin")
    task = inbox_task(head, "draft_letter")
    data = copy.deepcopy(VALID_LETTER) | {"note": NUL}
    response = post_json(head, f"/api/v1/tasks/{task['id']}/complete", {"data": data})
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"data.note"}


@pytest.mark.parametrize("department_id", [2**31, -(2**31) - 1, 10**18])
def test_ballot_for_a_department_id_past_32_bits_is_422(api_as, department_id):
    body = {"year": 2026, "department_id": department_id, "rater_group": "peer", "score": "80"}
    response = post_json(api_as("head_fin"), "/api/v1/ballots", body)
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"department_id"}
    assert count(Ballot) == 0


def _report(api, department_id, note="3月报表", filename="报表.pdf"):
    data = {
        "department_id": str(department_id),
        "indicator": "FIN-ERR",
        "period": "2026-03",
        "value": "0.3",
        "note": note,
        "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename),
    }
    return api.post("/api/v1/actuals", data=data, content_type="multipart/form-data")


def test_an_actuals_note_with_nul_is_422(org, api_as):
    """(A form cannot carry a lone surrogate: its UTF-8 bytes are decoded with replacement.)"""
    response = _report(api_as("head_fin"), org["CZ-YS"].id, note=NUL)
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"note"}
    assert count(Actual) == 0 and count(Evidence) == 0


def test_an_evidence_file_name_with_nul_is_422(org, api_as):
    response = _report(api_as("head_fin"), org["CZ-YS"].id, filename="报表\x00.pdf")
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"file"}
    assert count(Actual) == 0 and count(Evidence) == 0


def test_a_query_argument_with_nul_is_422(api_as):
    response = api_as("admin").get("/api/v1/audit?action=a%00b")
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"action"}


def test_a_query_number_past_32_bits_is_422(org, api_as):
    response = api_as("admin").get(f"/api/v1/actuals?department_id={2**31}&year=2026")
    assert set(error_of(response, 422, "validation_failed")["fields"]) == {"department_id"}


def _import(api, text: str, dry_run: bool):
    return api.post(
        f"/api/v1/org/import?kind=people&dry_run={str(dry_run).lower()}",
        data={"file": (io.BytesIO(text.encode()), "people.csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_org_import_cell_with_nul_is_an_error_on_its_row_and_column(api_as, dry_run):
    people = Person.query.count()
    text = "用户名,姓名,科室编码\nnew_one,张\x00三,CZ-YS\n"
    response = _import(api_as("admin"), text, dry_run)
    if dry_run:
        assert response.status_code == 200
        report = response.get_json()
    else:
        report = error_of(response, 422, "validation_failed")["report"]
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(2, "name")]
    assert "NUL" in report["errors"][0]["message"]
    assert Person.query.count() == people


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_org_import_cell_past_the_csv_limit_is_422_on_the_file(api_as, dry_run):
    text = "用户名,姓名,科室编码\nnew_one," + "张" * 131_073 + ",CZ-YS\n"
    error = error_of(_import(api_as("admin"), text, dry_run), 422, "validation_failed")
    assert set(error["fields"]) == {"file"}
    assert "第2行" in error["fields"]["file"][0]


def test_a_page_form_with_nul_is_422_naming_the_field(client, org):
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
    response = client.post(
        "/login",
        data={"username": "head\x00fin", "password": "demo-2026", "csrf_token": token.decode()},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<code>username</code>：不能包含空字符（NUL）。" in page
    assert "\x00" not in page
    assert count(AuditEvent, AuditEvent.action == "auth.failed") == 0
