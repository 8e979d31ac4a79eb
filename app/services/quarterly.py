"""Quarterly review (季度反馈): compare a department's actuals to date with its letter's
pro-rated targets, record the supervising leader's interview (约谈) about lagging lines, rate
the quarter, and count the year's 优秀 quarters. The rules are `app.rules.quarterly`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import Department, Interview, Person, ProcessInstance, QuarterlyReview
from app.rules import quarterly as rules
from app.rules.grading import Grade
from app.services import audit, grades, measures, permissions
from app.services.errors import Conflict, Invalid, NotFound

NOTES_MAX = 5000
COMMITMENT_MAX = 1000


def _figure(value) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _quarter(quarter: Any) -> int:
    if isinstance(quarter, bool) or not isinstance(quarter, int) or quarter not in rules.QUARTERS:
        raise ValueError(f"quarter must be 1..4, not {quarter!r}")
    return quarter


def _review(process: ProcessInstance, quarter: int) -> QuarterlyReview | None:
    return db.session.scalars(
        select(QuarterlyReview).where(
            QuarterlyReview.instance_id == process.id, QuarterlyReview.quarter == quarter
        )
    ).first()


def compare(instance_id: int, quarter: Any) -> QuarterlyReview:
    """Check every quantitative line at the end of `quarter`; store (or refresh) the quarter's
    review with its lagging lines."""
    quarter = _quarter(quarter)
    process = measures.instance(instance_id)
    year = process.campaign.year
    lagging: list[dict[str, Any]] = []
    for m in measures.measures(process):
        check = rules.check_line(m.key, m.definition, m.merged(), year, quarter)
        if check is None or not check.lagging:
            continue
        lagging.append(
            {
                "line_id": m.line.id,
                "indicator": m.line.indicator_code,
                "name": m.line.name,
                "unit": m.line.unit,
                "direction": m.line.direction,
                "actual": _figure(check.actual),
                "expected": _figure(check.expected),
                "reason": check.reason,
            }
        )
    review = _review(process, quarter)
    if review is None:
        review = QuarterlyReview(
            instance_id=process.id,
            department_id=process.department_id,
            campaign_id=process.campaign_id,
            year=year,
            quarter=quarter,
        )
        db.session.add(review)
    review.lines = lagging
    review.lagging = len(lagging)
    review.compared_at = clock.now()
    db.session.flush()
    return review


def rate(instance_id: int, quarter: Any) -> QuarterlyReview:
    """The quarter's score from the actuals to date and its grade from the campaign's grade
    table; compares first when the quarter has no review yet."""
    quarter = _quarter(quarter)
    process = measures.instance(instance_id)
    review = _review(process, quarter) or compare(instance_id, quarter)
    lines = [
        rules.RatedLine(m.definition, m.line.weight, m.merged()) for m in measures.measures(process)
    ]
    score = rules.quarter_score(lines, process.campaign.year, quarter)
    if score is None:
        raise Conflict("the letter has no quantitative line to rate the quarter on")
    review.score = score
    review.rating = grades.grade_for(score, process.campaign).value
    review.rated_at = clock.now()
    db.session.flush()
    return review


def excellent_quarters(department_id: int, year: int) -> int:
    """How many quarters of the year were rated 优秀 for the department."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(QuarterlyReview)
            .where(
                QuarterlyReview.department_id == department_id,
                QuarterlyReview.year == year,
                QuarterlyReview.rating == Grade.EXCELLENT.value,
            )
        )
        or 0
    )


def open_review(instance_id: int) -> QuarterlyReview | None:
    """The review an interview form is about: the instance's latest compared quarter with
    lagging lines and no interview yet."""
    return db.session.scalars(
        select(QuarterlyReview)
        .where(QuarterlyReview.instance_id == instance_id, QuarterlyReview.lagging > 0)
        .where(~QuarterlyReview.interview.has())
        .order_by(QuarterlyReview.quarter.desc())
        .limit(1)
    ).first()


def record_interview(process: ProcessInstance, actor: Person, data: Mapping[str, Any]) -> Interview:
    """The leader's interview: notes, one commitment per lagging line (in any order, each
    line once), and a next check date after today and by the end of the following year."""
    review = open_review(process.id)
    if review is None:
        raise Conflict("there is no quarterly review with lagging lines to interview about")
    errors: dict[str, list[str]] = {}
    lagging = {line["line_id"]: line for line in review.lines}
    given: Sequence[Mapping[str, Any]] = data["commitments"]
    seen: set[int] = set()
    for i, item in enumerate(given):
        line_id = item["line_id"]
        if line_id not in lagging:
            errors[f"commitments.{i}.line_id"] = [Message("不是本季度的滞后指标。")]
        elif line_id in seen:
            errors[f"commitments.{i}.line_id"] = [Message("每个滞后指标只填写一项整改承诺。")]
        seen.add(line_id)
    missing = [line["name"] for line_id, line in lagging.items() if line_id not in seen]
    if missing:
        errors.setdefault("commitments", []).append(
            Message("请为每个滞后指标填写整改承诺：%(lines)s", lines=missing)
        )
    next_check: date = data["next_check"]
    if next_check <= clock.today():
        errors.setdefault("next_check", []).append(Message("下次检查日期须晚于今天。"))
    elif next_check > date(review.year + 1, 12, 31):
        errors.setdefault("next_check", []).append(
            Message("下次检查日期不得晚于%(year)s年底。", year=review.year + 1)
        )
    if errors:
        raise Invalid("the interview has errors", fields=errors)
    interview = Interview(
        review_id=review.id,
        interviewer_id=actor.id,
        notes=data["notes"].strip(),
        commitments=[
            {
                "line_id": item["line_id"],
                "indicator": lagging[item["line_id"]]["indicator"],
                "name": lagging[item["line_id"]]["name"],
                "commitment": item["commitment"].strip(),
            }
            for item in given
        ],
        next_check=next_check,
        interviewed_at=clock.now(),
    )
    db.session.add(interview)
    db.session.flush()
    audit.record(
        "quarterly.interview",
        actor,
        "quarterly_review",
        review.id,
        quarter=review.quarter,
        year=review.year,
        lagging=review.lagging,
        next_check=next_check.isoformat(),
    )
    return interview


def listing(actor: Person, department_id: int, year: int) -> list[QuarterlyReview]:
    """A department's quarterly reviews of a year (whoever may see the department)."""
    department = db.session.get(Department, department_id)
    if department is None or not permissions.may_view_department(actor, department):
        raise NotFound(f"department {department_id} not found")
    return list(
        db.session.scalars(
            select(QuarterlyReview)
            .where(QuarterlyReview.department_id == department_id, QuarterlyReview.year == year)
            .order_by(QuarterlyReview.quarter)
        )
    )
