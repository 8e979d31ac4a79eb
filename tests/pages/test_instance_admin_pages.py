"""The instance page's admin forms: suspend, resume, terminate, retry and reassign (the centre)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import HumanTask, InstanceEvent, ProcessInstance
from tests.conftest import person, start_instance
from tests.pages.test_pages import csrf

ACTION_FORMS = ("suspend", "resume", "terminate", "retry")


def _status(instance_id: int) -> str:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id).status


def _draft() -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(sa.select(HumanTask).where(HumanTask.bpmn_id == "draft_letter")).one()


def _post(client, instance_id: int, action: str, **data):
    token = csrf(client.get(f"/instances/{instance_id}"))
    return client.post(
        f"/instances/{instance_id}/{action}",
        data={"csrf_token": token, **data},
        follow_redirects=True,
    )


def _forms(body: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z]+)"', body))


def test_the_centre_sees_the_admin_forms(client, login_as):
    instance = start_instance()
    login_as("admin")
    body = client.get(f"/instances/{instance.id}").get_data(True)
    assert "流程管理" in body
    assert _forms(body) == {"suspend", "terminate"}
    assert f'action="/instances/{instance.id}/tasks/{_draft().id}/reassign"' in body
    assert 'name="csrf_token"' in body


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "staff_fin"])
def test_others_see_no_admin_forms_and_are_refused(client, login_as, username):
    instance = start_instance()
    login_as(username)
    body = client.get(f"/instances/{instance.id}").get_data(True)
    assert "流程管理" not in body and not _forms(body) and "/reassign" not in body
    token = csrf(client.get("/"))
    for action in ("suspend", "terminate"):
        response = client.post(
            f"/instances/{instance.id}/{action}", data={"csrf_token": token, "reason": "我"}
        )
        assert response.status_code == 403
    response = client.post(
        f"/instances/{instance.id}/tasks/{_draft().id}/reassign",
        data={"csrf_token": token, "to_person_id": str(person(username).id), "reason": "我"},
    )
    assert response.status_code == 403
    assert _status(instance.id) == "waiting_people" and _draft().assignee_id is None


def test_suspend_resume_and_terminate_through_the_page(client, login_as):
    instance = start_instance()
    login_as("admin")
    body = _post(client, instance.id, "suspend", reason="数据核查").get_data(True)
    assert "流程已暂停" in body and _status(instance.id) == "suspended"
    assert _forms(body) == {"resume", "terminate"}
    assert "数据核查" in body  # the history shows the reason

    body = _post(client, instance.id, "resume").get_data(True)
    assert "流程已恢复运行" in body and _status(instance.id) == "waiting_people"

    body = _post(client, instance.id, "terminate", reason="科室撤并").get_data(True)
    assert "流程已终止" in body and _status(instance.id) == "terminated"
    assert not _forms(body) and "流程已结束，没有可执行的管理操作。" in body
    assert _draft().status == "cancelled"
    db.session.expire_all()
    kinds = db.session.scalars(
        sa.select(InstanceEvent.kind)
        .where(InstanceEvent.actor_id == person("admin").id)
        .order_by(InstanceEvent.id)
    ).all()
    assert kinds == ["started", "suspended", "resumed", "terminated"]


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
@pytest.mark.parametrize("action", ["suspend", "terminate"])
def test_a_missing_or_huge_reason_is_a_flash_and_changes_nothing(client, login_as, action, reason):
    instance = start_instance()
    login_as("admin")
    body = _post(client, instance.id, action, reason=reason).get_data(True)
    assert "请填写原因（最多 500 字）。" in body
    assert _status(instance.id) == "waiting_people"


def test_actions_in_the_wrong_state_are_flashed(client, login_as):
    instance = start_instance()
    login_as("admin")
    assert "该流程未暂停（当前为“等待办理”），无需恢复。" in _post(
        client, instance.id, "resume"
    ).get_data(True)
    assert "该流程未出错（当前为“等待办理”），无需重试。" in _post(
        client, instance.id, "retry"
    ).get_data(True)
    _post(client, instance.id, "terminate", reason="撤并")
    body = _post(client, instance.id, "terminate", reason="再次").get_data(True)
    assert "该流程已结束（已终止），不能终止。" in body
    token = csrf(client.get(f"/instances/{instance.id}"))
    response = client.post(
        f"/instances/{instance.id}/suspend",
        data={"csrf_token": token, "reason": "核查"},
        follow_redirects=True,
    )
    assert "只有运行中的流程可以暂停；该流程当前为“已终止”。" in response.get_data(True)
    assert _status(instance.id) == "terminated"


@pytest.mark.parametrize("action", ACTION_FORMS)
def test_admin_posts_without_csrf_are_refused(client, login_as, action):
    instance = start_instance()
    login_as("admin")
    response = client.post(f"/instances/{instance.id}/{action}", data={"reason": "核查"})
    assert response.status_code == 400
    assert _status(instance.id) == "waiting_people"
    response = client.post(
        f"/instances/{instance.id}/tasks/{_draft().id}/reassign",
        data={"to_person_id": str(person("head_hr").id), "reason": "核查"},
    )
    assert response.status_code == 400 and _draft().assignee_id is None


def test_unknown_instance_is_404(client, login_as):
    start_instance()
    login_as("admin")
    token = csrf(client.get("/"))
    response = client.post("/instances/999999/suspend", data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 404


def test_the_centre_reassigns_a_task_from_the_page(client, login_as):
    instance = start_instance()
    login_as("admin")
    draft = _draft()
    url = f"/instances/{instance.id}/tasks/{draft.id}/reassign"
    token = csrf(client.get(f"/instances/{instance.id}"))
    target = person("staff_fin")
    assert f'<option value="{target.id}">' in client.get(f"/instances/{instance.id}").get_data(True)

    for data, message in (
        ({"to_person_id": "", "reason": "休假"}, "请选择有效的人员。"),
        ({"to_person_id": "99999", "reason": "休假"}, "请选择有效的人员。"),
        ({"to_person_id": str(target.id), "reason": " "}, "请填写原因（最多 200 字）。"),
    ):
        body = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)
        assert message in body.get_data(True)
        assert _draft().assignee_id is None

    response = client.post(
        url, data={"csrf_token": token, "to_person_id": str(target.id), "reason": "负责人休假"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/instances/{instance.id}"
    body = client.get(f"/instances/{instance.id}").get_data(True)
    assert f"已改派：起草绩效责任书 → {target.display_name}。" in body
    assert _draft().assignee_id == target.id
    assert "改派任务" in body and "负责人休假" in body  # in the history, with its reason
    wrong = client.post(
        f"/instances/{instance.id + 1}/tasks/{draft.id}/reassign",
        data={"csrf_token": token, "to_person_id": str(target.id), "reason": "x"},
    )
    assert wrong.status_code == 404


def test_the_inbox_marks_a_suspended_instances_task(client, login_as):
    instance = start_instance()
    login_as("admin")
    _post(client, instance.id, "suspend", reason="核查")
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as("head_fin")
    body = client.get("/").get_data(True)
    assert "起草绩效责任书" in body and 'class="badge status-suspended"' in body


def test_the_flash_is_in_english_when_asked(client, login_as):
    instance = start_instance()
    login_as("admin")
    client.get("/lang/en?next=/")
    body = _post(client, instance.id, "suspend", reason="check").get_data(True)
    assert "The process is suspended" in body and "Suspend the process" not in body
    assert "Resume" in body and "Terminate the process" in body
