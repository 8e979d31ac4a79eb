"""The department's reporting sheet (报送实际值): its signed letter's lines for one period, each
with the figure reported so far, for the head's or staff's page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import defer

from app.extensions import db
from app.models import Actual, Campaign, Department, LetterLine, Person, ProcessInstance
from app.rules.actuals import PERIOD_HELP, evidence_required, parse_period
from app.services import actuals, letters, library, permissions
from app.services.errors import Forbidden, Invalid


@dataclass(frozen=True)
class ReportLine:
    line: LetterLine
    evidence: str  # what evidence the indicator asks for ("" when none is required)
    current: Actual | None  # the figure reported for the period, if any


def reporting_department(actor: Person) -> Department:
    """The department the person reports for: the one they are head or staff of."""
    department = actor.department
    if department is None or not permissions.may_report_actuals(actor, department):
        raise Forbidden("only a department's head and staff report its actuals")
    return department


def sheet(actor: Person, year: int, period: str) -> list[ReportLine]:
    department = reporting_department(actor)
    parsed = parse_period(period)
    if parsed is None or parsed.year != year:
        raise Invalid("bad period", fields={"period": [PERIOD_HELP]})
    instance = db.session.scalars(
        select(ProcessInstance)
        .options(defer(ProcessInstance.state, raiseload=True))
        .join(Campaign, Campaign.id == ProcessInstance.campaign_id)
        .where(ProcessInstance.department_id == department.id, Campaign.year == year)
        .order_by(ProcessInstance.id)
        .limit(1)
    ).first()
    letter = letters.current(instance.id) if instance is not None else None
    if letter is None or letter.status != "locked":
        return []
    reported = {
        a.indicator.code: a
        for a in actuals.listing(actor, department.id, year, period=parsed.key, source="reported")
    }
    codes = [ln.indicator_code for ln in letter.lines if ln.indicator_code]
    definitions = library.by_code(year, codes)
    result = []
    for line in letter.lines:
        if not line.indicator_code:
            continue
        indicator = definitions.get(line.indicator_code)
        needed = indicator is not None and evidence_required(indicator.method, indicator.evidence)
        result.append(
            ReportLine(
                line, indicator.evidence if needed else "", reported.get(line.indicator_code)
            )
        )
    return result


def history(actor: Person, year: int) -> list[Actual]:
    """Everything the department reported this year, every revision, newest first."""
    department = reporting_department(actor)
    rows = actuals.listing(actor, department.id, year, source="reported", history=True)
    return sorted(rows, key=lambda a: (a.recorded_at, a.id), reverse=True)
