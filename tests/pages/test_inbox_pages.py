"""The reviewers' inbox (待办): tabs, claim and unclaim, filters, sorting, paging, bad queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Department, HumanTask, RoleAssignment
from app.services.transactions import unit_of_work
from tests.conftest import person, reads_workflow_state, sql_statements, start_instance
from tests.pages.test_pages import csrf, ready_task

DEPARTMENTS = ("CZ-YS", "CZ-KJ", "CZ-GK", "RS-RS", "RS-JY", "DC-DC", "DC-DB", "JG-ZH", "JG-HQ")


def department(code: str) -> Department:
    return db.session.scalars(select(Department).where(Department.code == code)).one()


def grant(username: str, role: str = "department_head", code: str | None = "CZ-YS") -> None:
    """Give someone a role over one department (or, with `code=None`, the whole city)."""

    def add():
        db.session.add(
            RoleAssignment(
                person_id=person(username).id,
                role=role,
                department_id=department(code).id if code else None,
            )
        )

    unit_of_work(add)


def switch_to(client, login_as, username: str) -> None:
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as(username)


def tab_counts(body: str) -> dict[str, int]:
    return {
        key: int(re.search(rf'id="count-{key}">(\d+)<', body).group(1)) for key in ("mine", "group")
    }


def current_tab(body: str) -> str:
    return re.search(r'id="tab-(\w+)"\s+aria-current="page"', body).group(1)


def row_ids(body: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-task-id="(\d+)"', body)]


def post(client, url: str):
    return client.post(url, data={"csrf_token": csrf(client.get("/"))})


def task_row(task_id: int) -> HumanTask:
    db.session.rollback()
    return db.session.get(HumanTask, task_id)


# --- tabs, claim and unclaim ---------------------------------------------------------------


@pytest.fixture
def draft(app, org):
    """The 预算科 draft, open to head_fin and a colleague given the same role."""
    start_instance()
    grant("staff_ys2")
    return ready_task("draft_letter")


def test_an_unclaimed_task_is_in_the_group_tab_of_both_candidates(client, login_as, draft):
    for username in ("head_fin", "staff_ys2"):
        login_as(username)
        body = client.get("/").get_data(True)
        assert tab_counts(body) == {"mine": 0, "group": 1}
        assert current_tab(body) == "group"  # with nothing of mine, the group tab opens
        assert row_ids(body) == [draft.id]
        assert f'action="/tasks/{draft.id}/claim?tab=group' in body
        assert "退回组内" not in body
        mine = client.get("/?tab=mine").get_data(True)
        assert current_tab(mine) == "mine" and row_ids(mine) == []
        assert "目前没有待办任务" in mine
        client.post("/logout", data={"csrf_token": csrf(client.get("/"))})


def test_claim_moves_the_task_to_mine_and_out_of_the_colleagues_group(client, login_as, draft):
    login_as("head_fin")
    response = post(client, f"/tasks/{draft.id}/claim?tab=group&sort=created")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?tab=group&sort=created"  # back as it was
    assert task_row(draft.id).assignee_id == person("head_fin").id
    back = client.get(response.headers["Location"]).get_data(True)
    assert "已认领：起草绩效责任书" in back and row_ids(back) == []
    body = client.get("/").get_data(True)
    assert current_tab(body) == "mine" and tab_counts(body) == {"mine": 1, "group": 0}
    assert row_ids(body) == [draft.id]
    assert f'action="/tasks/{draft.id}/unclaim?tab=mine' in body

    switch_to(client, login_as, "staff_ys2")
    body = client.get("/?tab=group").get_data(True)
    assert tab_counts(body) == {"mine": 0, "group": 0} and row_ids(body) == []

    switch_to(client, login_as, "head_fin")
    response = post(client, f"/tasks/{draft.id}/unclaim?tab=mine")
    assert response.status_code == 302
    assert "已退回组内：起草绩效责任书" in client.get("/?tab=mine").get_data(True)
    assert task_row(draft.id).assignee_id is None

    switch_to(client, login_as, "staff_ys2")
    body = client.get("/").get_data(True)
    assert tab_counts(body) == {"mine": 0, "group": 1} and row_ids(body) == [draft.id]


def test_claiming_a_task_someone_else_holds_is_refused_with_a_message(client, login_as, draft):
    login_as("head_fin")
    assert post(client, f"/tasks/{draft.id}/claim").status_code == 302
    switch_to(client, login_as, "staff_ys2")
    response = post(client, f"/tasks/{draft.id}/claim?tab=group")
    assert response.status_code == 302
    body = client.get(response.headers["Location"]).get_data(True)
    assert "该任务已由 陈晓 认领，不能再认领。" in body
    assert 'class="flash flash-error"' in body
    assert task_row(draft.id).assignee_id == person("head_fin").id
    # nor can the colleague hand back what they do not hold
    post(client, f"/tasks/{draft.id}/unclaim")
    assert "该任务已由 陈晓 认领" in client.get("/").get_data(True)
    assert task_row(draft.id).assignee_id == person("head_fin").id


def test_claim_without_csrf_token_is_refused(client, login_as, draft):
    login_as("head_fin")
    for action in ("claim", "unclaim"):
        response = client.post(f"/tasks/{draft.id}/{action}")
        assert response.status_code == 400
        assert "请求无效" in response.get_data(True)
    assert task_row(draft.id).assignee_id is None


def test_a_personal_task_cannot_be_handed_back(client, login_as, draft):
    def make_personal():
        task = db.session.get(HumanTask, draft.id)
        task.assignee_id, task.personal = person("head_fin").id, True

    unit_of_work(make_personal)
    login_as("head_fin")
    body = client.get("/").get_data(True)
    assert row_ids(body) == [draft.id] and "本人办理" in body
    assert f"/tasks/{draft.id}/unclaim" not in body  # no button to press
    response = post(client, f"/tasks/{draft.id}/unclaim")  # and pressing it anyway
    assert response.status_code == 302
    body = client.get("/").get_data(True)
    assert "该任务指定由你本人办理（如评价票），不能退回组内。" in body
    assert task_row(draft.id).assignee_id == person("head_fin").id


def test_claim_by_someone_who_is_not_a_candidate(client, login_as, draft):
    login_as("leader_li")  # may follow the instance, but does not draft the letter
    post(client, f"/tasks/{draft.id}/claim")
    assert "你不是该任务的办理人。" in client.get("/").get_data(True)
    switch_to(client, login_as, "head_insp")  # another bureau: not even shown to exist
    for task_id in (999999, draft.id):
        post(client, f"/tasks/{task_id}/claim")
        assert "找不到该任务。" in client.get("/").get_data(True)
    assert task_row(draft.id).assignee_id is None


def test_a_completed_task_cannot_be_claimed(client, login_as, draft):
    from tests.conftest import VALID_LETTER
    from tests.pages.test_pages import letter_form, submit_task

    login_as("head_fin")
    assert submit_task(client, draft.id, letter_form(VALID_LETTER)).status_code == 302
    post(client, f"/tasks/{draft.id}/claim")
    assert "该任务已办结或已取消。" in client.get("/").get_data(True)


# --- filters, sorting, paging --------------------------------------------------------------


@pytest.fixture
def many(app, org, clock):
    """A city-wide drafter (kh_chen, given department_head over the whole city) with 18 drafts:
    nine departments started at once (4 in 2025, 5 in 2026), the same nine for 2027 8 days
    later; so nine are due in 2 days and nine in 10."""
    grant("kh_chen", code=None)
    for code in DEPARTMENTS:
        start_instance(code, 2025 if code.startswith("CZ") or code == "RS-RS" else 2026)
    clock.advance(timedelta(days=8))
    for code in DEPARTMENTS:
        start_instance(code, 2027)
    db.session.rollback()
    return {
        t.id: t for t in db.session.scalars(select(HumanTask).where(HumanTask.status == "ready"))
    }


def test_filters_sorting_and_paging(client, login_as, many):
    login_as("kh_chen")
    first = client.get("/")
    body = first.get_data(True)
    assert first.status_code == 200
    assert tab_counts(body) == {"mine": 0, "group": 18} and current_tab(body) == "group"
    assert len(row_ids(body)) == 18  # one page of 20
    assert 'class="pager"' not in body
    # due counts: the first nine due in 2 days, the later nine in 10
    assert '"soon">3 天内到期 (9)<' in body and '"later">3 天后到期 (9)<' in body

    by_due = row_ids(body)
    due_times = [many[i].due_at for i in by_due]
    assert due_times == sorted(due_times)
    desc = row_ids(client.get("/?sort=due_desc").get_data(True))
    assert [many[i].due_at for i in desc] == sorted(due_times, reverse=True)
    newest = row_ids(client.get("/?sort=created").get_data(True))
    created = [many[i].created_at for i in newest]
    assert created == sorted(created, reverse=True) and created[0] > created[-1]

    body = client.get(f"/?department={department('CZ-YS').id}").get_data(True)
    assert {many[i].department.code for i in row_ids(body)} == {"CZ-YS"}
    assert tab_counts(body) == {"mine": 0, "group": 2}

    soon = client.get("/?due=soon").get_data(True)
    assert len(row_ids(soon)) == 9 and tab_counts(soon)["group"] == 9
    assert client.get("/?due=overdue").get_data(True).count("data-task-id") == 0
    assert "没有符合筛选条件的任务" in client.get("/?due=none").get_data(True)

    year = client.get("/?year=2025").get_data(True)
    assert {many[i].instance.campaign.year for i in row_ids(year)} == {2025}
    assert len(row_ids(year)) == 4
    both = client.get("/?year=2027&due=later&step=draft_letter").get_data(True)
    assert len(row_ids(both)) == 9

    by_department = row_ids(client.get("/?sort=department&year=2027").get_data(True))
    names = [(many[i].department.unit.name, many[i].department.name) for i in by_department]
    assert names == sorted(names)


def test_paging_keeps_the_filters(client, login_as, many):
    """22 drafts: two pages of 20; the pager's links and a claim keep the filters."""
    for code in ("XF-JD", "XF-BX"):
        start_instance(code, 2027)
    for code in ("XF-JD", "XF-BX"):
        start_instance(code, 2026)
    login_as("kh_chen")
    body = client.get("/?sort=department").get_data(True)
    assert tab_counts(body)["group"] == 22
    assert len(row_ids(body)) == 20
    assert "第 1 页，共 2 页" in body
    next_link = re.search(r'href="([^"]+)" rel="next"', body).group(1).replace("&amp;", "&")
    assert next_link == "/?tab=group&page=2&sort=department"
    second = client.get(next_link).get_data(True)
    assert len(row_ids(second)) == 2 and "第 2 页，共 2 页" in second
    assert not set(row_ids(second)) & set(row_ids(body))
    prev_link = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert prev_link == "/?tab=group&page=1&sort=department"
    # a claim from page 2 comes back to page 2, filters kept
    claim = re.search(r'action="(/tasks/\d+/claim[^"]+)"', second).group(1).replace("&amp;", "&")
    response = post(client, claim)
    assert response.headers["Location"] == "/?tab=group&sort=department&page=2"
    # a page past the last shows the last, with a notice
    past = client.get("/?tab=group&page=7")
    assert past.status_code == 200
    assert "没有这一页，已显示最后一页（第 2 页）" in past.get_data(True)


def test_the_inbox_costs_the_same_queries_for_few_or_many_rows(client, login_as, many):
    def statements(url: str) -> int:
        with sql_statements() as seen:
            assert client.get(url).status_code == 200
        # a row shows its instance's status and year; the workflow state (tens of KB) stays
        assert not any(reads_workflow_state(s) for s in seen)
        return len(seen)

    login_as("kh_chen")
    statements("/")  # the first request of the session also loads the signed-in person
    few = statements(f"/?department={department('CZ-YS').id}")  # 2 rows
    lots = statements("/")  # 18 rows
    assert few == lots <= 8


# --- bad queries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("sort=bogus", "sort", "排序：不认识的取值"),
        ("tab=everything", "tab", "分类：不认识的取值"),
        ("due=someday", "due", "办理时限：不认识的取值"),
        ("page=0", "page", "页码：页码须在 1 至 10000 之间"),
        ("page=99999", "page", "页码：页码须在 1 至 10000 之间"),
        ("page=abc", "page", "页码：须为正整数"),
        ("page=-1", "page", "页码：须为正整数"),
        ("department=abc", "department", "科室：须为正整数"),
        ("department=999999", "department", "科室：没有这个科室"),
        ("department=99999999999999999999", "department", "科室：须为正整数"),
        ("year=1900", "year", "考核年度：年度须在 2000 至 2100 之间"),
        ("year=二〇二六", "year", "考核年度：须为正整数"),
        ("step=%3Cscript%3E", "step", "环节：不认识的取值"),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(client, login_as, draft, query, name, message):
    login_as("head_fin")
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    body = response.get_data(True)
    assert "筛选条件有误" in body
    assert f'<li id="{name}-error">{message}</li>' in body
    assert "data-task-id" not in body  # no rows under a query that was not understood
    assert 'name="department"' in body  # the filters, to put it right
    assert "<script>" not in body


def test_several_bad_parameters_are_all_named_and_good_ones_kept(client, login_as, draft):
    login_as("head_fin")
    response = client.get("/?sort=x&page=0&year=2026&due=soon")
    assert response.status_code == 400
    body = response.get_data(True)
    assert 'id="sort-error"' in body and 'id="page-error"' in body
    assert '<option value="2026" selected>' in body
    assert '<option value="soon" selected>' in body
    assert 'href="/?tab=mine">' in body  # 清除筛选
    assert client.get("/?step=no_such_step").status_code == 200  # a well-formed step: no rows


def test_the_english_inbox(client, login_as, draft):
    login_as("head_fin")
    client.get("/lang/en?next=/")
    body = client.get("/").get_data(True)
    assert "Assigned to me" in body and "Group tasks" in body and "Claim" in body
    assert "我的任务" not in body and "组内任务" not in body and "认领" not in body
    bad = client.get("/?sort=bogus").get_data(True)
    assert "Sort: unknown value" in bad


def test_a_notice_reads_in_the_readers_language_and_is_stored_in_chinese(client, login_as):
    from app.models import Notice
    from app.services import notices

    values = {"department": "预算科", "step": "起草绩效责任书", "due": "2026-01-15 17:00"}
    unit_of_work(
        lambda: notices.notify([person("head_fin")], None, "yellow_card", **values, days=2)
    )
    stored = db.session.scalars(select(Notice).order_by(Notice.id.desc())).first()
    assert (
        stored.message
        == "黄牌：「预算科」的「起草绩效责任书」已于2026-01-15 17:00超期，请尽快办理。"
    )
    assert stored.params == {**values, "days": 2}

    login_as("head_fin")
    assert stored.message in client.get("/").get_data(True)
    client.get("/lang/en?next=/")
    english = client.get("/").get_data(True)
    assert "Yellow card: “起草绩效责任书” of 预算科 was due at 2026-01-15 17:00" in english
    assert "黄牌" not in english


def test_a_notice_of_an_unknown_kind_or_without_its_values_is_refused_before_storing(org):
    from app.models import Notice
    from app.services import notices

    before = db.session.scalar(select(func.count()).select_from(Notice))
    with pytest.raises(KeyError):
        notices.notify([person("head_fin")], None, "no_such_kind", step="x")
    with pytest.raises(KeyError):
        notices.notify([person("head_fin")], None, "reminder", step="起草绩效责任书")
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Notice)) == before
