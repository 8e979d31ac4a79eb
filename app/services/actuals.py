"""Actuals (实际值): a person reports one with evidence; rows from an adapter (file import, HTTP
pull, see handlers/sources) are checked all together and recorded; the record of pulls; lists.

Which indicators a department has actuals for in a year: the library lines of its signed
(locked) letter; before the letter is signed, the lines of its plan; with neither, the year's
library indicators that apply to its function category.

Recording: a reported value is always a new revision (a person reporting again is an event of
its own). A file or pulled value equal to the current one of its source changes nothing, so
importing or pulling the same figures again is idempotent; a different value supersedes the
current one (kept, with `superseded_at` and `superseded_by_id`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import (
    Actual,
    Campaign,
    DataSource,
    Department,
    DepartmentPlan,
    Evidence,
    Indicator,
    LetterLine,
    Person,
    PullRun,
    ResponsibilityLetter,
)
from app.rules.actuals import PERIOD_HELP, evidence_required, parse_period, parse_value
from app.services import audit, campaigns, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.org_import import Report, RowError
from app.services.storage import storage

ZIP = (b"PK\x03\x04",)
EVIDENCE_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".csv": ("text/csv", None),  # text: checked by decoding
}


@dataclass(frozen=True)
class SourceRow:
    """One figure as a source hands it over, before any checking."""

    row: int  # where it is in the source: the file's row number, or the item's number (1…)
    department: str  # department code
    indicator: str  # indicator code of the library
    period: str  # app.rules.actuals.parse_period
    value: Any  # text or number, parsed by app.rules.actuals.parse_value
    note: str = ""


@dataclass(frozen=True)
class CheckedRow:
    row: int
    department: Department
    indicator: Indicator
    period: str
    value: Decimal
    note: str | None


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    actuals: list[Actual] = field(default_factory=list)


# -- which indicators ------------------------------------------------------------------------


def _library(year: int) -> dict[str, Indicator]:
    return {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.year == year))}


def measured_codes(department: Department, year: int, library: dict[str, Indicator]) -> set[str]:
    """Indicator codes the department has actuals for in `year` (see the module docstring)."""
    letter_codes = db.session.scalars(
        select(LetterLine.indicator_code)
        .join(ResponsibilityLetter)
        .join(Campaign, Campaign.id == ResponsibilityLetter.campaign_id)
        .where(
            Campaign.year == year,
            ResponsibilityLetter.department_id == department.id,
            ResponsibilityLetter.status == "locked",
            LetterLine.indicator_code.is_not(None),
        )
    ).all()
    if letter_codes:
        return set(letter_codes)
    plan_codes = db.session.scalars(
        select(Indicator.code)
        .select_from(DepartmentPlan)
        .join(Campaign, Campaign.id == DepartmentPlan.campaign_id)
        .join(DepartmentPlan.lines)
        .join(Indicator)
        .where(Campaign.year == year, DepartmentPlan.department_id == department.id)
    ).all()
    if plan_codes:
        return set(plan_codes)
    category = department.function_category
    return {
        code
        for code, ind in library.items()
        if not ind.retired and (not ind.categories or category in ind.categories)
    }


# -- checking --------------------------------------------------------------------------------


def _departments_named(codes: set[str]) -> dict[str, Department]:
    """The departments the rows name, by code: a head's one figure reads one department, not
    the whole city (in bounded IN lists, for an import of thousands of rows)."""
    ordered = sorted(c for c in codes if c)
    found: dict[str, Department] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(
            (d.code, d)
            for d in db.session.scalars(select(Department).where(Department.code.in_(chunk)))
        )
    return found


def check_rows(rows: Sequence[SourceRow]) -> tuple[list[CheckedRow], list[RowError]]:
    """Every row's errors (unknown department, unknown or unmeasured indicator, bad period,
    non-numeric or out-of-range value, duplicate), and the rows that passed."""
    departments = _departments_named({str(r.department or "").strip() for r in rows})
    libraries: dict[int, dict[str, Indicator]] = {}
    measured: dict[tuple[int, int], set[str]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    checked: list[CheckedRow] = []
    errors: list[RowError] = []
    for r in rows:
        found: list[RowError] = []
        code = str(r.department or "").strip()
        department = departments.get(code)
        if not code:
            found.append(RowError(r.row, "department", Message("必填。")))
        elif department is None or not department.active:
            found.append(
                RowError(r.row, "department", Message("科室「%(code)s」不存在。", code=code[:40]))
            )
            department = None
        period = parse_period(r.period)
        if period is None:
            found.append(RowError(r.row, "period", PERIOD_HELP))
        indicator_code = str(r.indicator or "").strip()
        indicator = None
        if not indicator_code:
            found.append(RowError(r.row, "indicator", Message("必填。")))
        elif period is not None:
            library = libraries.setdefault(period.year, _library(period.year))
            indicator = library.get(indicator_code)
            if indicator is None:
                found.append(
                    RowError(
                        r.row,
                        "indicator",
                        Message(
                            "指标「%(code)s」在%(year)s年度指标库中不存在。",
                            code=indicator_code[:40],
                            year=period.year,
                        ),
                    )
                )
            elif department is not None:
                key = (department.id, period.year)
                if key not in measured:
                    measured[key] = measured_codes(department, period.year, library)
                if indicator_code not in measured[key]:
                    found.append(
                        RowError(
                            r.row,
                            "indicator",
                            Message(
                                "指标「%(code)s」不是该科室%(year)s年度的考核指标。",
                                code=indicator_code,
                                year=period.year,
                            ),
                        )
                    )
                    indicator = None
        value, problem = parse_value(r.value, indicator.unit if indicator is not None else "")
        if problem:
            found.append(RowError(r.row, "value", problem))
        if department is not None and period is not None and indicator_code:
            duplicate = (department.code, indicator_code, period.key)
            if duplicate in seen:
                found.append(
                    RowError(r.row, "period", Message("与第%(row)s行重复。", row=seen[duplicate]))
                )
            else:
                seen[duplicate] = r.row
        note = str(r.note or "").strip()
        if len(note) > 500:
            found.append(RowError(r.row, "note", Message("最多500个字符。")))
        if found:
            errors.extend(found)
        elif department is not None and indicator is not None and period and value is not None:
            checked.append(
                CheckedRow(r.row, department, indicator, period.key, value, note or None)
            )
    return checked, errors


# -- recording -------------------------------------------------------------------------------


def _current(row: CheckedRow, source: str) -> Actual | None:
    return db.session.scalars(
        select(Actual).where(
            Actual.department_id == row.department.id,
            Actual.indicator_id == row.indicator.id,
            Actual.period == row.period,
            Actual.source == source,
            Actual.superseded_at.is_(None),
        )
    ).first()


def _write(
    row: CheckedRow,
    source: str,
    origin: str,
    actor: Person | None,
    *,
    always_new: bool = False,
    evidence: Evidence | None = None,
    pull_run: PullRun | None = None,
) -> tuple[str, Actual]:
    current = _current(row, source)
    if current is not None and not always_new and current.value == row.value:
        return "unchanged", current
    actual = Actual(
        campaign_id=campaigns.get_or_create(int(row.period[:4])).id,
        department_id=row.department.id,
        indicator_id=row.indicator.id,
        indicator=row.indicator,
        period=row.period,
        source=source,
        origin=origin[:200],
        value=row.value,
        note=row.note,
        revision=(current.revision + 1) if current is not None else 1,
        recorded_by_id=actor.id if actor is not None else None,
        recorded_at=clock.now(),
        evidence=evidence,
        pull_run_id=pull_run.id if pull_run is not None else None,
    )
    db.session.add(actual)
    db.session.flush()
    if current is None:
        return "created", actual
    current.superseded_at = actual.recorded_at
    current.superseded_by_id = actual.id
    db.session.flush()
    return "updated", actual


def record_rows(
    rows: Sequence[CheckedRow],
    source: str,
    origin: str,
    actor: Person | None,
    pull_run: PullRun | None = None,
) -> Written:
    written = Written()
    for row in rows:
        outcome, actual = _write(row, source, origin, actor, pull_run=pull_run)
        setattr(written, outcome, getattr(written, outcome) + 1)
        written.actuals.append(actual)
    return written


# -- a person reports ------------------------------------------------------------------------


def _visible_department(actor: Person, department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or not permissions.may_view_department(actor, department):
        raise NotFound(f"department {department_id} not found")
    return department


def check_evidence(filename: str, data: bytes) -> tuple[str, str]:
    """(suffix, content type) of an acceptable evidence file; Invalid on the `file` field."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in EVIDENCE_TYPES:
        raise Invalid(
            "this type of file is not accepted as evidence",
            fields={"file": [Message("佐证材料仅支持pdf、png、jpg、xlsx、docx、csv文件。")]},
        )
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if len(data) > limit:
        raise Invalid(
            "the evidence file is too large",
            fields={"file": [Message("文件不能超过%(limit)s字节。", limit=limit)]},
        )
    if not data:
        raise Invalid("the evidence file is empty", fields={"file": [Message("文件为空。")]})
    content_type, magic = EVIDENCE_TYPES[suffix]
    if magic is not None and not data.startswith(magic):
        raise Invalid(
            "the file's content does not match its type",
            fields={"file": [Message("文件内容与扩展名%(suffix)s不符。", suffix=suffix)]},
        )
    if magic is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                text = "\0"
        if "\0" in text:
            raise Invalid(
                "a .csv file must be text",
                fields={"file": [Message("csv文件须为UTF-8或GB18030文本。")]},
            )
    return suffix, content_type


def store_evidence(actor: Person | None, filename: str, data: bytes) -> Evidence:
    """Check an uploaded evidence file (`check_evidence`: Invalid on the `file` field), put its
    bytes in the storage and add its row (flushed, so it has an id). The row belongs to the
    caller's unit of work; bytes of a rolled-back one are a harmless content-addressed orphan."""
    suffix, content_type = check_evidence(filename, data)
    key, digest = storage().put(data, suffix)
    evidence = Evidence(
        filename=PurePath(filename).name[-200:],
        storage_key=key,
        sha256=digest,
        size=len(data),
        content_type=content_type,
        uploaded_by_id=actor.id if actor is not None else None,
        uploaded_at=clock.now(),
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def report(
    actor: Person,
    department_id: int,
    indicator: str,
    period: str,
    value: Any,
    note: str | None = None,
    upload: tuple[str, bytes] | None = None,
) -> Actual:
    """A department head or staff member reports an actual of their own department, with an
    optional evidence file (checked before anything is stored)."""
    department = _visible_department(actor, department_id)
    if not permissions.may_report_actuals(actor, department):
        raise Forbidden("only the department's head and staff report its actuals")
    checked, errors = check_rows(
        [SourceRow(1, department.code, indicator, period, value, note or "")]
    )
    if errors:
        fields: dict[str, list[str]] = {}
        for error in errors:
            fields.setdefault(error.column, []).append(error.message)
        raise Invalid("the actual has errors", fields=fields)
    indicator_row = checked[0].indicator
    if upload is None and evidence_required(indicator_row.method, indicator_row.evidence):
        raise Invalid(
            "this level needs evidence",
            fields={
                "file": [
                    Message(
                        "“%(name)s”须提交佐证材料（%(what)s），请上传后再报送。",
                        name=indicator_row.name,
                        what=indicator_row.evidence,
                    )
                ]
            },
        )
    evidence = None if upload is None else store_evidence(actor, *upload)
    _, actual = _write(
        checked[0], "reported", actor.username, actor, always_new=True, evidence=evidence
    )
    audit.record(
        "actual.report",
        actor,
        "actual",
        actual.id,
        department=department.code,
        indicator=actual.indicator.code,
        period=actual.period,
        value=f"{actual.value:f}",
        revision=actual.revision,
        evidence_sha256=evidence.sha256 if evidence else None,
    )
    return actual


def listing(
    actor: Person,
    department_id: int,
    year: int,
    *,
    indicator: str | None = None,
    period: str | None = None,
    source: str | None = None,
    history: bool = False,
) -> list[Actual]:
    """A department's actuals of a year (current values; every revision with `history`)."""
    _visible_department(actor, department_id)
    query = (
        select(Actual)
        .join(Campaign, Campaign.id == Actual.campaign_id)
        .join(Indicator, Indicator.id == Actual.indicator_id)
        .where(Actual.department_id == department_id, Campaign.year == year)
    )
    if indicator:
        query = query.where(Indicator.code == indicator)
    if period:
        parsed = parse_period(period)
        if parsed is None:
            raise Invalid("bad period", fields={"period": [PERIOD_HELP]})
        query = query.where(Actual.period == parsed.key)
    if source:
        query = query.where(Actual.source == source)
    if not history:
        query = query.where(Actual.superseded_at.is_(None))
    return list(
        db.session.scalars(
            query.order_by(Indicator.code, Actual.period, Actual.source, Actual.revision)
        ).unique()
    )


def evidence_of(actor: Person, actual_id: int) -> tuple[Evidence, bytes]:
    actual = db.session.get(Actual, actual_id)
    if actual is None or not permissions.may_view_department(actor, actual.department):
        raise NotFound(f"actual {actual_id} not found")
    if actual.evidence is None:
        raise NotFound(f"actual {actual_id} has no evidence")
    return actual.evidence, storage().read(actual.evidence.storage_key)


# -- the centre imports ----------------------------------------------------------------------


def require_centre(actor: Person) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre does this")


def import_rows(
    actor: Person,
    origin: str,
    rows: Sequence[SourceRow],
    dry_run: bool,
    header_errors: Sequence[RowError] = (),
) -> Report:
    """Check every row; a dry run stops there; a real run with any error writes nothing (422
    with the report); a clean run records the rows as `file` actuals."""
    require_centre(actor)
    report = Report(kind="actuals", dry_run=dry_run, rows=len(rows), errors=list(header_errors))
    checked: list[CheckedRow] = []
    if not report.errors:
        checked, errors = check_rows(rows)
        report.errors.extend(errors)
    if report.errors and not dry_run:
        raise Invalid("the file has errors; nothing was imported", report=report.as_dict())
    if dry_run:
        return report
    written = record_rows(checked, "file", origin, actor)
    report.created, report.updated, report.unchanged = (
        written.created,
        written.updated,
        written.unchanged,
    )
    audit.record(
        "actual.import",
        actor,
        "actual",
        None,
        filename=origin[:200],
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )
    return report


# -- data sources and pull runs --------------------------------------------------------------


def sources(actor: Person) -> list[DataSource]:
    require_centre(actor)
    return list(db.session.scalars(select(DataSource).order_by(DataSource.name)))


def source_named(name: str) -> DataSource:
    found = db.session.scalars(select(DataSource).where(DataSource.name == name)).first()
    if found is None:
        raise NotFound(f"data source {name!r} not found")
    return found


def save_source(actor: Person, name: str, data: dict[str, Any]) -> DataSource:
    """Create or replace a data source's configuration."""
    require_centre(actor)
    found = db.session.scalars(select(DataSource).where(DataSource.name == name)).first()
    created = found is None
    if found is None:
        found = DataSource(name=name)
        db.session.add(found)
    for key in ("description", "url", "mapping", "timeout_seconds", "retries", "active"):
        setattr(found, key, data[key])
    found.updated_at = clock.now()
    found.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "source.save",
        actor,
        "data_source",
        found.id,
        name=name,
        created=created,
        url=found.url,
        mapping=found.mapping,
    )
    return found


def record_run(
    source: DataSource,
    *,
    trigger: str,
    actor: Person | None,
    started_at: datetime,
    attempts: int,
    retry_of: PullRun | None = None,
    rows: Sequence[SourceRow] = (),
    error_kind: str | None = None,
    error: str | None = None,
    http_status: int | None = None,
) -> PullRun:
    """Record a pull: a failed fetch (error_kind set) writes no actuals; fetched rows are
    checked all together, and any row error fails the run with nothing written."""
    run = PullRun(
        source_id=source.id,
        source=source,
        trigger=trigger,
        retry_of_id=retry_of.id if retry_of is not None else None,
        started_at=started_at,
        attempts=attempts,
        http_status=http_status,
        rows=len(rows),
        triggered_by_id=actor.id if actor is not None else None,
        status="failed",
        error_kind=error_kind,
        error=error[:2000] if error else None,
        row_errors=[],
    )
    db.session.add(run)
    db.session.flush()
    if error_kind is None:
        checked, errors = check_rows(rows)
        if errors:
            run.error_kind = "rows"
            run.error = f"{len(errors)} 处数据错误，未写入任何数据。"
            run.row_errors = [e.__dict__ for e in errors[:500]]
        else:
            written = record_rows(checked, "pull", source.name, actor, pull_run=run)
            run.status = "succeeded"
            run.created, run.updated, run.unchanged = (
                written.created,
                written.updated,
                written.unchanged,
            )
    run.finished_at = clock.now()
    db.session.flush()
    audit.record(
        "source.pull",
        actor,
        "pull_run",
        run.id,
        source=source.name,
        status=run.status,
        trigger=trigger,
        retry_of=run.retry_of_id,
        error_kind=run.error_kind,
        http_status=http_status,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
    )
    return run


def sources_due(since: datetime, quiet: timedelta = timedelta(hours=1)) -> list[DataSource]:
    """Active sources with no successful pull since `since` and no attempt within `quiet`
    (a source that just failed is not asked again by every instance that arrives; the centre
    retries it, or the next arrival after the quiet time does)."""
    pulled = select(PullRun.source_id).where(
        PullRun.status == "succeeded", PullRun.started_at >= since
    )
    tried = select(PullRun.source_id).where(PullRun.started_at >= clock.now() - quiet)
    return list(
        db.session.scalars(
            select(DataSource)
            .where(
                DataSource.active.is_(True),
                DataSource.id.not_in(pulled),
                DataSource.id.not_in(tried),
            )
            .order_by(DataSource.name)
        )
    )


def failed_pulls() -> list[PullRun]:
    """Each source's latest run, where it failed: what the centre has to retry (a later
    successful run of the source clears it)."""
    latest = (
        select(PullRun.source_id, func.max(PullRun.id).label("id"))
        .group_by(PullRun.source_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(PullRun)
            .join(latest, latest.c.id == PullRun.id)
            .where(PullRun.status == "failed")
            .order_by(PullRun.started_at.desc())
        )
    )


def runs(actor: Person, source: str | None = None, status: str | None = None) -> list[PullRun]:
    require_centre(actor)
    query = select(PullRun).order_by(PullRun.id.desc()).limit(200)
    if source:
        query = query.where(
            PullRun.source_id.in_(select(DataSource.id).where(DataSource.name == source))
        )
    if status:
        query = query.where(PullRun.status == status)
    return list(db.session.scalars(query))


def run_to_retry(actor: Person, run_id: int) -> PullRun:
    require_centre(actor)
    run = db.session.get(PullRun, run_id)
    if run is None:
        raise NotFound(f"pull run {run_id} not found")
    if run.status != "failed":
        raise Conflict("only a failed pull is retried", run_status=run.status)
    return run


def count(**where: Any) -> int:
    """How many actual rows match (tests and the CLI use it)."""
    return db.session.scalar(select(func.count()).select_from(Actual).filter_by(**where)) or 0
