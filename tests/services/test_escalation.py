"""Overdue steps escalate: a reminder, a yellow card, then a red card to the supervising leader
two working days later; each once, to the right people, on the centre's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, HumanTask, InstanceEvent, Notice
from app.rules.escalation import EscalationPolicy
from app.services import assignments, calendar, campaigns, escalation, instances
from app.services.transactions import unit_of_work
from tests.conftest import (
    VALID_LETTER,
    person,
    reads_workflow_state,
    sql_statements,
    start_instance,
)
from tests.services.test_concurrency import _race

# The draft is due 10 days after the start: Thursday 15 January 2026, 09:00 in Beijing.
DUE = datetime(2026, 1, 15, 1, 0, tzinfo=UTC)


def _draft() -> HumanTask:
    return db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "draft_letter")).one()


def _notices() -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Notice).order_by(Notice.id))
    return [(n.kind, db.session.get(type(person("admin")), n.person_id).username) for n in rows]


def _at(clock, *args) -> None:
    clock.set(datetime(*args, tzinfo=UTC))


@pytest.fixture
def draft(app, org):
    start_instance()
    task = _draft()
    assert task.due_at == DUE and task.escalation == "none"
    return task


def test_reminder_yellow_and_red_each_once_to_the_right_people(draft, clock):
    assert escalation.sweep() == {}
    _at(clock, 2026, 1, 14, 1, 0)  # exactly a day ahead: not yet
    assert escalation.sweep() == {}
    _at(clock, 2026, 1, 14, 1, 1)
    assert escalation.sweep() == {"reminder": 1}
    assert escalation.sweep() == {}
    assert _notices() == [("reminder", "head_fin")]

    _at(clock, 2026, 1, 15, 1, 1)
    assert escalation.sweep() == {"yellow_card": 1}
    # Friday and Monday are the two working days; the red card comes on Monday 09:00.
    _at(clock, 2026, 1, 19, 0, 59)
    assert escalation.sweep() == {}
    _at(clock, 2026, 1, 19, 1, 1)
    assert escalation.sweep() == {"red_card": 1}
    _at(clock, 2026, 3, 1, 0, 0)
    assert escalation.sweep() == {}

    assert _notices() == [
        ("reminder", "head_fin"),
        ("yellow_card", "head_fin"),
        ("red_card", "leader_li"),  # 预算科's supervising leader
    ]
    red = db.session.scalars(select(Notice).where(Notice.kind == "red_card")).one()
    assert red.message.startswith("红牌：「预算科」的「起草绩效责任书」超期已逾2个工作日")
    assert _draft().escalation == "red_card"
    events = db.session.scalars(
        select(InstanceEvent).where(InstanceEvent.kind == "escalated").order_by(InstanceEvent.id)
    ).all()
    assert [e.detail["level"] for e in events] == ["reminder", "yellow_card", "red_card"]
    audited = select(func.count()).select_from(AuditEvent)
    assert db.session.scalar(audited.where(AuditEvent.action == "task.escalated")) == 3


def test_a_holiday_on_friday_moves_the_red_card_to_tuesday(draft, clock):
    admin = person("admin")
    unit_of_work(
        lambda: calendar.replace_year(
            admin, 2026, [{"day": date(2026, 1, 16), "working": False, "note": "假日"}]
        )
    )
    _at(clock, 2026, 1, 19, 1, 1)
    assert escalation.sweep() == {"yellow_card": 1}
    _at(clock, 2026, 1, 20, 1, 1)
    assert escalation.sweep() == {"red_card": 1}


def test_a_step_first_seen_late_gets_only_the_red_card(draft, clock):
    _at(clock, 2026, 2, 20, 0, 0)
    assert escalation.sweep() == {"red_card": 1}
    assert _notices() == [("red_card", "leader_li")]


def test_a_claimed_step_reminds_only_its_holder(draft, clock):
    deputy = person("staff_fin")
    unit_of_work(lambda: assignments.claim(draft.id, person("head_fin")))
    _at(clock, 2026, 1, 15, 1, 1)
    assert escalation.sweep() == {"yellow_card": 1}
    assert _notices() == [("yellow_card", "head_fin")]
    assert deputy.username not in {who for _, who in _notices()}


def test_a_completed_step_does_not_escalate(draft, clock):
    unit_of_work(lambda: instances.complete_task(draft.id, person("head_fin"), VALID_LETTER))
    _at(clock, 2026, 1, 30, 0, 0)
    counts = escalation.sweep()
    # The leader's review (due five days after the draft was sent) is late now; the draft is not.
    assert counts == {"red_card": 1}
    assert _draft().escalation == "none"
    review = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "review_letter"))
    assert review.one().escalation == "red_card"


def test_the_campaigns_policy_decides_when(draft, clock):
    admin = person("admin")
    unit_of_work(
        lambda: campaigns.update_settings(
            admin, 2026, {"escalation": {"remind_hours": 0, "red_after_working_days": 0}}
        )
    )
    _at(clock, 2026, 1, 14, 1, 1)  # a day ahead: no reminder under this policy
    assert escalation.sweep() == {}
    _at(clock, 2026, 1, 15, 1, 1)
    assert escalation.sweep() == {"red_card": 1}


def test_without_a_supervising_leader_the_red_card_goes_to_the_centre(draft, clock):
    from app.models import RoleAssignment

    unit_of_work(
        lambda: db.session.execute(
            RoleAssignment.__table__.update()
            .where(RoleAssignment.person_id == person("leader_li").id)
            .values(valid_to=date(2026, 1, 20))
        )
    )
    _at(clock, 2026, 2, 1, 0, 0)
    assert escalation.sweep() == {"red_card": 1}
    assert sorted(_notices()) == [("red_card", "admin"), ("red_card", "centre_liu")]


def test_racing_sweeps_send_each_card_once(app, org, clock):
    for code in ("CZ-YS", "DC-DC", "RS-RS", "JG-ZH"):
        start_instance(code)
    _at(clock, 2026, 1, 15, 1, 1)
    results = _race(app, escalation.sweep, escalation.sweep, escalation.sweep)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.get("yellow_card", 0) for r in results) == 4
    db.session.rollback()
    kinds = db.session.scalars(select(Notice.kind)).all()
    assert kinds.count("yellow_card") == 4 and len(kinds) == 4


def test_a_sweep_reads_only_steps_whose_next_level_may_be_due(draft, clock):
    """The sweep's read is bounded by what may have changed, not by every open step: a
    yellow-carded step is read again only once its red card could be due."""
    policies = [EscalationPolicy()]

    def read(*at) -> list[int]:
        _at(clock, *at)
        ids = [row[0] for row in escalation._candidates(clock.now(), policies)]
        db.session.rollback()
        return ids

    assert read(2026, 1, 13, 1, 0) == []  # more than a day ahead of the due time
    assert read(2026, 1, 14, 1, 1) == [draft.id]
    assert escalation.sweep() == {"reminder": 1}
    assert read(2026, 1, 14, 12, 0) == []  # reminded; the yellow card comes at the due time
    assert read(2026, 1, 15, 1, 1) == [draft.id]
    assert escalation.sweep() == {"yellow_card": 1}
    assert read(2026, 1, 16, 12, 0) == []  # two working days cannot have passed yet
    # Saturday: two days have passed, not two working days; read, and left for Monday.
    assert read(2026, 1, 17, 1, 1) == [draft.id]
    assert escalation.sweep() == {}
    _at(clock, 2026, 1, 19, 1, 1)
    assert escalation.sweep() == {"red_card": 1}
    assert read(2026, 3, 1, 0, 0) == []  # a red card is the last level


def test_escalating_a_step_never_reads_its_workflow_state(draft, clock):
    """A card needs the step, its people and the instance's status; the instance's workflow
    state (tens of KB at year end) stays unread."""
    _at(clock, 2026, 1, 15, 1, 1)
    with sql_statements() as statements:
        assert escalation.sweep() == {"yellow_card": 1}
    reads = [s for s in statements if s.startswith("select")]
    assert any("process_instance.status" in s for s in reads)
    assert not any(reads_workflow_state(s) for s in reads)


def test_a_step_of_an_instance_suspended_after_the_read_is_not_escalated(draft, clock):
    """The status is checked again under the step's lock: a suspension between the sweep's
    read and the escalation wins."""
    _at(clock, 2026, 1, 15, 1, 1)
    policy = EscalationPolicy()
    unit_of_work(lambda: instances.suspend(draft.instance_id, person("admin"), "调查中"))
    now, cal = clock.now(), calendar.current()
    assert unit_of_work(lambda: escalation._escalate_one(draft.id, now, cal, policy)) is None
    assert _notices() == []
