"""The year's invariants, read back from what a campaign produced (`flask check-year YEAR`).

Each rule is enforced where the work happens (calibration, grade changes, scoring, the
escalation sweep); this module re-derives it from the stored results, ballots and tasks, so a
rule that passes its unit tests but never acts on the real path shows up here. The simulated
year (`flask simulate-year`) ends with this check and fails on any violation.

Checked today: the 优秀 cap; every grade inside its band unless an automatic or approved change
explains it; ballots voided by the configured rules on whole sheets (each computed result's
evaluation equals a fresh one); no card on a step finished in time; every appeal decided within
its limit or escalated, and "adjusted" only where the result changed; every month February to
December of a finished instance checked, or its skip recorded with the reason; every line whose
pulled and reported year figures differ decided at verification; every consequence a recorded
outcome names has its record, and a finished instance's improvement plan was accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.i18n import N_, Message
from app.models import (
    Appeal,
    Campaign,
    DataVerification,
    HumanTask,
    Outcome,
    ProcessInstance,
)
from app.rules import aggregation, grading
from app.rules.escalation import Level
from app.rules.schedule import FIRST_CHECKED_MONTH
from app.rules.verification import differs
from app.services import (
    appeals,
    ballots,
    campaigns,
    consequences,
    measures,
    results,
    scoring,
    spot_checks,
)


@dataclass(frozen=True)
class Violation:
    rule: str  # quota | grade_band | void_ballots | card_in_time | appeal_late | appeal_adjusted
    subject: str  # what it is about: a department code, a task id
    message: Message


def _quota(campaign: Campaign, rows: list) -> list[Violation]:
    settings = campaigns.settings_of(campaign)
    excellent = sum(1 for r in rows if r.grade == grading.Grade.EXCELLENT)
    limit = grading.quota_limit(len(rows), settings.quota, settings.quota_approval)
    if excellent <= limit:
        return []
    cap = grading.quota_cap_share(settings.quota, settings.quota_approval)
    message = Message(
        "优秀 %(excellent)s 个，超过 %(cap)s%% 上限允许的 %(limit)s 个（参评 %(assessed)s 个）。",
        excellent=excellent,
        cap=f"{cap:f}",
        limit=limit,
        assessed=len(rows),
    )
    return [Violation("quota", str(campaign.year), message)]


def _grades(rows: list, latest: dict) -> list[Violation]:
    return [
        Violation(
            "grade_band",
            row.department.code,
            Message(
                "%(department)s总分 %(score)s 属于“%(band)s”档，等次却是“%(grade)s”，"
                "且没有自动校准或经批准的调整记录。",
                department=row.department.name,
                score=f"{row.final_score:f}",
                band=Message(grading.GRADE_LABELS[grading.Grade(row.band_grade)]),
                grade=Message(grading.GRADE_LABELS[grading.Grade(row.grade)]),
            ),
        )
        for row in rows
        if not results.grade_explained(row, latest.get(row.department_id))
    ]


def _void_ballots(campaign: Campaign, rows: list) -> list[Violation]:
    settings = campaigns.settings_of(campaign)
    found = []
    for row in rows:
        detail = row.detail or {}
        if detail.get("computed_by") != scoring.COMPUTED_BY:
            continue
        sheets = ballots.sheets(campaign.id, row.department_id)
        fresh = aggregation.evaluate(row.department.code, sheets, settings.aggregation)
        stored = (detail.get("evaluation") or {}).get("void_ballots")
        if fresh.void_ballots != stored or fresh.score != row.evaluation_score:
            found.append(
                Violation(
                    "void_ballots",
                    row.department.code,
                    Message(
                        "%(department)s的评价得分按完整测评表应为 %(fresh)s（无效票 %(void)s 张），"
                        "记录的是 %(stored)s（无效票 %(stored_void)s 张）。",
                        department=row.department.name,
                        fresh=f"{fresh.score:f}" if fresh.score is not None else "—",
                        void=fresh.void_ballots,
                        stored=f"{row.evaluation_score:f}" if row.evaluation_score else "—",
                        stored_void=stored if stored is not None else "—",
                    ),
                )
            )
    return found


def _cards_in_time(campaign: Campaign) -> list[Violation]:
    late_cards = db.session.scalars(
        select(HumanTask)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            ProcessInstance.campaign_id == campaign.id,
            HumanTask.status == "completed",
            HumanTask.escalation.in_((Level.YELLOW_CARD, Level.RED_CARD)),
            HumanTask.completed_at <= HumanTask.due_at,
        )
    )
    return [
        Violation(
            "card_in_time",
            str(task.id),
            Message(
                "环节“%(step)s”（任务 %(task)s）按时办结，却被亮了牌。",
                step=task.name,
                task=task.id,
            ),
        )
        for task in late_cards
    ]


def _appeals(campaign: Campaign) -> list[Violation]:
    """Every appeal decided within its limit, or its step escalated (a card, which for the
    review panel's step also tells the centre); "adjusted" only where the result changed."""
    found = []
    for appeal in db.session.scalars(select(Appeal).where(Appeal.year == campaign.year)):
        if appeals.decided_late(appeal):
            escalation = db.session.scalar(
                select(HumanTask.escalation).where(
                    HumanTask.instance_id == appeal.instance_id,
                    HumanTask.form_key == "appeal_decide",
                )
            )
            if escalation not in (Level.YELLOW_CARD, Level.RED_CARD):
                due = f"{appeals.decision_due(appeal):%Y-%m-%d}"
                found.append(
                    Violation(
                        "appeal_late",
                        str(appeal.id),
                        Message(
                            "申诉 %(appeal)s 超过复核期限（%(due)s）才办结，却没有升级督办。",
                            appeal=appeal.id,
                            due=due,
                        ),
                    )
                )
        adjustment = appeal.adjustment or {}
        if appeal.status == "adjusted" and adjustment.get("before") == adjustment.get("after"):
            found.append(
                Violation(
                    "appeal_adjusted",
                    str(appeal.id),
                    Message("申诉 %(appeal)s 记为“调整”，结果却没有变化。", appeal=appeal.id),
                )
            )
    return found


def _monthly_checks(campaign: Campaign) -> list[Violation]:
    """Every finished instance has each month February to December checked, or the reason it
    could not be (每月随机抽检)."""
    found = []
    finished = db.session.execute(
        select(ProcessInstance.id).where(
            ProcessInstance.campaign_id == campaign.id, ProcessInstance.status == "completed"
        )
    )
    for instance_id in finished.scalars():
        missing = sorted(
            set(range(FIRST_CHECKED_MONTH, 13)) - spot_checks.months_accounted(instance_id)
        )
        if missing:
            found.append(
                Violation(
                    "monthly_check",
                    str(instance_id),
                    Message(
                        "流程 %(instance)s 的以下月份既无督查也无不能督查的原因：%(months)s。",
                        instance=instance_id,
                        months=[str(m) for m in missing],
                    ),
                )
            )
    return found


def _verified_differences(campaign: Campaign) -> list[Violation]:
    """Where a finished instance's pulled and reported year figures differ, the assessment
    group decided which counts (a verification row, decided)."""
    found = []
    finished = db.session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.campaign_id == campaign.id, ProcessInstance.status == "completed"
        )
    )
    for process in finished:
        decided = {
            row.letter_line_id
            for row in db.session.scalars(
                select(DataVerification).where(
                    DataVerification.instance_id == process.id,
                    DataVerification.status == "decided",
                )
            )
        }
        for m in measures.measures(process):
            reported, (pulled, _source) = m.year_value("reported"), m.pulled_year_value()
            if reported is None or pulled is None or not differs(reported, pulled):
                continue
            if m.line.id not in decided:
                found.append(
                    Violation(
                        "verification",
                        str(process.id),
                        Message(
                            "流程 %(instance)s 的“%(line)s”报送值与抓取值不一致，却没有核定记录。",
                            instance=process.id,
                            line=m.line.name,
                        ),
                    )
                )
    return found


CONSEQUENCE_MISSING = {
    "improvement_plan": N_("%(code)s 的整改提升计划没有记录。"),
    "reserve_pool": N_("%(code)s 进入后备干部库没有记录。"),
    "head_deduction": N_("%(code)s 负责人扣分没有记录。"),
}
CONSEQUENCE_STATUS = {
    "open": N_("待提交"),
    "submitted": N_("待审核"),
}


def _consequences(campaign: Campaign) -> list[Violation]:
    """Every consequence a recorded outcome names has its record, and a finished instance's
    improvement plan was submitted and accepted (its follow-up steps ran)."""
    found = []
    policy = campaigns.settings_of(campaign).outcomes
    rows = {(c.department_id, c.kind): c for c in consequences.of_campaign(campaign)}
    outcomes = db.session.scalars(select(Outcome).where(Outcome.campaign_id == campaign.id))
    for outcome in outcomes:
        wanted = consequences.named(outcome, campaign.year, policy.reserve_years)
        code = outcome.department.code
        for kind in wanted:
            row = rows.get((outcome.department_id, kind))
            if row is None:
                found.append(
                    Violation(
                        "consequence",
                        code,
                        Message(CONSEQUENCE_MISSING[kind], code=code),
                    )
                )
            elif (
                kind == "improvement_plan"
                and row.status != "accepted"
                and db.session.get(ProcessInstance, outcome.instance_id).status == "completed"
            ):
                found.append(
                    Violation(
                        "consequence",
                        code,
                        Message(
                            "%(code)s 的流程已结束，整改提升计划却仍是“%(status)s”。",
                            code=code,
                            status=Message(CONSEQUENCE_STATUS.get(row.status, row.status)),
                        ),
                    )
                )
    return found


def check(year: int) -> list[Violation]:
    """Every broken invariant of the year's campaign; empty when the year holds."""
    campaign = campaigns.get(year)
    rows = results.campaign_results(campaign)
    log = results.campaign_log(campaign)
    return [
        *_quota(campaign, rows),
        *_grades(rows, results.latest_changes(log)),
        *_void_ballots(campaign, rows),
        *_cards_in_time(campaign),
        *_appeals(campaign),
        *_monthly_checks(campaign),
        *_verified_differences(campaign),
        *_consequences(campaign),
    ]
