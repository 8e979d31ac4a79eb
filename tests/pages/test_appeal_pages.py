"""The two appeal forms as pages: the result shown, errors beside their fields (in Chinese, or
English), nothing written on bad input, and a filed appeal reaching the review panel."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Appeal, HumanTask
from tests.api.test_publication_and_appeals import (  # noqa: F401  (fixtures)
    cycle,
    published,
    scored,
)
from tests.pages.test_pages import csrf


def ready(instance_id: int, bpmn_id: str) -> HumanTask:
    db.session.rollback()
    return db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == "ready",
        )
    ).one()


def post(client, task_id: int, data: dict, query: str = ""):
    token = csrf(client.get(f"/tasks/{task_id}{query}"))
    return client.post(f"/tasks/{task_id}{query}", data={"csrf_token": token, **data})


@pytest.fixture
def filing(published, login_as):  # noqa: F811
    login_as("head_fin")
    return ready(published["CZ-YS"], "file_appeal")


def test_the_appeal_page_shows_the_result_and_errors_beside_fields(client, filing):
    page = client.get(f"/tasks/{filing.id}").get_data(as_text=True)
    assert "考核结果申诉" in page and "综合得分" in page and "称职" in page
    response = post(client, filing.id, {"decision": "appeal", "reasons": "  "})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert re.search(r'id="reasons-error">申诉时必须填写理由<', text)
    assert 'aria-invalid="true" aria-describedby="reasons-error"' in text
    response = post(client, filing.id, {"reasons": "x" * 2001})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="decision-error"' in text
    assert 'id="reasons-error">长度超出限制<' in text
    assert db.session.scalar(select(Appeal.id)) is None


def test_errors_in_english(client, filing):
    client.get("/lang/en?next=/")
    response = post(client, filing.id, {"decision": "appeal"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "An appeal needs its reasons." in text and "Appeal against the result" in text


def test_a_filed_appeal_reaches_the_panel_and_is_decided_on_its_page(client, filing, login_as):
    response = post(
        client, filing.id, {"decision": "appeal", "reasons": "扣分有误", "deductions": "yes"}
    )
    assert response.status_code == 302
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.disputed == {"lines": [], "deductions": True, "evaluation": False}
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as("fy_he")
    decide = ready(filing.instance_id, "decide_appeal")
    page = client.get(f"/tasks/{decide.id}").get_data(as_text=True)
    assert "扣分有误" in page and "督查扣分" in page
    response = post(
        client, decide.id, {"decision": "adjust", "reason": "更正", "deductions": "abc"}
    )
    assert response.status_code == 422
    assert 'id="deductions-error"' in response.get_data(as_text=True)
    response = post(client, decide.id, {"decision": "adjust", "reason": "更正"})
    assert 'id="indicator_score-error">调整时至少填写一项更正后的分数<' in response.get_data(
        as_text=True
    )
    db.session.rollback()
    assert db.session.get(Appeal, appeal.id).status == "filed"
    response = post(client, decide.id, {"decision": "uphold", "reason": "维持"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Appeal, appeal.id).status == "upheld"
