"""The ballot sheet (测评表): one page for every ballot a voter has pending.

民主测评 is held on one sheet per voter: every department to rate, side by side, with the
anchored scale. The marks can be saved as a draft and are submitted together: every ballot
task of the sheet completes in one transaction (instances locked in id order), or none does.
The campaign's void-ballot rules judge the whole sheet (`ballots.sheets`), so a sheet that
gives everyone the same mark is shown as void before it is submitted and needs a confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import BallotSheetDraft, Campaign, HumanTask, Person, ProcessInstance
from app.rules import aggregation
from app.services import audit, ballots, campaigns, instances
from app.services.errors import Invalid

FORM_KEY = "ballot"
MAX_ROWS = 200  # a sheet larger than any unit's departments (or a department's colleagues)


@dataclass(frozen=True)
class SheetRow:
    task: HumanTask
    rater_group: str  # leader | peer
    mark: str  # the draft's mark, or ""


def pending(voter: Person) -> list[HumanTask]:
    """The voter's ready ballot tasks (each one is for them alone: the assignee)."""
    return list(
        db.session.scalars(
            select(HumanTask)
            .options(joinedload(HumanTask.department))
            .where(
                HumanTask.status == "ready",
                HumanTask.form_key == FORM_KEY,
                HumanTask.assignee_id == voter.id,
            )
            .order_by(HumanTask.department_id, HumanTask.id)
            .limit(MAX_ROWS)
        ).unique()
    )


def pending_count(voter: Person) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(HumanTask)
        .where(
            HumanTask.status == "ready",
            HumanTask.form_key == FORM_KEY,
            HumanTask.assignee_id == voter.id,
        )
    )


def _draft(voter: Person) -> BallotSheetDraft | None:
    return db.session.scalars(
        select(BallotSheetDraft).where(BallotSheetDraft.voter_id == voter.id)
    ).first()


def rows(voter: Person) -> list[SheetRow]:
    marks = (_draft(voter) or BallotSheetDraft(marks={})).marks or {}
    return [
        SheetRow(
            task,
            ballots.rater_group_of(task.role),
            str(marks.get(str(task.id), "")),
        )
        for task in pending(voter)
    ]


def _read_marks(
    tasks: list[HumanTask], marks: Any, required: bool
) -> tuple[dict[int, Decimal], dict[str, list[Message]]]:
    """The marks by task id, checked; errors by field `mark.<task id>`."""
    if not isinstance(marks, Mapping):
        raise Invalid("the marks must be an object", fields={"marks": [Message("须为对象。")]})
    known = {str(t.id) for t in tasks}
    unknown = sorted(k for k in marks if str(k) not in known)
    errors: dict[str, list[Message]] = {
        f"mark.{k}"[:60]: [Message("不是您待评的科室。")] for k in unknown[:20]
    }
    values: dict[int, Decimal] = {}
    for task in tasks:
        given = marks.get(str(task.id))
        if given is None or (isinstance(given, str) and not given.strip()):
            if required:
                errors[f"mark.{task.id}"] = [Message("请打分。")]
            continue
        try:
            values[task.id] = ballots.parse_score(
                given.strip() if isinstance(given, str) else given
            )
        except Invalid:
            errors[f"mark.{task.id}"] = [Message("分数须为0至100之间的数字。")]
    return values, errors


def void_reasons(voter: Person, tasks: list[HumanTask], values: Mapping[int, Decimal]) -> list[str]:
    """Why the campaign's rules would void this sheet (per rater group), if anything."""
    reasons: list[str] = []
    by_group: dict[tuple[int, str], dict[str, Decimal]] = {}
    for task in tasks:
        if task.id in values:
            campaign_id = db.session.scalar(
                select(ProcessInstance.campaign_id).where(ProcessInstance.id == task.instance_id)
            )
            key = (campaign_id, ballots.rater_group_of(task.role))
            by_group.setdefault(key, {})[task.department.code] = values[task.id]
    for (campaign_id, group), marks in by_group.items():
        campaign = db.session.get(Campaign, campaign_id)
        rules = campaigns.settings_of(campaign).aggregation.rules
        reasons += aggregation.void_reasons(aggregation.Ballot(group, marks), rules)
    return reasons


def save_draft(voter: Person, marks: Any) -> BallotSheetDraft:
    tasks = pending(voter)
    values, errors = _read_marks(tasks, marks, required=False)
    if errors:
        raise Invalid("the sheet has errors", fields=errors)
    draft = _draft(voter) or BallotSheetDraft(voter_id=voter.id)
    draft.marks = {str(task_id): f"{mark.normalize():f}" for task_id, mark in values.items()}
    draft.saved_at = clock.now()
    db.session.add(draft)
    db.session.flush()
    return draft


def submit(voter: Person, marks: Any, confirm_void: bool = False) -> int:
    """Complete every ballot task of the sheet with its mark, together; returns how many."""
    tasks = pending(voter)
    if not tasks:
        raise Invalid("nothing to rate", fields={"marks": [Message("您没有待评的科室。")]})
    values, errors = _read_marks(tasks, marks, required=True)
    if errors:
        raise Invalid("the sheet has errors", fields=errors)
    void = void_reasons(voter, tasks, values)
    if void and not confirm_void:
        raise Invalid(
            "the sheet would be void",
            fields={
                "confirm_void": [
                    Message(
                        "按本年度的测评规则，这张测评表将视为无效票（%(reasons)s）。"
                        "如确认提交，请勾选确认。",
                        reasons=[Message(reason) for reason in void],
                    )
                ]
            },
        )
    for task in sorted(tasks, key=lambda t: (t.instance_id, t.id)):  # lock order: no deadlock
        instances.complete_task(task.id, voter, {"score": f"{values[task.id]:f}"})
    draft = _draft(voter)
    if draft is not None:
        db.session.delete(draft)
    audit.record("ballot_sheet.submit", voter, "person", voter.id, ballots=len(tasks))
    return len(tasks)
