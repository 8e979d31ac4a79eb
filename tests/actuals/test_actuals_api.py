"""Reporting actuals with evidence through the API: who may report and see them, evidence
checks, history, and bad input that gives a clear 4xx and writes nothing."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from app.models import Actual, AuditEvent, DataSource, Evidence
from tests.actuals.conftest import actual_rows, make_source
from tests.api.helpers import count, error_of
from tests.conftest import person

PDF = b"%PDF-1.4\n% evidence of the 2026-03 financial statements\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _report(api, department_id, file=None, **fields):
    data = {"indicator": "FIN-ERR", "period": "2026-03", "value": "0.3"} | fields
    if department_id is not None:
        data["department_id"] = str(department_id)
    if file is not None:
        data["file"] = (io.BytesIO(file[1]), file[0])
    data = {k: v for k, v in data.items() if v is not None}
    return api.post("/api/v1/actuals", data=data, content_type="multipart/form-data")


def _storage_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_head_reports_with_evidence_and_anyone_who_may_see_downloads_it(app, org, api_as):
    cz_ys = org["CZ-YS"].id
    response = _report(api_as("head_fin"), cz_ys, ("报表核对.pdf", PDF), note="3月报表")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["indicator"], body["period"], body["value"], body["source"]) == (
        "FIN-ERR",
        "2026-03",
        "0.3000",
        "reported",
    )
    assert body["evidence"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["evidence"]["filename"] == "报表核对.pdf"
    assert (body["revision"], body["current"], body["year"]) == (1, True, 2026)
    assert [p.read_bytes() for p in _storage_files(app)] == [PDF]
    for viewer in ("head_fin", "leader_li", "kh_chen", "admin"):
        download = api_as(viewer).get(f"/api/v1/actuals/{body['id']}/evidence")
        assert download.status_code == 200
        assert download.data == PDF and download.mimetype == "application/pdf"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    error_of(api_as("head_insp").get(f"/api/v1/actuals/{body['id']}/evidence"), 404, "not_found")
    audit = count(AuditEvent, AuditEvent.action == "actual.report")
    assert audit == 1


def test_a_new_report_supersedes_the_previous_one_and_other_sources_stay(org, api_as):
    cz_ys = org["CZ-YS"].id
    head = api_as("head_fin")
    assert _report(head, cz_ys, value="0.3").status_code == 201
    assert _report(api_as("staff_fin"), cz_ys, value="0.25").status_code == 201
    admin = api_as("admin")
    admin.post(
        "/api/v1/actuals/import?dry_run=false",
        data={
            "file": (
                io.BytesIO("科室编码,指标编码,期间,实际值\nCZ-YS,FIN-ERR,2026-03,0.6\n".encode()),
                "finance.csv",
            )
        },
        content_type="multipart/form-data",
    )
    current = head.get(f"/api/v1/actuals?department_id={cz_ys}&year=2026").get_json()
    assert sorted((a["source"], a["value"], a["revision"]) for a in current) == [
        ("file", "0.6000", 1),
        ("reported", "0.2500", 2),
    ]
    history = head.get(f"/api/v1/actuals?department_id={cz_ys}&year=2026&history=true").get_json()
    assert [(a["source"], a["value"], a["current"]) for a in history] == [
        ("file", "0.6000", True),
        ("reported", "0.3000", False),
        ("reported", "0.2500", True),
    ]
    superseded = next(a for a in history if not a["current"])
    assert superseded["superseded_by_id"] == next(a for a in current if a["revision"] == 2)["id"]
    only = head.get(
        f"/api/v1/actuals?department_id={cz_ys}&year=2026&source=file&period=2026年3月"
    ).get_json()
    assert [a["source"] for a in only] == ["file"]


@pytest.mark.parametrize(
    ("username", "department", "status"),
    [
        ("head_fin", "CZ-YS", 201),
        ("staff_fin", "CZ-YS", 201),
        ("head_fin", "DC-DC", 404),  # another department: not even visible
        ("leader_li", "CZ-YS", 403),  # the supervising leader sees, does not report
        ("kh_chen", "CZ-YS", 403),
        ("admin", "CZ-YS", 403),
        ("expert_gao", "CZ-YS", 404),
    ],
)
def test_only_the_departments_head_and_staff_report(org, api_as, username, department, status):
    response = _report(api_as(username), org[department].id)
    assert response.status_code == status
    assert count(Actual) == (1 if status == 201 else 0)


def test_anonymous_and_read_only_tokens_are_refused(org, client, api_as):
    response = client.post(
        "/api/v1/actuals",
        data={"department_id": str(org["CZ-YS"].id), "indicator": "FIN-ERR"},
        content_type="multipart/form-data",
    )
    error_of(response, 401, "unauthorized")
    error_of(_report(api_as("head_fin", ["read"]), org["CZ-YS"].id), 403, "forbidden")
    assert count(Actual) == 0


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (("virus.exe", b"MZ\x90\x00"), "仅支持"),
        (("report.pdf", b"<html>not a pdf</html>"), "不符"),
        (("photo.png", b"%PDF-1.4 a pdf named png"), "不符"),
        (("table.csv", b"a,b\x00\x00"), "文本"),
        (("empty.pdf", b""), "为空"),
        (("big.pdf", b"%PDF-" + b"x" * 2000), "不能超过"),
    ],
)
def test_evidence_of_a_wrong_type_or_size_is_refused(app, org, api_as, monkeypatch, file, message):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    error = error_of(_report(api_as("head_fin"), org["CZ-YS"].id, file), 422, "validation_failed")
    assert message in " ".join(error["fields"]["file"])
    assert count(Actual) == 0 and count(Evidence) == 0
    assert _storage_files(app) == []


def test_accepted_evidence_types(org, api_as):
    for name, data in (("截图.png", PNG), ("台账.csv", "序号,事项\n1,核对\n".encode("gb18030"))):
        assert _report(api_as("head_fin"), org["CZ-YS"].id, (name, data)).status_code == 201
    assert count(Evidence) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"department_id": "abc"}, "department_id"),
        ({"department_id": None}, "department_id"),
        ({"department_id": str(2**40)}, "department_id"),
        ({"value": None}, "value"),
        ({"value": "abc"}, "value"),
        ({"value": "-1"}, "value"),
        ({"value": "1e400"}, "value"),
        ({"value": "9" * 41}, "value"),
        ({"value": "NaN"}, "value"),
        ({"value": "101"}, "value"),  # FIN-ERR is a percentage
        ({"period": "2026-13"}, "period"),
        ({"period": "1999-01"}, "period"),
        ({"period": None}, "period"),
        ({"indicator": "NOPE"}, "indicator"),
        ({"indicator": "INS-PETITION"}, "indicator"),  # not a finance department's
        ({"indicator": "X" * 41}, "indicator"),
        ({"note": "长" * 501}, "note"),
    ],
)
def test_bad_input_is_a_422_on_the_field_and_writes_nothing(org, api_as, fields, field):
    department_id = fields.pop("department_id", org["CZ-YS"].id)
    error = error_of(_report(api_as("head_fin"), department_id, **fields), 422, "validation_failed")
    assert field in error["fields"], error
    assert count(Actual) == 0


def test_unknown_department_is_404_and_listing_is_scoped(org, api_as):
    error_of(_report(api_as("head_fin"), 999999), 404, "not_found")
    cz_ys, dc_dc = org["CZ-YS"].id, org["DC-DC"].id
    _report(api_as("head_fin"), cz_ys)
    for viewer in ("head_fin", "staff_fin", "leader_li", "kh_chen", "fy_he", "admin"):
        listed = api_as(viewer).get(f"/api/v1/actuals?department_id={cz_ys}&year=2026")
        assert listed.status_code == 200 and len(listed.get_json()) == 1
    for outsider in ("head_insp", "expert_gao"):
        error_of(
            api_as(outsider).get(f"/api/v1/actuals?department_id={cz_ys}&year=2026"),
            404,
            "not_found",
        )
    assert api_as("head_insp").get(f"/api/v1/actuals?department_id={dc_dc}&year=2026").json == []
    for query in ("", "department_id=x&year=2026", f"department_id={cz_ys}&year=1900"):
        error_of(api_as("admin").get(f"/api/v1/actuals?{query}"), 422, "validation_failed")
    bad_period = api_as("admin").get(f"/api/v1/actuals?department_id={cz_ys}&year=2026&period=x")
    error_of(bad_period, 422, "validation_failed")
    error_of(api_as("admin").get("/api/v1/actuals/999999/evidence"), 404, "not_found")
    assert actual_rows()[0][3] == "reported"


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("hotline", {}, "url"),
        ("hotline", {"url": "ftp://example.org/x"}, "url"),
        ("hotline", {"url": "not a url"}, "url"),
        ("hotline", {"url": "http://h/x", "retries": 99}, "retries"),
        ("hotline", {"url": "http://h/x", "retries": "2"}, "retries"),
        ("hotline", {"url": "http://h/x", "timeout_seconds": 0}, "timeout_seconds"),
        ("hotline", {"url": "http://h/x", "timeout_seconds": "1e9"}, "timeout_seconds"),
        ("hotline", {"url": "http://h/x", "mapping": {"surprise": "x"}}, "mapping.surprise"),
        ("hotline", {"url": "http://h/x", "mapping": []}, "mapping._schema"),
        ("Hot Line", {"url": "http://h/x"}, "name"),
    ],
)
def test_data_sources_refuse_bad_configuration(org, api_as, name, body, field):
    response = api_as("admin").put(f"/api/v1/data-sources/{name}", json=body)
    error = error_of(response, 422, "validation_failed")
    assert field in error["fields"], error
    assert count(DataSource) == 0


def test_data_sources_are_the_centres(org, api_as):
    admin = api_as("admin")
    saved = admin.put(
        "/api/v1/data-sources/hotline",
        json={"url": "http://127.0.0.1:9/stats", "mapping": {"indicator_code": "INS-PETITION"}},
    )
    assert saved.status_code == 200
    assert saved.get_json()["timeout_seconds"] == "10.00"
    assert [s["name"] for s in admin.get("/api/v1/data-sources").get_json()] == ["hotline"]
    error_of(api_as("head_fin").get("/api/v1/data-sources"), 403, "forbidden")
    error_of(admin.post("/api/v1/data-sources/nope/pull"), 404, "not_found")
    error_of(admin.post("/api/v1/data-sources/NO%20PE/pull"), 404, "not_found")
    error_of(admin.get("/api/v1/pull-runs?status=maybe"), 422, "validation_failed")
    make_source("other", "http://127.0.0.1:9/x")
    assert count(AuditEvent, AuditEvent.action == "source.save") == 2
    assert person("admin").id


def test_a_level_whose_indicator_asks_for_evidence_is_refused_without_it(app, org, api_as):
    """创新工作 (QUAL-INNOVATION) is scored on anchored levels and 须提交创新案例佐证材料."""
    head, department = api_as("head_admin"), org["JG-ZH"].id
    fields = {"indicator": "QUAL-INNOVATION", "period": "2026", "value": "4"}
    error = error_of(_report(head, department, **fields), 422, "validation_failed")
    assert "须提交佐证材料（须提交创新案例佐证材料）" in " ".join(error["fields"]["file"])
    assert count(Actual) == 0 and _storage_files(app) == []
    response = _report(head, department, ("创新案例.pdf", PDF), **fields)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["evidence"]["filename"] == "创新案例.pdf"
    # a figure of a quantitative indicator still needs no file
    assert _report(api_as("head_fin"), org["CZ-YS"].id).status_code == 201
