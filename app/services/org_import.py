"""Import the organisation and its people from the centre's own CSV or Excel lists.

Two kinds of file, with Chinese headers (English keys also accepted):
- `org`:    单位编码, 单位名称, 科室编码, 科室名称, 职能类别
- `people`: 用户名, 姓名, 科室编码, 邮箱, 角色 — roles separated by ";", each `角色` (city-wide),
            `角色@科室编码`, or `角色@单位:单位编码`, e.g. `分管领导@CZ-YS;分管领导@RS-RS`.

Every row is checked before anything is written; the report lists each row's errors. A dry run
stops there; a real run with any error writes nothing (422 with the same report). A clean run
upserts by code / username, so importing the same file again changes nothing. For the people in
the file, the file is the truth about their roles: roles it no longer lists end today; a changed
department is a dated move with the open-task rule (app.services.org.move_person).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from app import safe_input
from app.extensions import db
from app.i18n import CATEGORY_NAMES, ROLE_NAMES, Message, key_for
from app.models import Department, Person, Unit
from app.services import audit, org, permissions
from app.services.errors import Forbidden, Invalid

MAX_ROWS = 5000
ROW_KEY = "_row"  # a row's number in the file (the header is row 1)
HEADERS = {
    "org": {
        "单位编码": "unit_code",
        "单位名称": "unit_name",
        "科室编码": "department_code",
        "科室名称": "department_name",
        "职能类别": "function_category",
    },
    "people": {
        "用户名": "username",
        "姓名": "name",
        "科室编码": "department_code",
        "邮箱": "email",
        "角色": "roles",
    },
}
REQUIRED = {
    "org": ("unit_code", "unit_name", "department_code", "department_name", "function_category"),
    "people": ("username", "name"),
}


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Report:
    kind: str
    dry_run: bool
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.__dict__ for e in self.errors],
        }


# -- reading (pure) -------------------------------------------------------------------------


def read_rows(filename: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8 or GB18030, as Excel writes it in China) or XLSX file, as dicts of
    the header's cells, all values as stripped strings."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            table = [
                ["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
            ]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise Invalid("not a readable .xlsx file", fields={"file": [str(exc)[:200]]}) from exc
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise Invalid(
                "unknown text encoding", fields={"file": [Message("请使用UTF-8或GB18030编码。")]}
            )
        reader = csv.reader(io.StringIO(text))
        try:
            table = [[c.strip() for c in row] for row in reader]
        except csv.Error as exc:  # a cell over csv.field_size_limit() (131,072 characters)
            limit = csv.field_size_limit()
            raise Invalid(
                "a cell is too long",
                fields={
                    "file": [
                        Message(
                            "第%(row)s行有超过%(n)s个字符的单元格。",
                            row=reader.line_num,
                            n=limit,
                        )
                    ]
                },
            ) from exc
    else:
        raise Invalid(
            "the file must be .csv or .xlsx", fields={"file": [Message("仅支持.csv或.xlsx。")]}
        )
    # Blank rows are skipped, but each row keeps its number in the file (ROW_KEY), so the
    # report points at the row the centre sees in Excel.
    numbered = [(number, row) for number, row in enumerate(table, start=1) if any(row)]
    if not numbered:
        raise Invalid("the file is empty", fields={"file": [Message("文件为空。")]})
    if len(numbered) > MAX_ROWS + 1:
        raise Invalid("too many rows", fields={"file": [Message("最多%(n)s行。", n=MAX_ROWS)]})
    (_, header), body = numbered[0], numbered[1:]
    return [
        {
            **dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)),
            ROW_KEY: str(number),
        }
        for number, row in body
    ]


def normalise(kind: str, raw_rows: list[dict[str, str]]) -> tuple[list[dict], list[RowError]]:
    """Map headers to keys and check the header row; errors on row 1 are header errors."""
    return map_headers(HEADERS[kind], REQUIRED[kind], raw_rows)


def map_headers(
    mapping: dict[str, str], required: tuple[str, ...], raw_rows: list[dict[str, str]]
) -> tuple[list[dict], list[RowError]]:
    """Rows keyed by `mapping`'s keys (Chinese header → key; the keys themselves are accepted
    as headers too) and the header errors (row 1) for `required` columns that are missing."""
    keys = {**mapping, **{v: v for v in mapping.values()}}
    rows = [
        {keys[k]: v for k, v in r.items() if k in keys} | {ROW_KEY: r.get(ROW_KEY, "")}
        for r in raw_rows
    ]
    present = set(rows[0]) if rows else set()
    errors = [
        RowError(1, column, Message("缺少此列。"))
        for column in required
        if rows and column not in present
    ]
    # Text no database takes (NUL, lone surrogates), named by row and column before any check.
    for row in rows:
        for column, value in row.items():
            problem = column != ROW_KEY and safe_input.text_problem(value)
            if problem:
                errors.append(RowError(int(row[ROW_KEY] or 0), column, problem))
    return rows, errors


def parse_role(spec: str) -> tuple[str | None, str | None, str | None, str | None]:
    """`角色[@科室编码|@单位:单位编码]` → (role, department code, unit code, error)."""
    name, _, scope = spec.strip().partition("@")
    role = key_for(ROLE_NAMES, name)
    if role is None:
        return None, None, None, Message("未知角色「%(name)s」。", name=name)
    if not scope:
        return role, None, None, None
    if scope.startswith(("单位:", "unit:")):
        return role, None, scope.split(":", 1)[1].strip(), None
    return role, scope.strip(), None, None


# -- checking and applying ------------------------------------------------------------------


def run(kind: str, filename: str, data: bytes, actor: Person, dry_run: bool) -> Report:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre imports the organisation")
    if kind not in HEADERS:
        raise Invalid("unknown import kind", fields={"kind": [Message("可选：org、people。")]})
    rows, errors = normalise(kind, read_rows(filename, data))
    report = Report(kind=kind, dry_run=dry_run, rows=len(rows), errors=errors)
    if not errors:
        check = _check_org if kind == "org" else _check_people
        report.errors.extend(check(rows))
    if report.errors and not dry_run:
        raise Invalid("the file has errors; nothing was imported", report=report.as_dict())
    if not report.errors and not dry_run:
        (_apply_org if kind == "org" else _apply_people)(rows, actor, report)
        audit.record(
            "org.import",
            actor,
            "organisation",
            None,
            kind=kind,
            filename=filename[:200],
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )
    return report


def _check_org(rows: list[dict]) -> list[RowError]:
    errors: list[RowError] = []
    seen_departments: dict[str, int] = {}
    unit_names: dict[str, str] = {}
    for index, row in enumerate(rows, start=2):
        number = int(row.get(ROW_KEY) or index)
        for column in REQUIRED["org"]:
            if not row.get(column):
                errors.append(RowError(number, column, Message("必填。")))
        for column, limit in (("unit_code", 32), ("department_code", 32)):
            if len(row.get(column, "")) > limit:
                errors.append(RowError(number, column, Message("最多%(n)s个字符。", n=limit)))
        for column in ("unit_name", "department_name"):
            if len(row.get(column, "")) > 100:
                errors.append(RowError(number, column, Message("最多100个字符。")))
        if row.get("function_category") and not key_for(CATEGORY_NAMES, row["function_category"]):
            errors.append(RowError(number, "function_category", Message("未知职能类别。")))
        code = row.get("department_code")
        if code in seen_departments:
            errors.append(
                RowError(
                    number,
                    "department_code",
                    Message("与第%(row)s行重复。", row=seen_departments[code]),
                )
            )
        elif code:
            seen_departments[code] = number
        unit = row.get("unit_code")
        if unit and unit_names.setdefault(unit, row.get("unit_name", "")) != row.get("unit_name"):
            errors.append(RowError(number, "unit_name", Message("同一单位编码的名称不一致。")))
    return errors


def _apply_org(rows: list[dict], actor: Person, report: Report) -> None:
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for row in rows:
        unit = units.get(row["unit_code"])
        if unit is None:
            unit = units[row["unit_code"]] = Unit(code=row["unit_code"], name=row["unit_name"])
            db.session.add(unit)
        elif unit.name != row["unit_name"]:
            unit.name = row["unit_name"]
        db.session.flush()
        wanted = {
            "name": row["department_name"],
            "unit_id": unit.id,
            "function_category": key_for(CATEGORY_NAMES, row["function_category"]),
        }
        department = departments.get(row["department_code"])
        if department is None:
            db.session.add(Department(code=row["department_code"], **wanted))
            report.created += 1
        elif any(getattr(department, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(department, k, v)
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()


def _role_specs(row: dict) -> list[str]:
    return [s for s in row.get("roles", "").replace("；", ";").split(";") if s.strip()]


def _check_people(rows: list[dict]) -> list[RowError]:
    errors: list[RowError] = []
    departments = set(db.session.scalars(select(Department.code)))
    units = set(db.session.scalars(select(Unit.code)))
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        number = int(row.get(ROW_KEY) or index)
        for column in REQUIRED["people"]:
            if not row.get(column):
                errors.append(RowError(number, column, Message("必填。")))
        username = row.get("username", "")
        if username and (
            len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum()
        ):
            errors.append(
                RowError(
                    number, "username", Message("用户名只能包含字母、数字、下划线和点，最多64位。")
                )
            )
        if username in seen:
            errors.append(
                RowError(number, "username", Message("与第%(row)s行重复。", row=seen[username]))
            )
        elif username:
            seen[username] = number
        if len(row.get("name", "")) > 100:
            errors.append(RowError(number, "name", Message("最多100个字符。")))
        email = row.get("email", "")
        if email and ("@" not in email or len(email) > 255):
            errors.append(RowError(number, "email", Message("邮箱格式不正确。")))
        if row.get("department_code") and row["department_code"] not in departments:
            errors.append(
                RowError(
                    number,
                    "department_code",
                    Message("科室「%(code)s」不存在。", code=row["department_code"]),
                )
            )
        for spec in _role_specs(row):
            _role, department, unit, problem = parse_role(spec)
            if problem:
                errors.append(RowError(number, "roles", problem))
            elif department and department not in departments:
                errors.append(
                    RowError(number, "roles", Message("「%(spec)s」中的科室不存在。", spec=spec))
                )
            elif unit and unit not in units:
                errors.append(
                    RowError(number, "roles", Message("「%(spec)s」中的单位不存在。", spec=spec))
                )
    return errors


def _apply_people(rows: list[dict], actor: Person, report: Report) -> None:
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    people = {p.username: p for p in db.session.scalars(select(Person))}
    for row in rows:
        department = departments.get(row.get("department_code", ""))
        person = people.get(row["username"])
        is_new, changed = person is None, False
        if person is None:
            person = Person(
                username=row["username"],
                display_name=row["name"],
                email=row.get("email") or None,
                department_id=department.id if department else None,
            )
            db.session.add(person)
            db.session.flush()
            report.created += 1
        else:
            for attr, value in (("display_name", row["name"]), ("email", row.get("email") or None)):
                if getattr(person, attr) != value:
                    setattr(person, attr, value)
                    changed = True
            if department is not None and person.department_id != department.id:
                org.move_person(actor, person, department.id, reason="组织架构导入", new_role=None)
                changed = True
        wanted = set()
        for spec in _role_specs(row):
            role, dept_code, unit_code, _ = parse_role(spec)
            wanted.add(
                (
                    role,
                    departments[dept_code].id if dept_code else None,
                    units[unit_code].id if unit_code else None,
                )
            )
        current = {(a.role, a.department_id, a.unit_id): a for a in person.current_roles()}
        for key in wanted - set(current):
            role, department_id, unit_id = key
            org.grant_role(
                actor,
                person,
                role,
                department_id=department_id,
                unit_id=unit_id,
                reason="组织架构导入",
            )
            changed = True
        for key in set(current) - wanted:
            org.end_role(actor, current[key].id, reason="组织架构导入")
            changed = True
        if not is_new:
            report.updated += changed
            report.unchanged += not changed
    db.session.flush()
