"""Known figures for the dashboards' tests (service, API, pages, browser).

2026 results (ranked): 预算科 CZ-YS 92.50 优秀 #1, 人事科 RS-RS 85.00 称职 #2, 来访接待科 XF-JD
78.00 称职 #3, 会计科 CZ-KJ 65.00 基本称职 #4, 督查科 DC-DC 55.00 不称职 #5; not published
unless `publish_2026`. 2025 results, published: CZ-YS 88.00 称职, DC-DC 91.00 优秀.

Quarterly reviews 2026: Q1 CZ-YS 91 优秀 (0 lagging), RS-RS 80 称职 (2), DC-DC 50 不称职 (3);
Q2 CZ-YS not rated yet (1 lagging).

Spot-check findings 2026: March CZ-YS confirmed 1.50 and open; March DC-DC confirmed 2.00;
May RS-RS dismissed.

Locked letters 2026 with two test indicators, T-CNT (件, higher, cumulative) and T-RATE (%,
lower): CZ-YS T-CNT target 120, months 60 reported + 70 reported, January also pulled as 50
(pulled wins: 120, achieved); CZ-YS T-RATE target 2, year 3 reported (missed; an older
superseded 1 is ignored); RS-RS T-CNT target 80, Q1 40 (missed); DC-DC T-CNT target 100, year
150 (achieved).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Actual,
    Department,
    DepartmentResult,
    Finding,
    Indicator,
    LedgerEntry,
    LetterLine,
    Publication,
    QuarterlyReview,
    ResponsibilityLetter,
    SpotCheck,
)
from app.services import campaigns
from app.services.transactions import unit_of_work
from tests.conftest import person, start_instance

PUBLISHED_AT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
RESULTS_2026 = (
    ("CZ-YS", "92.50", "excellent", 1),
    ("RS-RS", "85.00", "competent", 2),
    ("XF-JD", "78.00", "competent", 3),
    ("CZ-KJ", "65.00", "basically_competent", 4),
    ("DC-DC", "55.00", "incompetent", 5),
)
RESULTS_2025 = (("CZ-YS", "88.00", "competent", 2), ("DC-DC", "91.00", "excellent", 1))


def _dept(code: str) -> int:
    return db.session.scalars(sa.select(Department.id).where(Department.code == code)).one()


def _results(year: int, rows) -> None:
    campaign = campaigns.get_or_create(year)
    for code, score, grade, rank in rows:
        db.session.add(
            DepartmentResult(
                campaign_id=campaign.id,
                department_id=_dept(code),
                indicator_score=Decimal(score),
                final_score=Decimal(score),
                band_grade=grade,
                grade=grade,
                rank=rank,
            )
        )


def publish(year: int) -> None:
    def go():
        db.session.add(Publication(campaign_id=campaigns.get(year).id, published_at=PUBLISHED_AT))

    unit_of_work(go)


def _review(instance, quarter, score, rating, lagging) -> None:
    db.session.add(
        QuarterlyReview(
            instance_id=instance.id,
            department_id=instance.department_id,
            campaign_id=instance.campaign_id,
            year=2026,
            quarter=quarter,
            lagging=lagging,
            score=None if score is None else Decimal(score),
            rating=rating,
        )
    )


_LEDGER_NUMBERS = iter(range(1, 1000))


def _check(instance, month) -> SpotCheck:
    """The month's spot check of the instance (one a month), drawn on first use."""
    found = db.session.scalars(
        sa.select(SpotCheck).where(SpotCheck.instance_id == instance.id, SpotCheck.month == month)
    ).first()
    if found is None:
        found = SpotCheck(
            instance_id=instance.id,
            department_id=instance.department_id,
            year=2026,
            month=month,
            seed=1,
            sample_size=1,
        )
        db.session.add(found)
    return found


def _finding(instance, month, status, points) -> None:
    check = _check(instance, month)
    entry = LedgerEntry(
        department_id=instance.department_id,
        year=2026,
        month=month,
        number=f"JZ-{next(_LEDGER_NUMBERS)}",
        title="台账",
    )
    db.session.add(entry)
    db.session.flush()
    db.session.add(
        Finding(
            spot_check_id=check.id,
            ledger_entry_id=entry.id,
            description="问题",
            proposed_points=Decimal(points or "1"),
            confirmed_points=None if points is None else Decimal(points),
            status=status,
            found_by_id=person("kh_chen").id,
        )
    )


def _indicator(code, name, unit, direction) -> Indicator:
    row = Indicator(
        year=2026, code=code, name=name, kind="individual", nature="quantitative",
        method="ratio", direction=direction, unit=unit,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row


def _letter(instance, lines) -> None:
    letter = ResponsibilityLetter(
        instance_id=instance.id,
        department_id=instance.department_id,
        campaign_id=instance.campaign_id,
        revision=1,
        status="locked",
        submitted_by_id=person("admin").id,
    )
    db.session.add(letter)
    db.session.flush()
    for position, (indicator, target) in enumerate(lines):
        db.session.add(
            LetterLine(
                letter_id=letter.id,
                position=position,
                indicator_code=indicator.code,
                name=indicator.name,
                kind="individual",
                direction=indicator.direction,
                target=Decimal(target),
                unit=indicator.unit,
                weight=Decimal(50),
            )
        )


def _actual(instance, indicator, period, source, value, superseded=False, revision=1) -> None:
    db.session.add(
        Actual(
            campaign_id=instance.campaign_id,
            department_id=instance.department_id,
            indicator_id=indicator.id,
            period=period,
            source=source,
            value=Decimal(value),
            revision=revision,
            superseded_at=PUBLISHED_AT if superseded else None,
        )
    )


def build(publish_2026: bool = False) -> dict[str, int]:
    """The figures above; returns the department ids by code."""
    started = {code: start_instance(code) for code in ("CZ-YS", "RS-RS", "DC-DC")}

    def figures():
        _results(2026, RESULTS_2026)
        _results(2025, RESULTS_2025)
        ys, rs, dc = (db.session.merge(started[c]) for c in ("CZ-YS", "RS-RS", "DC-DC"))
        _review(ys, 1, "91", "excellent", 0)
        _review(rs, 1, "80", "competent", 2)
        _review(dc, 1, "50", "incompetent", 3)
        _review(ys, 2, None, None, 1)
        _finding(ys, 3, "confirmed", "1.50")
        _finding(ys, 3, "open", None)
        _finding(dc, 3, "confirmed", "2.00")
        _finding(rs, 5, "dismissed", None)
        cnt = _indicator("T-CNT", "办结件数", "件", "higher")
        rate = _indicator("T-RATE", "差错率", "%", "lower")
        _letter(ys, [(cnt, "120"), (rate, "2")])
        _letter(rs, [(cnt, "80")])
        _letter(dc, [(cnt, "100")])
        _actual(ys, cnt, "2026-01", "reported", "60")
        _actual(ys, cnt, "2026-02", "reported", "70")
        _actual(ys, cnt, "2026-01", "pull", "50")
        _actual(ys, rate, "2026", "reported", "1", superseded=True)
        _actual(ys, rate, "2026", "reported", "3", revision=2)
        _actual(rs, cnt, "2026-Q1", "reported", "40")
        _actual(dc, cnt, "2026", "reported", "150")

    unit_of_work(figures)
    publish(2025)
    if publish_2026:
        publish(2026)
    return {d.code: d.id for d in db.session.scalars(sa.select(Department))}
