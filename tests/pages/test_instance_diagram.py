"""The instance page's diagram: the instance's own definition version, each element's state
with overdue steps from the due time, a text alternative, and the history's details."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.services import assignments, definitions, instance_diagram, instances
from app.services.transactions import unit_of_work
from tests.conftest import PROJECT_ROOT, VALID_LETTER, person, start_instance
from tests.pages.test_pages import ready_task

SHIPPED = PROJECT_ROOT / "workflows" / "bpmn" / "annual_cycle.bpmn"


def _states(client, instance_id: int) -> dict:
    response = client.get(f"/instances/{instance_id}/diagram.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_a_started_instance_has_its_start_done_and_the_draft_ready(client, login_as):
    instance = start_instance()
    login_as("head_fin")
    body = _states(client, instance.id)
    assert body["states"] == {"start": "completed", "draft_letter": "ready"}
    assert body["overdue"] == []
    assert body["definition"]["version"] == 1
    [step] = body["active"]
    assert (step["bpmn_id"], step["state"], step["overdue"], step["open_tasks"]) == (
        "draft_letter",
        "ready",
        False,
        1,
    )
    page = client.get(f"/instances/{instance.id}").get_data(True)
    assert "data-instance-diagram" in page and "build/instance_diagram.js" in page
    assert 'data-bpmn-id="draft_letter" data-state="ready"' in page  # the text alternative
    assert "图例" in page and "已超期" in page


def test_after_its_due_time_the_ready_step_is_overdue(client, login_as, clock):
    instance = start_instance()
    due = ready_task("draft_letter").due_at
    login_as("leader_li")
    clock.set(due - timedelta(minutes=1))
    assert _states(client, instance.id)["overdue"] == []
    clock.set(due + timedelta(minutes=1))
    body = _states(client, instance.id)
    assert body["overdue"] == ["draft_letter"]
    assert body["states"]["draft_letter"] == "ready"  # the engine's state is unchanged
    assert 'data-bpmn-id="draft_letter" data-state="overdue"' in client.get(
        f"/instances/{instance.id}"
    ).get_data(True)


def test_completed_steps_move_on_and_the_history_names_who_did_what(client, login_as):
    instance = start_instance()
    draft = ready_task("draft_letter")
    unit_of_work(lambda: assignments.claim(draft.id, person("head_fin")))
    unit_of_work(lambda: instances.complete_task(draft.id, person("head_fin"), VALID_LETTER))
    review = ready_task("review_letter")
    unit_of_work(
        lambda: assignments.reassign(review.id, person("admin"), person("leader_li").id, "休假")
    )
    login_as("head_fin")
    body = _states(client, instance.id)
    assert body["states"]["draft_letter"] == "completed"
    assert body["states"]["review_letter"] == "ready"
    assert body["states"]["review_overdue"] == "waiting"  # the review's boundary timer
    assert [(s["bpmn_id"], s["state"]) for s in body["active"]] == [
        ("review_letter", "ready"),
        ("review_overdue", "waiting"),
    ]
    page = client.get(f"/instances/{instance.id}").get_data(True)
    history = page[page.index('id="history-heading"') :]
    assert "认领" in history and "办理" in history and "改派任务" in history
    assert "交给 李建国" in history and "原因：休假" in history
    assert history.count("陈晓") >= 2  # claimed and completed by her


def test_an_instance_in_error_marks_the_failed_step(client, login_as):
    instance = start_instance()

    def fail():
        found = db.session.get(ProcessInstance, instance.id)
        found.status, found.error_task = "error", "draft_letter"

    unit_of_work(fail)
    login_as("admin")
    body = _states(client, instance.id)
    assert body["states"]["draft_letter"] == "error"
    assert body["active"][0]["state"] == "error"


def test_a_terminated_instance_has_nothing_active(client, login_as):
    instance = start_instance()
    unit_of_work(lambda: instances.terminate(instance.id, person("admin"), "撤销"))
    login_as("admin")
    body = _states(client, instance.id)
    assert body["states"] == {"start": "completed"}
    assert body["active"] == [] and body["overdue"] == []
    assert "流程已结束，没有正在办理的环节" in client.get(f"/instances/{instance.id}").get_data(
        True
    )


def test_the_diagram_is_the_instances_own_version_not_the_latest(client, login_as):
    instance = start_instance()
    shipped = SHIPPED.read_text(encoding="utf-8")
    changed = shipped.replace('name="起草绩效责任书"', 'name="起草责任书（新版）"', 1).encode()
    assert changed != shipped.encode()
    newer, created = unit_of_work(
        lambda: definitions.upload("annual_cycle.bpmn", changed, person("admin"))
    )
    assert created and newer.version == 2
    login_as("head_fin")  # not the centre: the definitions API would not serve them the XML
    response = client.get(f"/instances/{instance.id}/diagram.bpmn")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    xml = response.get_data(True)
    assert 'name="起草绩效责任书"' in xml and "起草责任书（新版）" not in xml
    assert xml == db.session.get(ProcessDefinition, instance.definition_id).source
    assert _states(client, instance.id)["definition"]["version"] == 1


@pytest.mark.parametrize("suffix", ["diagram.json", "diagram.bpmn"])
def test_another_departments_head_unknown_ids_and_anonymous_are_refused(client, login_as, suffix):
    instance = start_instance("DC-DC")
    assert client.get(f"/instances/{instance.id}/{suffix}").status_code == 302  # to sign in
    login_as("head_fin")
    refused = client.get(f"/instances/{instance.id}/{suffix}")
    assert refused.status_code == 403
    assert "督查科" not in refused.get_data(True) and "<bpmn" not in refused.get_data(True)
    assert client.get(f"/instances/999999/{suffix}").status_code == 404


def test_the_service_refuses_whoever_may_not_see_the_instance(app, org):
    instance = start_instance("DC-DC")
    from app.services.errors import NotFound

    with pytest.raises(NotFound):
        instance_diagram.for_viewer(instance.id, person("head_fin"))
    with pytest.raises(NotFound):
        instance_diagram.source(instance.id, person("expert_gao"))
    assert instance_diagram.for_viewer(instance.id, person("admin")).states["start"] == "completed"


def test_the_api_serves_the_same_marks_and_source_to_whoever_may_see_the_instance(api_as):
    from tests.api.helpers import error_of

    instance = start_instance()
    head = api_as("head_fin")
    body = head.get(f"/api/v1/instances/{instance.id}/diagram").get_json()
    assert body["states"] == {"start": "completed", "draft_letter": "ready"}
    assert body["active"][0]["name"] == "起草绩效责任书"
    source = head.get(f"/api/v1/instances/{instance.id}/diagram/source")
    assert source.status_code == 200 and source.mimetype == "application/xml"
    assert source.get_data(True) == db.session.get(ProcessDefinition, instance.definition_id).source
    error_of(head.get("/api/v1/instances/999999/diagram"), 404, "not_found")
    error_of(
        api_as("head_insp").get(f"/api/v1/instances/{instance.id}/diagram/source"), 404, "not_found"
    )


def test_the_diagram_panel_in_english(client, login_as):
    instance = start_instance()
    login_as("head_fin")
    client.get("/lang/en?next=/")
    body = client.get(f"/instances/{instance.id}").get_data(True)
    assert "Where it stands" in body and "Legend" in body and "version 1" in body
    assert "当前所处环节" not in body


def _peer_ballots(instance_id: int) -> None:
    """Two peer ballots of the instance: head_kj's cast, head_gk's still open."""
    from app.models import HumanTask, InstanceEvent

    def add():
        found = db.session.get(ProcessInstance, instance_id)
        for n, (username, status) in enumerate((("head_kj", "completed"), ("head_gk", "ready"))):
            db.session.add(
                HumanTask(
                    instance_id=found.id, task_id=f"peer-{n}", bpmn_id="peer_ballot",
                    name="民主测评", role="department_head", department_id=found.department_id,
                    form_key="ballot", status=status, assignee_id=person(username).id,
                    personal=True,
                )
            )  # fmt: skip
        db.session.add(
            InstanceEvent(
                instance_id=found.id, kind="task_completed", bpmn_id="peer_ballot",
                name="民主测评", actor_id=person("head_kj").id,
            )
        )  # fmt: skip

    unit_of_work(add)


def test_peer_ballots_name_nobody_who_voted_or_still_has_to(client, login_as):
    """Peer ballots (民主测评) are anonymous: the history says a ballot was cast and when, not
    by whom; the open ones name their evaluators to the centre only (to chase them)."""
    instance = start_instance()
    _peer_ballots(instance.id)
    login_as("head_fin")
    body = client.get(f"/instances/{instance.id}").get_data(True)
    assert "民主测评" in body and body.count("匿名评价人") == 2  # the open one and the cast one
    assert "郭丽" not in body and "马骏" not in body


def test_the_centre_sees_who_still_has_to_vote_but_not_who_voted(client, login_as):
    instance = start_instance()
    _peer_ballots(instance.id)
    login_as("admin")
    body = client.get(f"/instances/{instance.id}").get_data(True)
    current = body[body.index('id="current-heading"') : body.index('id="letter-heading"')]
    assert "马骏" in current  # head_gk's ballot is open
    history = body[body.index('id="history-heading"') :]
    assert "郭丽" not in history and history.count("匿名评价人") == 1


def test_the_api_keeps_peer_ballots_as_anonymous_as_the_page(api_as):
    """The same rule through /api/v1/instances/<id>: no voter in the history for anyone; the
    open ballot's evaluator for the centre only."""
    instance = start_instance()
    _peer_ballots(instance.id)
    voter, waiting = person("head_kj").id, person("head_gk").id

    head = api_as("head_fin").get(f"/api/v1/instances/{instance.id}").get_json()
    cast = [e for e in head["history"] if e["bpmn_id"] == "peer_ballot"]
    assert cast == [{**cast[0], "actor_id": None, "actor_name": None, "anonymous": True}]
    ballots = [t for t in head["tasks"] if t["bpmn_id"] == "peer_ballot"]
    assert len(ballots) == 2
    assert {(t["assignee_id"], t["completed_by_id"]) for t in ballots} == {(None, None)}
    drafts = [t for t in head["tasks"] if t["bpmn_id"] == "draft_letter"]
    assert drafts and drafts[0]["department_name"]

    centre = api_as("admin").get(f"/api/v1/instances/{instance.id}").get_json()
    assert [e["actor_id"] for e in centre["history"] if e["bpmn_id"] == "peer_ballot"] == [None]
    assert {t["assignee_id"] for t in centre["tasks"] if t["bpmn_id"] == "peer_ballot"} == {
        voter,
        waiting,
    }
