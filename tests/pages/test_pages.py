"""The server-rendered pages of target setting, through the Flask test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, HumanTask, Notice, ResponsibilityLetter
from app.services import timers
from tests.conftest import VALID_LETTER, person, start_instance


def csrf(page) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.get_data(True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def ready_task(bpmn_id: str) -> HumanTask:
    db.session.rollback()  # see what other requests committed
    return db.session.scalars(
        select(HumanTask).where(HumanTask.bpmn_id == bpmn_id, HumanTask.status == "ready")
    ).one()


def letter_form(letter: dict) -> dict[str, str]:
    form = {"note": letter.get("note") or ""}
    for i, line in enumerate(letter["lines"]):
        for field, value in line.items():
            form[f"lines-{i}-{field}"] = value
    return form


def submit_task(client, task_id: int, data: dict):
    token = csrf(client.get(f"/tasks/{task_id}"))
    return client.post(f"/tasks/{task_id}", data={"csrf_token": token, **data})


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions() -> list[tuple[str, int | None]]:
    """Audit rows of signing in and out and of tasks (not the fixtures' set-up)."""
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("auth.%") | AuditEvent.action.like("task.%"))
        .order_by(AuditEvent.id)
    )
    return [(row.action, row.actor_id) for row in rows]


# --- sign-in -------------------------------------------------------------------------------


def test_sign_in_success_redirects_to_inbox_and_audits(client, login_as):
    response = login_as("head_fin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    inbox = client.get("/")
    assert inbox.status_code == 200
    assert "陈晓" in inbox.get_data(True)
    assert ("auth.signed_in", person("head_fin").id) in audit_actions()


@pytest.mark.parametrize(
    ("username", "password"), [("head_fin", "wrong-password"), ("nobody", "demo-2026")]
)
def test_sign_in_failure_is_generic_and_audited(client, login_as, username, password):
    response = login_as(username, password)
    assert response.status_code == 200
    body = response.get_data(True)
    assert "用户名或密码不正确" in body
    assert "不存在" not in body  # never says which part was wrong
    assert client.get("/").status_code == 302  # still anonymous
    actions = audit_actions()
    assert [a for a, _ in actions] == ["auth.failed"]
    expected_actor = person("head_fin").id if username == "head_fin" else None
    assert actions[0][1] == expected_actor


def test_sign_in_with_empty_fields_shows_field_errors(client, org):
    token = csrf(client.get("/login"))
    response = client.post("/login", data={"csrf_token": token, "username": "", "password": ""})
    body = response.get_data(True)
    assert "请输入用户名" in body and "请输入密码" in body
    assert audit_actions() == []


def test_sign_in_without_csrf_token_is_refused(client, org):
    response = client.post("/login", data={"username": "head_fin", "password": "demo-2026"})
    assert response.status_code == 400
    assert "请求无效" in response.get_data(True)
    assert client.get("/").status_code == 302
    assert audit_actions() == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/instances/1", "/instances/1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirect_only_to_local_paths(client, org, target, expected):
    token = csrf(client.get("/login"))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "username": "head_fin", "password": "demo-2026"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_is_sent_to_sign_in(client, org):
    for url in ("/", "/tasks/1", "/instances/1"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    page = client.get("/login?next=/")
    assert page.status_code == 200
    follow = client.get("/", follow_redirects=True)
    assert "请先登录" in follow.get_data(True)


def test_logout_needs_csrf_and_signs_out(client, login_as):
    login_as("head_fin")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    token = csrf(client.get("/"))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert ("auth.signed_out", person("head_fin").id) in audit_actions()
    assert client.get("/logout").status_code == 405  # never by a link or an image


# --- inbox ---------------------------------------------------------------------------------


def test_inbox_shows_the_heads_draft_task(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    body = client.get("/").get_data(True)
    assert f'href="/tasks/{draft.id}"' in body
    assert "财政局预算科" in body
    assert "2026" in body
    assert "2026-01-15" in body  # due in Beijing time
    assert "已超期" not in body


def test_inbox_of_another_department_does_not_show_the_task(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_insp")
    body = client.get("/").get_data(True)
    assert f"/tasks/{draft.id}" not in body
    assert "目前没有待办任务" in body


def test_overdue_marker_after_the_due_time(client, login_as, clock):
    start_instance()
    login_as("head_fin")
    clock.advance(timedelta(days=9))
    assert "已超期" not in client.get("/").get_data(True)
    clock.advance(timedelta(days=2))
    body = client.get("/").get_data(True)
    assert 'class="badge overdue"' in body and "已超期" in body


def test_yellow_and_red_cards_show_in_the_inbox_and_the_leader_is_told(client, login_as, clock):
    from app.services import escalation

    start_instance()
    login_as("head_fin")
    clock.advance(timedelta(days=10, minutes=1))
    assert escalation.sweep() == {"yellow_card": 1}
    body = client.get("/").get_data(True)
    assert 'class="badge card-yellow_card">黄牌<' in body
    assert "黄牌：「预算科」的「起草绩效责任书」已于2026-01-15 09:00超期" in body
    clock.advance(timedelta(days=4))
    assert escalation.sweep() == {"red_card": 1}
    assert 'class="badge card-red_card">红牌<' in client.get("/").get_data(True)
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as("leader_li")
    body = client.get("/").get_data(True)
    assert ">红牌</span>" in body and "请督办" in body


def test_overdue_review_reminder_is_shown_and_can_be_marked_read(client, login_as, clock):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    assert submit_task(client, draft.id, letter_form(VALID_LETTER)).status_code == 302
    clock.advance(timedelta(days=6))
    assert timers.sweep() == 1
    notice = db.session.scalars(select(Notice)).one()
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})

    login_as("leader_li")
    body = client.get("/").get_data(True)
    assert "超期提醒" in body and "已超过办理时限" in body
    token = csrf(client.get("/"))
    response = client.post(f"/notices/{notice.id}/read", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Notice, notice.id).read_at is not None
    assert "没有未读提醒" in client.get("/").get_data(True)


def test_notice_of_someone_else_is_not_found(client, login_as, clock):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    assert submit_task(client, draft.id, letter_form(VALID_LETTER)).status_code == 302
    clock.advance(timedelta(days=6))
    assert timers.sweep() == 1
    notice = db.session.scalars(select(Notice)).one()
    token = csrf(client.get("/"))
    assert client.post(f"/notices/{notice.id}/read", data={"csrf_token": token}).status_code == 404
    db.session.rollback()
    assert db.session.get(Notice, notice.id).read_at is None


# --- the draft form ------------------------------------------------------------------------


def with_weights(*weights: str) -> dict:
    lines = [dict(line, weight=w) for line, w in zip(VALID_LETTER["lines"], weights, strict=True)]
    return {"lines": lines, "note": VALID_LETTER["note"]}


def test_draft_form_renders_the_editor(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    page = client.get(f"/tasks/{draft.id}")
    assert page.status_code == 200
    body = page.get_data(True)
    assert "起草绩效责任书" in body
    for field in ("name", "kind", "direction", "target", "unit", "weight"):
        assert f'<label class="sr-only" for="lines-0-{field}">' in body
        assert f'id="lines-0-{field}" name="lines-0-{field}"' in body
    assert 'id="weight-sum"' in body and "letter_editor.js" in body


def test_wrong_weights_are_refused_beside_the_total_and_nothing_is_written(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    response = submit_task(client, draft.id, letter_form(with_weights("20", "10", "35", "30")))
    assert response.status_code == 422
    body = response.get_data(True)
    assert re.search(r'id="weight_total-error">权重合计必须恰好为 100，当前为 95</p>', body)
    # the user's input is kept
    assert 'name="lines-3-weight" value="30"' in body
    assert 'value="费用控制目标达成率"' in body
    assert count(ResponsibilityLetter) == 0
    assert db.session.get(HumanTask, draft.id).status == "ready"
    assert ("task.complete", person("head_fin").id) not in audit_actions()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight", "abc", "请输入有效的数字"),
        ("weight", "0", "权重须大于 0 且不超过 100"),
        ("weight", "120", "权重须大于 0 且不超过 100"),
        ("weight", "12.345", "权重最多两位小数"),
        ("target", "", "每项指标必须有目标值"),
        ("target", "1e999", "数值超出允许范围"),
        ("direction", "sideways", "请选择一个有效选项"),
        ("name", "x" * 101, "长度超出限制"),
    ],
)
def test_bad_line_fields_are_shown_beside_the_field(client, login_as, field, value, message):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    form = letter_form(VALID_LETTER)
    form[f"lines-1-{field}"] = value
    response = submit_task(client, draft.id, form)
    assert response.status_code == 422
    body = response.get_data(True)
    assert f'<p class="field-error" id="lines-1-{field}-error">{message}</p>' in body
    assert f'aria-describedby="lines-1-{field}-error"' in body
    assert count(ResponsibilityLetter) == 0
    assert db.session.get(HumanTask, draft.id).status == "ready"


def test_duplicate_names_and_empty_letters_are_refused(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    form = letter_form(VALID_LETTER)
    form["lines-2-name"] = form["lines-0-name"]
    response = submit_task(client, draft.id, form)
    assert response.status_code == 422
    assert 'id="lines-2-name-error">指标名称重复</p>' in response.get_data(True)

    empty = submit_task(client, draft.id, {"note": "", "lines-0-name": "", "lines-0-weight": ""})
    assert empty.status_code == 422
    assert 'id="lines-error">指标须有 1 至 60 项</p>' in empty.get_data(True)

    too_many = {}
    for i in range(61):
        line = dict(VALID_LETTER["lines"][0], name=f"指标{i}", weight="1")
        too_many.update({f"lines-{i}-{k}": v for k, v in line.items()})
    response = submit_task(client, draft.id, too_many)
    assert response.status_code == 422
    assert 'id="lines-error">指标须有 1 至 60 项</p>' in response.get_data(True)
    assert count(ResponsibilityLetter) == 0
    assert db.session.get(HumanTask, draft.id).status == "ready"


def test_rows_with_gaps_are_read_in_order(client, login_as):
    """Rows removed in the browser leave gaps in the numbering; the letter keeps the order."""
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    form = {}
    for position, line in zip((3, 7, 12, 40), VALID_LETTER["lines"], strict=True):
        form.update({f"lines-{position}-{k}": v for k, v in line.items()})
    assert submit_task(client, draft.id, form).status_code == 302
    db.session.rollback()
    letter = db.session.scalars(select(ResponsibilityLetter)).one()
    assert [line.name for line in letter.lines] == [x["name"] for x in VALID_LETTER["lines"]]


def test_task_post_without_csrf_token_is_refused(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    response = client.post(f"/tasks/{draft.id}", data=letter_form(VALID_LETTER))
    assert response.status_code == 400
    assert count(ResponsibilityLetter) == 0
    assert db.session.get(HumanTask, draft.id).status == "ready"


def test_correct_draft_goes_to_the_leaders_inbox(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    response = submit_task(
        client, draft.id, letter_form(with_weights("22.22", "11.11", "31.67", "35.00"))
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "已办理：" in client.get("/").get_data(True)
    letter = db.session.scalars(select(ResponsibilityLetter)).one()
    assert (letter.revision, letter.status, len(letter.lines)) == (1, "submitted", 4)
    assert db.session.get(HumanTask, draft.id).status == "completed"
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})

    review = ready_task("review_letter")
    login_as("leader_li")
    body = client.get("/").get_data(True)
    assert f'href="/tasks/{review.id}"' in body and "审核" in body
    page = client.get(f"/tasks/{review.id}").get_data(True)
    assert "预算执行进度" in page and 'class="num letter-total">100<' in page
    assert [f"{line.weight:f}" for line in letter.lines] == ["22.22", "11.11", "31.67", "35.00"]


# --- review and sign -----------------------------------------------------------------------


def submitted_review(client, login_as) -> HumanTask:
    """Start, draft as head_fin, and sign in as leader_li with the review task waiting."""
    start_instance()
    login_as("head_fin")
    draft = ready_task("draft_letter")
    assert submit_task(client, draft.id, letter_form(VALID_LETTER)).status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as("leader_li")
    return ready_task("review_letter")


def test_send_back_without_comment_is_refused(client, login_as):
    review = submitted_review(client, login_as)
    for comment in ("", "   "):
        response = submit_task(client, review.id, {"decision": "return", "comment": comment})
        assert response.status_code == 422
        body = response.get_data(True)
        assert 'id="comment-error">退回时必须填写意见</p>' in body
        assert 'value="return" checked' in body  # the choice is kept
    assert db.session.get(HumanTask, review.id).status == "ready"
    assert db.session.scalars(select(ResponsibilityLetter)).one().status == "submitted"


def test_review_without_decision_is_refused(client, login_as):
    review = submitted_review(client, login_as)
    response = submit_task(client, review.id, {"comment": "看过"})
    assert response.status_code == 422
    assert 'id="decision-error">此项必填</p>' in response.get_data(True)
    bogus = submit_task(client, review.id, {"decision": "maybe"})
    assert bogus.status_code == 422
    assert 'id="decision-error">请选择一个有效选项</p>' in bogus.get_data(True)
    assert db.session.get(HumanTask, review.id).status == "ready"


def test_send_back_reopens_the_draft_prefilled_with_the_comment(client, login_as):
    review = submitted_review(client, login_as)
    response = submit_task(client, review.id, {"decision": "return", "comment": "目标偏低"})
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as("head_fin")
    redraft = ready_task("draft_letter")
    body = client.get(f"/tasks/{redraft.id}").get_data(True)
    assert "上一版已被退回" in body and "目标偏低" in body
    assert 'name="lines-2-name" value="预算执行进度"' in body
    assert 'name="lines-0-target" value="0.5"' in body


def test_approve_then_both_sign_and_the_letter_is_locked(client, login_as):
    review = submitted_review(client, login_as)
    assert submit_task(client, review.id, {"decision": "approve"}).status_code == 302
    sign_leader = ready_task("sign_leader")
    unconfirmed = submit_task(client, sign_leader.id, {})
    assert unconfirmed.status_code == 422
    assert 'id="confirm-error">必须确认签署</p>' in unconfirmed.get_data(True)
    assert submit_task(client, sign_leader.id, {"confirm": "yes"}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})

    login_as("head_fin")
    sign_department = ready_task("sign_department")
    page = client.get(f"/tasks/{sign_department.id}").get_data(True)
    assert "签署绩效责任书" in page and "李建国" in page  # the leader's signature is listed
    assert submit_task(client, sign_department.id, {"confirm": "yes"}).status_code == 302
    db.session.rollback()
    letter = db.session.scalars(select(ResponsibilityLetter)).one()
    assert letter.status == "locked" and letter.content_hash

    instance_page = client.get(f"/instances/{letter.instance_id}").get_data(True)
    assert "等待定时" in instance_page and "已签署锁定" in instance_page  # monitoring has begun
    assert "没有待办环节" in instance_page


# --- access and conflicts ------------------------------------------------------------------


def test_another_departments_head_gets_403_on_task_and_instance(client, login_as):
    instance = start_instance()
    draft = ready_task("draft_letter")
    login_as("head_insp")
    for url in (f"/tasks/{draft.id}", f"/instances/{instance.id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "没有权限" in response.get_data(True)
    token = csrf(client.get("/"))
    response = client.post(
        f"/tasks/{draft.id}", data={"csrf_token": token, **letter_form(VALID_LETTER)}
    )
    assert response.status_code == 403
    assert count(ResponsibilityLetter) == 0
    assert db.session.get(HumanTask, draft.id).status == "ready"


def test_a_viewer_who_is_not_a_candidate_gets_403(client, login_as):
    """The leader may follow the department's instance but does not draft its letter."""
    instance = start_instance()
    draft = ready_task("draft_letter")
    login_as("leader_li")
    assert client.get(f"/instances/{instance.id}").status_code == 200
    assert client.get(f"/tasks/{draft.id}").status_code == 403
    token = csrf(client.get("/"))
    response = client.post(
        f"/tasks/{draft.id}", data={"csrf_token": token, **letter_form(VALID_LETTER)}
    )
    assert response.status_code == 403
    assert count(ResponsibilityLetter) == 0


def test_unknown_task_and_instance_are_404(client, login_as):
    login_as("head_fin")
    for url in ("/tasks/999999", "/instances/999999", "/no-such-page"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "找不到页面" in response.get_data(True)


def test_a_task_completed_in_another_window_gives_409(client, login_as):
    start_instance()
    draft = ready_task("draft_letter")
    login_as("head_fin")
    token = csrf(client.get(f"/tasks/{draft.id}"))
    first = client.post(
        f"/tasks/{draft.id}", data={"csrf_token": token, **letter_form(VALID_LETTER)}
    )
    assert first.status_code == 302
    again = client.post(
        f"/tasks/{draft.id}", data={"csrf_token": token, **letter_form(VALID_LETTER)}
    )
    assert again.status_code == 409
    assert "此任务已由 陈晓" in again.get_data(True)
    assert client.get(f"/tasks/{draft.id}").status_code == 409
    assert count(ResponsibilityLetter) == 1


def test_instance_page_shows_tasks_candidates_and_history(client, login_as):
    instance = start_instance()
    login_as("head_fin")
    draft = ready_task("draft_letter")
    assert submit_task(client, draft.id, letter_form(VALID_LETTER)).status_code == 302
    body = client.get(f"/instances/{instance.id}").get_data(True)
    assert "财政局预算科" in body and "2026" in body and "等待办理" in body
    assert "李建国" in body  # candidate of the review
    assert "2026-01-10" in body  # review due (P5D)
    assert "王敏" in body  # started by
    assert "陈晓" in body  # drafted by
    assert "尚未提交绩效责任书" not in body and "预算执行进度" in body


# --- language ------------------------------------------------------------------------------


def test_english_pages(client, login_as):
    start_instance()
    page = client.get("/login?lang=en")
    body = page.get_data(True)
    assert '<html lang="en">' in body and "Sign in" in body and "登录" not in body
    assert '<html lang="zh-CN">' in client.get("/login").get_data(True)

    login_as("head_fin")
    response = client.get("/lang/en?next=/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    inbox = client.get("/").get_data(True)  # the choice is remembered in the session
    assert '<html lang="en">' in inbox and "My tasks" in inbox and "我的待办" not in inbox

    draft = ready_task("draft_letter")
    refused = submit_task(client, draft.id, letter_form(with_weights("20", "10", "35", "30")))
    assert refused.status_code == 422
    assert "Weights must add up to exactly 100; they add up to 95" in refused.get_data(True)

    assert client.get("/lang/zh?next=https://evil.example/").headers["Location"] == "/"
    assert "我的待办" in client.get("/").get_data(True)
