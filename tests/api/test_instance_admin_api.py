"""The centre's actions on an instance: suspend, resume, terminate (with the existing retry)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, HumanTask, InstanceEvent, Notice, ProcessInstance
from app.services import escalation, instances, timers
from app.services.errors import Forbidden
from app.services.transactions import unit_of_work
from tests.api.helpers import count, error_of
from tests.conftest import VALID_LETTER, person, start_instance

ACTIONS = ("suspend", "resume", "terminate")


def _url(instance_id: int, action: str) -> str:
    return f"/api/v1/instances/{instance_id}/{action}"


def _fresh(instance_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


def _task(bpmn_id: str) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(sa.select(HumanTask).where(HumanTask.bpmn_id == bpmn_id)).one()


def _events(instance_id: int, kind: str) -> list[InstanceEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == kind
            )
        )
    )


def _audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _submitted_draft() -> ProcessInstance:
    """An instance whose letter is submitted: the review waits with a reminder timer."""
    instance = start_instance()
    draft = _task("draft_letter")
    unit_of_work(lambda: instances.complete_task(draft.id, person("head_fin"), VALID_LETTER))
    instance = _fresh(instance.id)
    assert instance.status == "waiting_people" and instance.next_timer_at is not None
    return instance


# -- suspend -----------------------------------------------------------------------------------


def test_suspend_holds_the_instance_with_history_and_audit(api_as):
    instance = start_instance()
    response = api_as("admin").post(_url(instance.id, "suspend"), json={"reason": " 数据核查 "})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "suspended"
    assert _fresh(instance.id).status == "suspended"
    (event,) = _events(instance.id, "suspended")
    assert event.actor_id == person("admin").id
    assert event.detail == {"reason": "数据核查", "previous_status": "waiting_people"}
    (record,) = _audit("instance.suspended")
    assert (record.actor_id, record.object_type, record.object_id) == (
        person("admin").id,
        "instance",
        str(instance.id),
    )
    assert record.detail["reason"] == "数据核查"
    history = api_as("head_fin").get(f"/api/v1/instances/{instance.id}").get_json()["history"]
    assert history[-1]["kind"] == "suspended" and history[-1]["actor_name"] == "王敏"


def test_a_suspended_instances_task_cannot_be_completed_but_stays_in_the_inbox(api_as):
    instance = start_instance()
    draft = _task("draft_letter")
    assert (
        api_as("admin").post(_url(instance.id, "suspend"), json={"reason": "核查"}).status_code
        == 200
    )
    head = api_as("head_fin")
    assert [t["id"] for t in head.get("/api/v1/tasks").get_json()] == [draft.id]
    error = error_of(
        head.post(f"/api/v1/tasks/{draft.id}/complete", json={"data": VALID_LETTER}),
        409,
        "conflict",
    )
    assert "suspended" in error["message"]
    assert _task("draft_letter").status == "ready"
    assert count(InstanceEvent, InstanceEvent.kind == "task_completed") == 0


def test_a_suspended_instance_takes_no_message(app, org):
    instance = start_instance()
    unit_of_work(lambda: instances.suspend(instance.id, person("admin"), "核查"))
    assert (
        unit_of_work(lambda: instances.deliver_message(instance.id, "results_published", {}))
        is False
    )


def test_suspended_timers_wait_and_fire_on_the_first_sweep_after_resume(api_as, clock):
    instance = _submitted_draft()
    admin = api_as("admin")
    assert admin.post(_url(instance.id, "suspend"), json={"reason": "核查"}).status_code == 200
    clock.advance(timedelta(days=8))  # the review's reminder and due time pass meanwhile
    assert timers.sweep() == 0
    assert escalation.sweep() == {}
    assert count(Notice) == 0
    assert timers.earliest_due() is None  # the scheduler arms no wake-up for it

    response = admin.post(_url(instance.id, "resume"), json={"reason": "核查完毕"})
    assert response.status_code == 200, response.get_json()
    resumed = _fresh(instance.id)
    assert resumed.status == "waiting_people"
    assert resumed.next_timer_at is not None and resumed.next_timer_at < clock.now()
    (event,) = _events(instance.id, "resumed")
    assert event.actor_id == person("admin").id
    assert event.detail == {"status": "waiting_people", "reason": "核查完毕"}
    assert len(_audit("instance.resumed")) == 1
    assert count(Notice) == 0  # resuming fires nothing itself

    assert timers.sweep() == 1
    db.session.expire_all()
    assert "overdue_reminder" in set(db.session.scalars(sa.select(Notice.kind)))
    assert sum(escalation.sweep().values()) == 1  # the overdue review escalates again


def test_resume_needs_no_reason_and_recomputes_the_status(api_as):
    instance = start_instance()
    admin = api_as("admin")
    admin.post(_url(instance.id, "suspend"), json={"reason": "核查"})
    response = admin.post(_url(instance.id, "resume"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "waiting_people"
    (event,) = _events(instance.id, "resumed")
    assert event.detail == {"status": "waiting_people"}
    draft = _task("draft_letter")
    response = api_as("head_fin").post(
        f"/api/v1/tasks/{draft.id}/complete", json={"data": VALID_LETTER}
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        (None, "resume", "waiting_people"),
        ("suspend", "suspend", "suspended"),
        ("terminate", "suspend", "terminated"),
        ("terminate", "resume", "terminated"),
        ("terminate", "terminate", "terminated"),
        ("terminate", "retry", "terminated"),
        (None, "retry", "waiting_people"),
    ],
)
def test_an_action_in_the_wrong_state_is_409_and_writes_nothing(api_as, first, then, status):
    instance = start_instance()
    admin = api_as("admin")
    if first:
        assert admin.post(_url(instance.id, first), json={"reason": "先"}).status_code == 200
    events, audits = count(InstanceEvent), count(AuditEvent)
    error = error_of(admin.post(_url(instance.id, then), json={"reason": "再"}), 409, "conflict")
    assert status in error["message"]
    assert _fresh(instance.id).status == status
    assert (count(InstanceEvent), count(AuditEvent)) == (events, audits)


# -- terminate ---------------------------------------------------------------------------------


def test_terminate_cancels_open_tasks_and_the_instance_never_runs_again(api_as, clock):
    instance = _submitted_draft()
    review = db.session.scalars(sa.select(HumanTask).where(HumanTask.status == "ready")).one()
    response = api_as("admin").post(_url(instance.id, "terminate"), json={"reason": "科室撤并"})
    assert response.status_code == 200, response.get_json()
    ended = _fresh(instance.id)
    assert (ended.status, ended.next_timer_at) == ("terminated", None)
    cancelled = db.session.get(HumanTask, review.id)
    assert cancelled.status == "cancelled" and cancelled.completed_at == clock.now()
    (event,) = _events(instance.id, "terminated")
    assert event.actor_id == person("admin").id
    assert event.detail == {
        "reason": "科室撤并",
        "previous_status": "waiting_people",
        "cancelled_task_ids": [review.id],
    }
    assert _audit("instance.terminated")[0].detail["cancelled_task_ids"] == [review.id]

    leader = api_as("leader_li")
    assert leader.get("/api/v1/tasks").get_json() == []
    error_of(
        leader.post(f"/api/v1/tasks/{review.id}/complete", json={"data": {"decision": "approve"}}),
        409,
        "conflict",
    )
    clock.advance(timedelta(days=30))
    assert timers.sweep() == 0 and escalation.sweep() == {}
    assert count(Notice) == 0
    assert (
        unit_of_work(lambda: instances.deliver_message(instance.id, "results_published", {}))
        is False
    )
    assert _fresh(instance.id).status == "terminated"


def test_a_suspended_instance_can_be_terminated(api_as):
    instance = start_instance()
    admin = api_as("admin")
    admin.post(_url(instance.id, "suspend"), json={"reason": "核查"})
    response = admin.post(_url(instance.id, "terminate"), json={"reason": "不再考核"})
    assert response.status_code == 200
    assert _events(instance.id, "terminated")[0].detail["previous_status"] == "suspended"
    assert _task("draft_letter").status == "cancelled"


# -- who, which, and what ----------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("username", ["head_fin", "leader_li", "staff_fin", "kh_chen"])
def test_only_centre_admins_act_on_instances(api_as, username, action):
    instance = start_instance()
    if action == "resume":
        unit_of_work(lambda: instances.suspend(instance.id, person("admin"), "核查"))
    before = _fresh(instance.id).status
    api = api_as(username)
    events, audits = count(InstanceEvent), count(AuditEvent)
    error_of(api.post(_url(instance.id, action), json={"reason": "我"}), 403, "forbidden")
    assert _fresh(instance.id).status == before
    assert (count(InstanceEvent), count(AuditEvent)) == (events, audits)


@pytest.mark.parametrize("service", [instances.suspend, instances.resume, instances.terminate])
def test_the_services_refuse_anyone_but_the_centre(app, org, service):
    instance = start_instance()
    with pytest.raises(Forbidden):
        service(instance.id, person("head_fin"), "我")
    db.session.rollback()


@pytest.mark.parametrize("action", ACTIONS)
def test_unknown_instance_is_404(api_as, action):
    start_instance()
    error_of(api_as("admin").post(_url(999, action), json={"reason": "无"}), 404, "not_found")


@pytest.mark.parametrize("action", ["suspend", "terminate"])
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"reason": None},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "长" * 501},
        {"reason": 5},
        {"reason": ["a"]},
    ],
    ids=["missing", "null", "empty", "blank", "huge", "number", "list"],
)
def test_a_missing_blank_or_huge_reason_is_422_with_the_field(api_as, action, payload):
    instance = start_instance()
    events = count(InstanceEvent)
    error = error_of(
        api_as("admin").post(_url(instance.id, action), json=payload), 422, "validation_failed"
    )
    assert "reason" in error["fields"]
    assert _fresh(instance.id).status == "waiting_people"
    assert count(InstanceEvent) == events
    assert _task("draft_letter").status == "ready"


def test_a_reason_of_500_characters_is_accepted(api_as):
    instance = start_instance()
    response = api_as("admin").post(_url(instance.id, "suspend"), json={"reason": "长" * 500})
    assert response.status_code == 200


def test_a_huge_resume_note_is_422(api_as):
    instance = start_instance()
    admin = api_as("admin")
    admin.post(_url(instance.id, "suspend"), json={"reason": "核查"})
    error = error_of(
        admin.post(_url(instance.id, "resume"), json={"reason": "长" * 501}),
        422,
        "validation_failed",
    )
    assert "reason" in error["fields"]
    assert _fresh(instance.id).status == "suspended"


def test_an_admin_token_without_the_admin_scope_is_403(api_as):
    instance = start_instance()
    reader = api_as("admin", scopes=["read", "tasks"])
    error_of(reader.post(_url(instance.id, "suspend"), json={"reason": "核查"}), 403, "forbidden")
    assert _fresh(instance.id).status == "waiting_people"
