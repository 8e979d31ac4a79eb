"""Figures for the supervisors' dashboards (统计分析): grades, ranking, indicator achievement,
quarterly and yearly trends, spot-check findings by month.

Every figure is an SQL aggregate over the tables the year writes (results, quarterly reviews,
letters and actuals, spot checks); no workflow is deserialised.

Who sees what follows the rules already in force, not new ones:
- only those who may supervise (`permissions.may_supervise`: the centre, supervising leaders,
  department heads) open the dashboards; the departments counted are the ones they supervise
  (`permissions.supervised_departments`: the centre all, a leader theirs, a head their own);
- results (grades, ranking, score trends) are the centre's until published (公示), then each
  person's own departments' only (`app.services.results.results`); a department head gets no
  city-wide aggregate, because no rule gives them other departments' results;
- quarterly reviews, letters and actuals, spot checks: whoever may see the department, as
  their listings (`quarterly.listing`, `actuals.listing`, `spot_checks.listing`) allow;
- ballots are not read at all: a department's evaluation reaches the dashboards only inside
  its published final score, so nothing here can narrow down how anyone voted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select

from app.extensions import db
from app.models import (
    Actual,
    Campaign,
    Department,
    DepartmentResult,
    Finding,
    Indicator,
    LetterLine,
    Person,
    Publication,
    QuarterlyReview,
    ResponsibilityLetter,
    SpotCheck,
    Unit,
)
from app.rules.grading import Grade
from app.rules.indicators import Direction
from app.rules.numbers import ZERO
from app.rules.quarterly import adds_up, is_lagging, year_value
from app.services import campaigns, permissions, results
from app.services.errors import Forbidden, NotFound

GRADES = tuple(g.value for g in Grade)  # best first
SOURCE_PREFERENCE = ("reported", "file", "pull")  # later wins, as in app.services.measures
QUARTERS = (1, 2, 3, 4)
MONTHS = tuple(range(1, 13))


def _text(value: Decimal | None, places: str = "0.01") -> str | None:
    return None if value is None else f"{value.quantize(Decimal(places)):f}"


@dataclass(frozen=True)
class Scope:
    """Whose figures a person may see: the departments they supervise, and whether results
    count before publication (the centre only)."""

    person: Person
    centre: bool

    def departments(self) -> Select[tuple[int]]:
        return permissions.supervised_departments(self.person)

    def results_of(self, query: Select) -> Select:
        """Restrict a query over `DepartmentResult` to the results the person may see."""
        query = query.where(DepartmentResult.department_id.in_(self.departments()))
        if self.centre:
            return query
        published = select(Publication.campaign_id).where(Publication.published_at.is_not(None))
        return query.where(DepartmentResult.campaign_id.in_(published))


def scope_of(person: Person) -> Scope:
    if not permissions.may_supervise(person):
        raise Forbidden(
            "only the centre, supervising leaders and department heads see the dashboards"
        )
    return Scope(person, permissions.is_centre_admin(person))


def years() -> list[int]:
    """Campaign years, newest first (for the picker: a year itself reveals nothing)."""
    return list(db.session.scalars(select(Campaign.year).order_by(Campaign.year.desc())))


# --- results: grades, ranking, years ----------------------------------------------------------


def grade_distribution(scope: Scope, campaign: Campaign) -> list[dict[str, Any]]:
    query = scope.results_of(
        select(DepartmentResult.grade, func.count())
        .where(DepartmentResult.campaign_id == campaign.id)
        .group_by(DepartmentResult.grade)
    )
    counts = {grade: count for grade, count in db.session.execute(query)}
    if not counts:
        return []
    extra = sorted(set(counts) - set(GRADES))  # a grade table's own keys, if any
    return [{"grade": g, "count": counts.get(g, 0)} for g in (*GRADES, *extra)]


def ranking(scope: Scope, campaign: Campaign) -> list[dict[str, Any]]:
    query = scope.results_of(
        select(
            Department.id,
            Department.name,
            Unit.name,
            DepartmentResult.final_score,
            DepartmentResult.grade,
            DepartmentResult.rank,
        )
        .join(Department, Department.id == DepartmentResult.department_id)
        .join(Unit, Unit.id == Department.unit_id)
        .where(DepartmentResult.campaign_id == campaign.id)
        .order_by(*results.RANKING_ORDER)
    )
    return [
        {
            "department_id": dept_id,
            "department": name,
            "unit": unit,
            "score": _text(score),
            "grade": grade,
            "rank": rank,
        }
        for dept_id, name, unit, score, grade, rank in db.session.execute(query)
    ]


def yearly_trend(scope: Scope) -> list[dict[str, Any]]:
    """Each campaign year with results the person may see: departments, mean final score and
    the grade counts, oldest first."""
    query = scope.results_of(
        select(
            Campaign.year,
            DepartmentResult.grade,
            func.count(),
            func.sum(DepartmentResult.final_score),
        )
        .join(Campaign, Campaign.id == DepartmentResult.campaign_id)
        .group_by(Campaign.year, DepartmentResult.grade)
        .order_by(Campaign.year)
    )
    by_year: dict[int, dict[str, Any]] = {}
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for year, grade, count, total in db.session.execute(query):
        entry = by_year.setdefault(year, {"year": year, "departments": 0, "grades": {}})
        entry["departments"] += count
        entry["grades"][grade] = count
        totals[year] += Decimal(total)
    for year, entry in by_year.items():
        entry["average_score"] = _text(totals[year] / entry["departments"])
    return list(by_year.values())


# --- quarterly reviews --------------------------------------------------------------------------


def quarterly_trend(scope: Scope, campaign: Campaign) -> list[dict[str, Any]]:
    """Per quarter of the year: reviews, the ones rated and their mean score, ratings by grade,
    and the lagging lines found."""
    query = (
        select(
            QuarterlyReview.quarter,
            QuarterlyReview.rating,
            func.count(),
            func.sum(QuarterlyReview.score),
            func.sum(QuarterlyReview.lagging),
        )
        .where(
            QuarterlyReview.campaign_id == campaign.id,
            QuarterlyReview.department_id.in_(scope.departments()),
        )
        .group_by(QuarterlyReview.quarter, QuarterlyReview.rating)
    )
    rows = list(db.session.execute(query))
    if not rows:
        return []
    out = {
        q: {"quarter": q, "reviews": 0, "rated": 0, "lagging": 0, "ratings": {}, "score_sum": ZERO}
        for q in QUARTERS
    }
    for quarter, rating, count, score_sum, lagging in rows:
        entry = out[quarter]
        entry["reviews"] += count
        entry["lagging"] += int(lagging or 0)
        if rating is not None:
            entry["rated"] += count
            entry["ratings"][rating] = count
            entry["score_sum"] += Decimal(score_sum or 0)
    for entry in out.values():
        total = entry.pop("score_sum")
        entry["average_score"] = _text(total / entry["rated"]) if entry["rated"] else None
    return list(out.values())


# --- spot-check findings -------------------------------------------------------------------------


def findings_by_month(scope: Scope, campaign: Campaign) -> list[dict[str, Any]]:
    """Per month of the year: findings by status and the points confirmed."""
    query = (
        select(
            SpotCheck.month,
            Finding.status,
            func.count(),
            func.sum(Finding.confirmed_points),
        )
        .join(SpotCheck, SpotCheck.id == Finding.spot_check_id)
        .where(
            SpotCheck.year == campaign.year,
            SpotCheck.department_id.in_(scope.departments()),
        )
        .group_by(SpotCheck.month, Finding.status)
    )
    rows = list(db.session.execute(query))
    if not rows:
        return []
    out = {m: {"month": m, "findings": 0, "statuses": {}, "confirmed_points": ZERO} for m in MONTHS}
    for month, status, count, points in rows:
        entry = out[month]
        entry["findings"] += count
        entry["statuses"][status] = count
        if status == "confirmed":
            entry["confirmed_points"] += Decimal(points or 0)
    for entry in out.values():
        entry["confirmed_points"] = _text(entry["confirmed_points"])
    return list(out.values())


# --- indicator achievement ----------------------------------------------------------------------


def indicator_achievement(scope: Scope, campaign: Campaign) -> list[dict[str, Any]]:
    """Per library indicator on the signed (locked) letters: how many departments carry it,
    how many have a year figure so far, how many of those meet their letter's target (by the
    indicator's direction and tolerance), and the mean target and figure.

    The year figure is the one the year-end scoring would read before data verification:
    pulled over imported over reported, the year's own value else what the months and
    quarters add up to (`app.rules.quarterly.year_value`)."""
    lines = db.session.execute(
        select(
            ResponsibilityLetter.department_id,
            LetterLine.indicator_code,
            LetterLine.name,
            LetterLine.unit,
            LetterLine.direction,
            LetterLine.target,
            Indicator.id,
            Indicator.name,
            Indicator.tolerance,
        )
        .join(LetterLine, LetterLine.letter_id == ResponsibilityLetter.id)
        .join(
            Indicator,
            and_(Indicator.code == LetterLine.indicator_code, Indicator.year == campaign.year),
        )
        .where(
            ResponsibilityLetter.campaign_id == campaign.id,
            ResponsibilityLetter.status == "locked",
            ResponsibilityLetter.department_id.in_(scope.departments()),
            LetterLine.target.is_not(None),
        )
        .order_by(LetterLine.indicator_code, ResponsibilityLetter.department_id)
    ).all()
    if not lines:
        return []
    values: dict[tuple[int, int], dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for dept_id, indicator_id, source, period, value in db.session.execute(
        select(
            Actual.department_id, Actual.indicator_id, Actual.source, Actual.period, Actual.value
        ).where(
            Actual.campaign_id == campaign.id,
            Actual.superseded_at.is_(None),
            Actual.department_id.in_(scope.departments()),
            Actual.indicator_id.in_({line[6] for line in lines}),
        )
    ):
        values[(dept_id, indicator_id)][source][period] = value

    out: dict[str, dict[str, Any]] = {}
    for dept_id, code, line_name, unit, direction, target, ind_id, ind_name, tolerance in lines:
        entry = out.setdefault(
            code,
            {"code": code, "name": ind_name, "unit": unit, "departments": 0, "measured": 0,
             "achieved": 0, "_targets": [], "_actuals": []},
        )  # fmt: skip
        entry["departments"] += 1
        entry["_targets"].append(Decimal(target))
        by_source = values.get((dept_id, ind_id), {})
        merged: dict[str, Decimal] = {}
        for source in SOURCE_PREFERENCE:
            merged.update(by_source.get(source, {}))
        actual = year_value(merged, campaign.year, adds_up(unit, line_name))
        if actual is None:
            continue
        entry["measured"] += 1
        entry["_actuals"].append(actual)
        if not is_lagging(actual, Decimal(target), Direction(direction), tolerance or ZERO):
            entry["achieved"] += 1
    for entry in out.values():
        targets, actuals = entry.pop("_targets"), entry.pop("_actuals")
        entry["average_target"] = _text(sum(targets, ZERO) / len(targets))
        entry["average_actual"] = _text(sum(actuals, ZERO) / len(actuals)) if actuals else None
        entry["achievement_rate"] = (
            _text(Decimal(100) * entry["achieved"] / entry["measured"], "0.1")
            if entry["measured"]
            else None
        )
    return list(out.values())


# --- everything for one year ----------------------------------------------------------------


def dashboard(person: Person, year: int | None = None) -> dict[str, Any]:
    """All the dashboards' figures for a campaign year, by default the newest (404 for a
    year without a campaign, or when there is no campaign at all)."""
    scope = scope_of(person)
    if year is None:
        year = next(iter(years()), None)
        if year is None:
            raise NotFound("there is no campaign yet")
    campaign = campaigns.get(year)
    published = db.session.scalar(
        select(Publication.id).where(
            Publication.campaign_id == campaign.id, Publication.published_at.is_not(None)
        )
    )
    return {
        "year": campaign.year,
        "years": years(),
        "scope": {
            "city_wide": scope.centre,
            "departments": db.session.scalar(
                select(func.count()).select_from(scope.departments().subquery())
            ),
        },
        "published": published is not None,
        "results_visible": scope.centre or published is not None,
        "grades": grade_distribution(scope, campaign),
        "ranking": ranking(scope, campaign),
        "indicators": indicator_achievement(scope, campaign),
        "quarters": quarterly_trend(scope, campaign),
        "years_trend": yearly_trend(scope),
        "findings": findings_by_month(scope, campaign),
    }
