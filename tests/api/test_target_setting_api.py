"""The first stage end to end through the API: draft → review (return, redraft) → sign → lock."""

from datetime import timedelta

from app.extensions import db
from app.models import Notice, ResponsibilityLetter
from tests.conftest import VALID_LETTER, start_instance


def _task(api, bpmn_id):
    tasks = api.get("/api/v1/tasks").get_json()
    matching = [t for t in tasks if t["bpmn_id"] == bpmn_id]
    assert matching, f"{bpmn_id} not in inbox: {tasks}"
    return matching[0]


def test_whole_target_setting_stage(api_as, clock):
    admin = api_as("admin")
    started = admin.post("/api/v1/instances", json={"department_id": 1, "year": 2026})
    assert started.status_code == 201, started.get_json()
    instance = started.get_json()
    assert instance["status"] == "waiting_people"

    head, leader = api_as("head_fin"), api_as("leader_li")
    draft = _task(head, "draft_letter")
    assert draft["due_at"].startswith("2026-01-15")
    detail = head.get(f"/api/v1/tasks/{draft['id']}").get_json()
    assert detail["form"]["key"] == "letter_draft"
    assert "weight" in detail["form"]["fields"]["lines"]["items"]

    done = head.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": VALID_LETTER})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"

    review = _task(leader, "review_letter")
    returned = leader.post(
        f"/api/v1/tasks/{review['id']}/complete",
        json={"data": {"decision": "return", "comment": "目标偏低"}},
    )
    assert returned.status_code == 200

    redraft = _task(head, "draft_letter")
    assert redraft["id"] != draft["id"]
    head.post(f"/api/v1/tasks/{redraft['id']}/complete", json={"data": VALID_LETTER})
    review = _task(leader, "review_letter")
    leader.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "approve"}})

    head.post(
        f"/api/v1/tasks/{_task(head, 'sign_department')['id']}/complete",
        json={"data": {"confirm": True}},
    )
    final = leader.post(
        f"/api/v1/tasks/{_task(leader, 'sign_leader')['id']}/complete",
        json={"data": {"confirm": True}},
    )
    assert final.status_code == 200

    body = admin.get(f"/api/v1/instances/{instance['id']}").get_json()
    # Target setting is done; the year's monitoring waits for its first spot check (February)
    assert body["status"] == "waiting_timer"
    assert body["next_timer_at"].startswith("2026-02-")
    kinds = [(e["kind"], e["bpmn_id"], e["actor_name"]) for e in body["history"]]
    assert ("task_completed", "review_letter", "李建国") in kinds
    assert ("service_task", "lock_letter", None) in kinds
    letters = db.session.query(ResponsibilityLetter).order_by(ResponsibilityLetter.revision).all()
    assert [(letter.revision, letter.status) for letter in letters] == [
        (1, "returned"),
        (2, "locked"),
    ]
    assert letters[1].content_hash and len(letters[1].content_hash) == 64
    assert sorted(s.role for s in letters[1].signatures) == [
        "department_head",
        "supervising_leader",
    ]
    assert db.session.query(Notice).count() == 0


def test_review_reminder_fires_once_after_due_time(api_as, clock, app):
    from app.services import timers

    start_instance()
    head, leader = api_as("head_fin"), api_as("leader_li")
    head.post(
        f"/api/v1/tasks/{_task(head, 'draft_letter')['id']}/complete", json={"data": VALID_LETTER}
    )
    review = _task(leader, "review_letter")
    assert review["due_at"].startswith("2026-01-10")

    clock.advance(timedelta(days=4, hours=23))
    assert timers.sweep() == 0
    clock.advance(timedelta(hours=2))
    assert timers.sweep() == 1
    assert timers.sweep() == 0
    notices = db.session.query(Notice).all()
    assert [
        (n.kind, n.person.username if hasattr(n, "person") else n.person_id) for n in notices
    ] == [("overdue_reminder", notices[0].person_id)]
    # non-interrupting: the review is still waiting for the leader
    assert _task(leader, "review_letter")["id"] == review["id"]
