"""The modeler's pages (流程设计) and the editor's session calls: centre admins only, CSRF on
every write, JSON errors for the editor, a new diagram from a template that validates."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ProcessDefinition, ProcessDraft
from tests.api.helpers import count, error_of

SHIPPED = (
    Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "annual_cycle.bpmn"
).read_bytes()
CALLS = "/admin/modeler/calls"


def _config(client, url: str) -> dict:
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    found = re.search(
        r'<script id="modeler-config" type="application/json">(.*?)</script>',
        page.get_data(as_text=True),
    )
    return json.loads(found.group(1))


@pytest.fixture
def admin(client, login_as):
    login_as("admin")
    return client


def test_navigation_and_list(admin):
    page = admin.get("/admin/modeler").get_data(as_text=True)
    assert 'href="/admin/modeler"' in page  # the navigation link 流程设计
    assert 'data-key="annual_cycle"' in page and "第1版" in page
    assert "grade_bands" not in page  # decision tables are not drawn here


def test_editor_page_carries_its_urls_and_token(admin):
    config = _config(admin, "/admin/modeler/annual_cycle")
    assert config["key"] == "annual_cycle" and config["new"] is False
    assert [v["version"] for v in config["versions"]] == [1]
    assert config["csrfToken"]
    assert config["urls"]["draft"] == f"{CALLS}/drafts/annual_cycle"


def test_the_editor_calls_need_the_csrf_token(admin):
    token = _config(admin, "/admin/modeler/annual_cycle")["csrfToken"]
    refused = admin.put(f"{CALLS}/drafts/annual_cycle", data=SHIPPED)
    error_of(refused, 400, "bad_request")
    assert count(ProcessDraft) == 0
    saved = admin.put(f"{CALLS}/drafts/annual_cycle", data=SHIPPED, headers={"X-CSRFToken": token})
    assert saved.status_code == 200
    checked = admin.post(f"{CALLS}/drafts/annual_cycle/validate", headers={"X-CSRFToken": token})
    assert checked.get_json() == {"valid": True, "problems": []}
    compared = admin.get(f"{CALLS}/drafts/annual_cycle/compare").get_json()
    assert compared["changes"] == []


def test_the_editor_gets_json_errors(admin):
    token = _config(admin, "/admin/modeler/annual_cycle")["csrfToken"]
    bad = admin.put(f"{CALLS}/drafts/annual_cycle", data=b"<oops", headers={"X-CSRFToken": token})
    assert error_of(bad, 422, "validation_failed")["problems"][0]["code"] == "malformed_xml"
    error_of(admin.get(f"{CALLS}/source/nothing_here"), 404, "not_found")
    error_of(
        admin.post(f"{CALLS}/versions/999999/rollback", headers={"X-CSRFToken": token}),
        404,
        "not_found",
    )


def test_publish_and_roll_back_from_the_editor(admin):
    token = {"X-CSRFToken": _config(admin, "/admin/modeler/annual_cycle")["csrfToken"]}
    changed = SHIPPED.replace('name="锁定责任书"'.encode(), 'name="锁定"'.encode())
    admin.put(f"{CALLS}/drafts/annual_cycle", data=changed, headers=token)
    published = admin.post(f"{CALLS}/drafts/annual_cycle/publish", headers=token)
    assert published.status_code == 201 and published.get_json()["version"] == 2
    first = db.session.scalars(
        sa.select(ProcessDefinition).where(
            ProcessDefinition.process_key == "annual_cycle", ProcessDefinition.version == 1
        )
    ).one()
    rolled = admin.post(f"{CALLS}/versions/{first.id}/rollback", headers=token)
    assert rolled.status_code == 201 and rolled.get_json()["version"] == 3
    compare_page = admin.get(f"/admin/modeler/versions/{rolled.get_json()['id']}/compare")
    body = compare_page.get_data(as_text=True)
    assert "lock_letter" in body and "锁定 → 锁定责任书" in body


def test_a_new_diagram_starts_from_a_valid_template(admin):
    response = admin.get("/admin/modeler/new?key=quarter_check&name=季度检查")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/modeler/quarter_check?new=1")
    config = _config(admin, response.headers["Location"])
    assert config["new"] is True and config["versions"] == []
    source = admin.get(f"{CALLS}/source/quarter_check?new=1&name=季度检查").get_json()
    assert source["origin"] == "new" and 'name="季度检查"' in source["source"]
    token = {"X-CSRFToken": config["csrfToken"]}
    admin.put(f"{CALLS}/drafts/quarter_check", data=source["source"].encode(), headers=token)
    assert admin.post(f"{CALLS}/drafts/quarter_check/validate", headers=token).get_json()["valid"]
    published = admin.post(f"{CALLS}/drafts/quarter_check/publish", headers=token)
    assert published.status_code == 201
    assert (published.get_json()["process_key"], published.get_json()["version"]) == (
        "quarter_check",
        1,
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("key=has space", "流程标识须以字母"),
        ("key=annual_cycle", "已有流程使用此标识"),
        ("key=", "流程标识须以字母"),
    ],
)
def test_a_new_diagram_needs_a_free_valid_key(admin, query, message):
    response = admin.get(f"/admin/modeler/new?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_unknown_diagram_is_not_found(admin):
    assert admin.get("/admin/modeler/nothing_here").status_code == 404
    assert admin.get("/admin/modeler/versions/999999/compare").status_code == 404


@pytest.mark.parametrize("username", ["leader_li", "head_fin", "kh_chen"])
def test_only_the_centre_may_use_the_modeler(client, login_as, username):
    login_as(username)
    assert client.get("/admin/modeler").status_code == 403
    assert client.get("/admin/modeler/annual_cycle").status_code == 403
    error_of(client.get(f"{CALLS}/catalog"), 403, "forbidden")
    assert 'href="/admin/modeler"' not in client.get("/").get_data(as_text=True)


def test_the_template_escapes_the_name(admin):
    name = '季度 & "检查" <x>'
    config = _config(admin, "/admin/modeler/odd_name?new=1")
    token = {"X-CSRFToken": config["csrfToken"]}
    source = admin.get(f"{CALLS}/source/odd_name", query_string={"new": "1", "name": name})
    admin.put(f"{CALLS}/drafts/odd_name", data=source.get_json()["source"].encode(), headers=token)
    published = admin.post(f"{CALLS}/drafts/odd_name/publish", headers=token)
    assert published.status_code == 201
    assert published.get_json()["name"] == name


# --- importing another tool's export from the modeler page ----------------------------------

IMPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _import(client, name: str | None, dry_run: bool = False, token: bool = True):
    from tests.pages.test_pages import csrf

    data: dict = {}
    if token:
        data["csrf_token"] = csrf(client.get("/admin/modeler"))
    if name is not None:
        data["file"] = ((IMPORTS / name).open("rb"), name)
    if dry_run:
        data["dry_run"] = "yes"
    return client.post("/admin/modeler/import", data=data, content_type="multipart/form-data")


def _versions_of(key: str) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ProcessDefinition.version)
            .where(ProcessDefinition.process_key == key)
            .order_by(ProcessDefinition.version)
        )
    )


def test_an_accepted_export_is_stored_and_opens_in_the_modeler(admin):
    page = _import(admin, "camunda7_letter.bpmn")
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:500]
    stored = db.session.scalars(
        sa.select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1)
    ).one()
    assert "Camunda" in body and f"第{stored.version}版" in body
    assert f'href="/admin/modeler/{stored.process_key}?version={stored.version}"' in body
    assert 'class="import-changes"' in body  # what was rewritten is listed
    again = _import(admin, "camunda7_letter.bpmn").get_data(as_text=True)
    assert "未新建版本" in again and _versions_of(stored.process_key) == [stored.version]


def test_a_dry_run_checks_and_stores_nothing(admin):
    before = count(ProcessDefinition)
    body = _import(admin, "signavio_signing.bpmn", dry_run=True).get_data(as_text=True)
    assert "检查通过" in body and count(ProcessDefinition) == before


def test_a_refused_export_lists_every_problem_and_stores_nothing(admin):
    before = count(ProcessDefinition)
    page = _import(admin, "aris_appeal.bpmn")
    body = page.get_data(as_text=True)
    assert page.status_code == 422 and 'role="alert"' in body
    codes = set(re.findall(r'<tr data-code="([a-z_]+)">', body))
    assert {"transaction_unsupported", "unknown_role"} <= codes
    assert "ARIS" in body and count(ProcessDefinition) == before


def test_import_without_a_file_or_without_the_token(admin):
    missing = _import(admin, None)
    assert missing.status_code == 422 and "请选择要导入的 BPMN 文件" in missing.get_data(True)
    before = count(ProcessDefinition)
    assert _import(admin, "camunda7_letter.bpmn", token=False).status_code == 400
    assert count(ProcessDefinition) == before


def test_only_the_centre_imports(client, login_as):
    from tests.pages.test_pages import csrf

    login_as("head_fin")
    before = count(ProcessDefinition)
    refused = client.post(
        "/admin/modeler/import",
        data={
            "csrf_token": csrf(client.get("/account")),
            "file": ((IMPORTS / "camunda7_letter.bpmn").open("rb"), "x.bpmn"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403 and count(ProcessDefinition) == before


def test_garbage_is_a_clear_refusal_not_an_error(admin):
    from tests.pages.test_pages import csrf

    for payload in (b"", b"\x00\xff" * 500, b"<html><body>hi</body></html>", b"<?xml"):
        page = admin.post(
            "/admin/modeler/import",
            data={
                "csrf_token": csrf(admin.get("/admin/modeler")),
                "file": (io.BytesIO(payload), "x.bpmn"),
            },
            content_type="multipart/form-data",
        )
        assert page.status_code == 422, payload[:20]
        assert 'role="alert"' in page.get_data(True)
