"""Importing the organisation and people from the centre's CSV/XLSX lists: a dry run reports
every row's errors, a real run with errors writes nothing, a clean run is idempotent."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from app.models import AuditEvent, Department, Person, RoleAssignment, Unit
from tests.conftest import person

URL = "/api/v1/org/import"
PEOPLE_HEADER = ["用户名", "姓名", "科室编码", "邮箱", "角色"]

BAD_PEOPLE = [
    ["", "无名", "CZ-YS", "a@jx.example.cn", "科室工作人员@CZ-YS"],  # 2: no username
    ["dup_user", "甲", "CZ-YS", "", "科室工作人员@CZ-YS"],  # 3: fine
    ["dup_user", "乙", "CZ-YS", "", "科室工作人员@CZ-YS"],  # 4: duplicate username
    ["bad_role", "丙", "CZ-YS", "", "科长@CZ-YS"],  # 5: unknown role
    ["bad_dept", "丁", "XX-00", "", "科室工作人员@XX-00"],  # 6: unknown department, twice
    ["bad_mail", "戊", "CZ-YS", "not-an-email", "科室工作人员@CZ-YS"],  # 7: bad email
    ["long_name", "长" * 101, "CZ-YS", "", ""],  # 8: overlong name
    ["bad user!", "己", "CZ-YS", "", ""],  # 9: bad username characters
    ["no_name", "", "CZ-YS", "", ""],  # 10: no name
    ["bad_unit", "庚", "", "", "分管领导@单位:NOPE"],  # 11: unknown unit in a role
    ["u" * 65, "辛", "", "", ""],  # 12: overlong username
]
BAD_PEOPLE_ERRORS = {
    (2, "username"),
    (4, "username"),
    (5, "roles"),
    (6, "department_code"),
    (6, "roles"),
    (7, "email"),
    (8, "name"),
    (9, "username"),
    (10, "name"),
    (11, "roles"),
    (12, "username"),
}

BAD_ORG = [
    ["单位编码", "单位名称", "科室编码", "科室名称", "职能类别"],
    ["CZJ", "市财政局", "CZ-NEW", "新科", "火箭"],  # 2: unknown function category
    ["CZJ", "市财政局（新）", "CZ-NEW2", "新二科", "财务"],  # 3: unit name differs
    ["", "", "", "", ""],  # 4: blank, skipped; the rows below keep their numbers in the file
    ["XJ", "", "CZ-NEW3", "", "财务"],  # 5: missing unit and department names
    ["CZJ", "市财政局", "CZ-NEW", "重复科", "财务"],  # 6: duplicate department code
    ["CZJ", "市财政局", "C" * 33, "长编码科", "财务"],  # 7: overlong code
    ["CZJ", "市财政局", "CZ-NEW6", "科" * 101, "财务"],  # 8: overlong name
]
BAD_ORG_ERRORS = {
    (2, "function_category"),
    (3, "unit_name"),
    (5, "unit_name"),
    (5, "department_name"),
    (6, "department_code"),
    (7, "department_code"),
    (8, "department_name"),
}

GOOD_PEOPLE = [
    ["new_kj", "钱多多", "CZ-KJ", "qian@jx.example.gov.cn", "科室工作人员@CZ-KJ"],
    ["new_head", "孙悦", "JG-HQ", "", "科室负责人@JG-HQ；科室工作人员@JG-HQ"],
    ["new_leader", "周全", "", "", "分管领导@单位:CZJ"],
]


def _csv(rows, header=PEOPLE_HEADER, encoding="utf-8") -> bytes:
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def _xlsx(rows, header=PEOPLE_HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(api, data: bytes, filename="people.csv", kind="people", dry_run=None):
    query = f"?kind={kind}" + ("" if dry_run is None else f"&dry_run={str(dry_run).lower()}")
    return api.post(
        URL + query,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _counts():
    """What an import could write: people, roles, departments, units, and org audit events."""
    return (
        Person.query.count(),
        RoleAssignment.query.count(),
        Department.query.count(),
        Unit.query.count(),
        AuditEvent.query.filter(AuditEvent.action.startswith("org.")).count(),
    )


def _located(errors) -> set[tuple[int, str]]:
    assert all(e["message"] for e in errors)
    return {(e["row"], e["column"]) for e in errors}


def test_a_dry_run_reports_every_bad_row_and_writes_nothing(api_as, org):
    before = _counts()
    response = _import(api_as("admin"), _csv(BAD_PEOPLE))  # dry run is the default
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["dry_run"], report["rows"], report["created"]) == (True, 11, 0)
    assert _located(report["errors"]) == BAD_PEOPLE_ERRORS
    messages = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert messages[(4, "username")] == "与第3行重复。"
    assert "科长" in messages[(5, "roles")]
    assert _counts() == before


def test_a_real_run_with_errors_writes_nothing(api_as, org):
    before = _counts()
    response = _import(api_as("admin"), _csv(BAD_PEOPLE), dry_run=False)
    assert response.status_code == 422
    report = response.get_json()["error"]["report"]
    assert report["dry_run"] is False
    assert _located(report["errors"]) == BAD_PEOPLE_ERRORS
    assert _counts() == before
    assert Person.query.filter_by(username="dup_user").count() == 0


def test_bad_organisation_rows(api_as, org):
    before = _counts()
    data = "\n".join(",".join(r) for r in BAD_ORG).encode()
    response = _import(api_as("admin"), data, "org.csv", kind="org")
    assert response.status_code == 200
    assert _located(response.get_json()["errors"]) == BAD_ORG_ERRORS
    messages = {(e["row"], e["column"]): e["message"] for e in response.get_json()["errors"]}
    assert messages[(6, "department_code")] == "与第2行重复。"
    assert _import(api_as("admin"), data, "org.csv", "org", dry_run=False).status_code == 422
    assert _counts() == before


def test_a_missing_column_is_a_header_error(api_as, org):
    data = _csv([["x_user", "CZ-YS"]], header=["用户名", "科室编码"])
    response = _import(api_as("admin"), data)
    assert response.status_code == 200
    assert _located(response.get_json()["errors"]) == {(1, "name")}


def test_a_good_file_creates_and_a_second_import_changes_nothing(api_as, org):
    admin = api_as("admin")
    dry = _import(admin, _csv(GOOD_PEOPLE))
    assert dry.get_json() | {"errors": None} == {
        "kind": "people",
        "dry_run": True,
        "rows": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": None,
    }
    assert Person.query.filter_by(username="new_kj").count() == 0

    first = _import(admin, _csv(GOOD_PEOPLE), dry_run=False)
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["created"], first.get_json()["errors"]) == (3, [])
    roles = {
        (a.role, a.department and a.department.code, a.unit and a.unit.code)
        for a in person("new_head").roles
    }
    assert roles == {("department_head", "JG-HQ", None), ("staff", "JG-HQ", None)}
    [leader_role] = person("new_leader").roles
    assert (leader_role.role, leader_role.unit.code) == ("supervising_leader", "CZJ")
    assert person("new_kj").department.code == "CZ-KJ"

    before = _counts()
    second = _import(admin, _csv(GOOD_PEOPLE), dry_run=False)
    assert second.status_code == 200
    assert {k: second.get_json()[k] for k in ("created", "updated", "unchanged")} == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert _counts()[:4] == before[:4]


def test_a_changed_row_updates_and_ends_roles_no_longer_listed(api_as, org):
    admin = api_as("admin")
    _import(admin, _csv(GOOD_PEOPLE), dry_run=False)
    changed = [list(r) for r in GOOD_PEOPLE]
    changed[1][4] = "科室工作人员@JG-HQ"  # no longer head
    report = _import(admin, _csv(changed), dry_run=False).get_json()
    assert (report["updated"], report["unchanged"]) == (1, 2)
    head_role = next(a for a in person("new_head").roles if a.role == "department_head")
    assert head_role.valid_to is not None  # ended, not deleted


def test_an_xlsx_file(api_as, org):
    response = _import(api_as("admin"), _xlsx(GOOD_PEOPLE), "人员名单.xlsx", dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 3
    assert person("new_head").display_name == "孙悦"


def test_an_xlsx_file_with_bad_rows(api_as, org):
    response = _import(api_as("admin"), _xlsx(BAD_PEOPLE), "people.xlsx")
    assert response.status_code == 200
    assert _located(response.get_json()["errors"]) == BAD_PEOPLE_ERRORS


def test_a_gb18030_csv(api_as, org):
    data = _csv(GOOD_PEOPLE, encoding="gb18030")
    assert data != _csv(GOOD_PEOPLE)
    response = _import(api_as("admin"), data, dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 3
    assert person("new_kj").display_name == "钱多多"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("people.txt", b"username,name\nx,y\n"),
        ("people.pdf", b"%PDF-1.4"),
        ("people.xlsx", b"not a zip file"),
        ("people.csv", b""),
        ("people.csv", b"\xff\xfe\x00\x00\xff"),  # neither UTF-8 nor GB18030
    ],
)
def test_unreadable_files_are_refused(api_as, org, filename, data):
    before = _counts()
    response = _import(api_as("admin"), data, filename, dry_run=False)
    assert response.status_code == 422, response.get_json()
    assert "file" in response.get_json()["error"]["fields"]
    assert _counts() == before


@pytest.mark.parametrize(
    "query",
    ["", "?kind=teams", "?kind=people&dry_run=maybe"],
    ids=["no-kind", "bad-kind", "bad-dry-run"],
)
def test_bad_import_parameters(api_as, org, query):
    response = api_as("admin").post(
        URL + query,
        data={"file": (io.BytesIO(_csv(GOOD_PEOPLE)), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert Person.query.filter_by(username="new_kj").count() == 0


def test_no_file_at_all(api_as, org):
    response = api_as("admin").post(
        URL + "?kind=people", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("username", "scopes"), [("head_fin", None), ("kh_chen", None), ("admin", ["read", "tasks"])]
)
def test_only_the_centre_imports(api_as, org, username, scopes):
    before = _counts()
    response = _import(api_as(username, scopes), _csv(GOOD_PEOPLE), dry_run=False)
    assert response.status_code == 403
    assert _counts()[:4] == before[:4]
