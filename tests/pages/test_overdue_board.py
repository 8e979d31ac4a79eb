"""The overdue board page (督办看板) and its exports: counts, the three groupings, card badges,
drill-down links, scoping, filters, bad filters as 400, English, and the Excel / CSV files."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.pages.overdue_scenario import OverdueCity, build

URL = "/supervise/overdue"


@pytest.fixture
def city(app, org, clock) -> OverdueCity:
    return build(clock)


def body_of(response) -> str:
    assert response.status_code == 200, response.get_data(True)[:500]
    return response.get_data(True)


def task_ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-task-id="(\d+)"', body)]


def row_html(body: str, task_id: int) -> str:
    match = re.search(rf'<tr [^>]*data-task-id="{task_id}".*?</tr>', body, re.S)
    assert match, f"no row for task {task_id}"
    return match.group(0)


def count(body: str, key: str) -> int:
    return int(re.search(rf'id="count-{key}">(\d+)<', body).group(1))


def groups(body: str) -> list[str]:
    heads = re.findall(r'<th scope="colgroup"[^>]*>\s*(.*?)\s*<span class="count">', body, re.S)
    return [re.sub(r"\s+", " ", h).strip() for h in heads]


def test_the_centre_sees_counts_rows_cards_and_links(client, login_as, city):
    login_as("admin")
    body = body_of(client.get(URL))
    assert "<h1>督办看板</h1>" in body
    assert "截至 2026-01-20 10:00（北京时间），列出已超期和 2 天内到期的待办环节。" in body
    assert [count(body, k) for k in ("overdue", "yellow_card", "red_card", "due_soon")] == [
        3,
        1,
        2,
        1,
    ]
    tasks = city.tasks
    assert task_ids(body) == [tasks[c] for c in ("CZ-YS", "CZ-KJ", "RS-RS", "DC-DC")]
    red = row_html(body, tasks["CZ-YS"])
    assert f'href="/instances/{city.instances["CZ-YS"]}">起草绩效责任书</a>' in red
    assert '<span class="badge card-red_card">红牌</span>' in red
    assert '<span class="badge overdue">已超期</span>' in red
    assert "2026-01-15 09:00" in red and "5 天" in red and "（2 个工作日）" in red
    assert "陈晓" in red and "未认领" not in red
    yellow = row_html(body, tasks["RS-RS"])
    assert '<span class="badge card-yellow_card">黄牌</span>' in yellow
    assert "1 天" in yellow and "未认领" in yellow and "科室负责人" in yellow
    review = row_html(body, tasks["CZ-KJ"])
    assert "分管领导审核责任书" in review and "分管领导" in review and "3 天" in review
    soon = row_html(body, tasks["DC-DC"])
    assert 'data-state="due_soon"' in soon and "即将到期" in soon
    assert "badge card-" not in soon and "badge overdue" not in soon  # a reminder is no card
    assert 'href="/supervise/overdue"' in body  # the nav link


def test_the_three_groupings(client, login_as, city):
    login_as("admin")
    by_department = body_of(client.get(URL))
    assert groups(by_department) == [
        "市财政局预算科",
        "市财政局会计科",
        "市人力资源和社会保障局人事科",
        "市委督查室督查科",
    ]
    assert 'aria-current="page">按科室<' in by_department
    by_step = body_of(client.get(URL, query_string={"group": "step"}))
    assert groups(by_step) == ["起草绩效责任书", "分管领导审核责任书"]
    drafts = re.search(r'data-group="draft_letter".*?</tbody>', by_step, re.S).group(0)
    assert task_ids(drafts) == [city.tasks[c] for c in ("CZ-YS", "RS-RS", "DC-DC")]
    assert "其中超期 2 项，最长 5 天" in drafts
    by_holder = body_of(client.get(URL, query_string={"group": "holder", "level": "overdue"}))
    assert groups(by_holder) == ["陈晓", "未认领 · 分管领导", "未认领 · 科室负责人"]
    assert 'aria-current="page">按办理人<' in by_holder
    # switching the grouping keeps the filters
    assert 'href="/supervise/overdue?level=overdue&amp;group=step"' in by_holder


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("leader_li", ["CZ-YS", "RS-RS"]),
        ("head_fin", ["CZ-YS"]),
        ("head_insp", ["DC-DC"]),
    ],
)
def test_supervisors_see_only_their_departments(client, login_as, city, username, codes):
    login_as(username)
    body = body_of(client.get(URL))
    assert task_ids(body) == [city.tasks[c] for c in codes]
    options = re.findall(r'<option value="(\d+)"', body.split('id="filter-department_id"')[1])
    in_scope = [city.departments[c] for c in codes]
    assert set(in_scope) <= {int(o) for o in options}
    if username != "head_insp":
        assert "督查科" not in body
    else:
        assert "预算科" not in body and "人事科" not in body


def test_a_leader_may_open_the_instance_a_row_links_to(client, login_as, city):
    login_as("leader_li")
    body = body_of(client.get(URL))
    link = re.search(r'<a href="(/instances/\d+)">起草绩效责任书</a>', body).group(1)
    instance = body_of(client.get(link))
    assert "预算科" in instance and '<span class="badge card-red_card">红牌</span>' in instance


@pytest.mark.parametrize("username", ["staff_fin", "kh_chen", "fy_he", "expert_gao"])
def test_others_get_403_and_no_link(client, login_as, city, username):
    login_as(username)
    assert client.get(URL).status_code == 403
    assert client.get(URL, query_string={"year": "abc"}).status_code == 403
    assert client.get(f"{URL}.csv").status_code == 403
    assert client.get(f"{URL}.xlsx").status_code == 403
    assert 'href="/supervise/overdue"' not in client.get("/").get_data(True)


@pytest.mark.parametrize("path", [URL, f"{URL}.csv", f"{URL}.xlsx"])
def test_anonymous_is_sent_to_sign_in(client, city, path):
    response = client.get(path, query_string={"level": "red_card"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fsupervise%2Foverdue")


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"level": "red_card"}, ["CZ-YS", "CZ-KJ"]),
        ({"level": "yellow_card"}, ["RS-RS"]),
        ({"level": "due_soon"}, ["DC-DC"]),
        ({"level": "overdue", "order": "newest"}, ["RS-RS", "CZ-KJ", "CZ-YS"]),
        ({"year": "2025"}, []),
        ({"year": "2026", "level": "", "department_id": " "}, ["CZ-YS", "CZ-KJ", "RS-RS", "DC-DC"]),
    ],
)
def test_filters(client, login_as, city, query, codes):
    login_as("admin")
    body = body_of(client.get(URL, query_string=query))
    assert task_ids(body) == [city.tasks[c] for c in codes]
    if not codes:
        assert "没有超期或即将到期的环节。" in body


def test_the_department_filter_keeps_its_choice_and_counts_link_to_levels(client, login_as, city):
    login_as("leader_li")
    rs = city.departments["RS-RS"]
    body = body_of(client.get(URL, query_string={"department_id": rs, "level": "yellow_card"}))
    assert task_ids(body) == [city.tasks["RS-RS"]]
    assert f'<option value="{rs}" selected>' in body
    assert '<option value="yellow_card" selected>' in body
    assert count(body, "overdue") == 1 and count(body, "red_card") == 0
    assert f'href="/supervise/overdue?level=red_card&amp;department_id={rs}"' in body
    assert f'href="/supervise/overdue.xlsx?department_id={rs}&amp;level=yellow_card"' in body


def test_a_department_outside_the_scope_is_404(client, login_as, city):
    login_as("head_fin")
    response = client.get(URL, query_string={"department_id": city.departments["RS-RS"]})
    assert response.status_code == 404
    assert "人事科" not in response.get_data(True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": "abc"}, "year"),
        ({"year": "1999"}, "year"),
        ({"department_id": "x"}, "department_id"),
        ({"level": "purple"}, "level"),
        ({"order": "up"}, "order"),
        ({"group": "team"}, None),
        ({"soon_days": "99"}, None),
    ],
)
def test_bad_filters_give_a_400_page(client, login_as, city, query, field):
    login_as("admin")
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    body = response.get_data(True)
    assert "筛选条件有误" in body and "data-task-id" not in body
    if field:
        assert f'id="filter-{field}-error"' in body
        assert f'id="filter-{field}" name="{field}" aria-invalid="true"' in body
    for export in ("csv", "xlsx"):
        assert client.get(f"{URL}.{export}", query_string=query).status_code == 400


def test_english(client, login_as, city):
    login_as("admin")
    body = body_of(client.get(URL, query_string={"lang": "en"}))
    assert "Overdue board" in body and "Red card" in body and "Unclaimed" in body
    assert "By department" in body and "working days" in body
    assert "督办看板" not in body.split("<main", 1)[1]


# --- exports ---------------------------------------------------------------------------------

HEADER = [
    "考核年度",
    "单位",
    "科室",
    "环节",
    "环节编号",
    "办理角色",
    "办理人",
    "到期时间（北京时间）",
    "状态",
    "超期天数",
    "超期工作日",
    "督办等级",
    "流程实例编号",
]


def test_the_csv_is_utf8_with_a_bom_and_scoped(client, login_as, city):
    login_as("leader_li")
    response = client.get(f"{URL}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="overdue-20260120-1000.csv"'
    )
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            "2026",
            "市财政局",
            "预算科",
            "起草绩效责任书",
            "draft_letter",
            "科室负责人",
            "陈晓",
            "2026-01-15 09:00",
            "已超期",
            "5",
            "2",
            "红牌",
            str(city.instances["CZ-YS"]),
        ],
        [
            "2026",
            "市人力资源和社会保障局",
            "人事科",
            "起草绩效责任书",
            "draft_letter",
            "科室负责人",
            "未认领",
            "2026-01-19 09:00",
            "已超期",
            "1",
            "1",
            "黄牌",
            str(city.instances["RS-RS"]),
        ],
    ]


def test_the_csv_follows_the_filters(client, login_as, city):
    login_as("admin")
    response = client.get(f"{URL}.csv", query_string={"level": "due_soon"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["督查科"]
    assert rows[1][8:12] == ["即将到期", "0", "0", "已提醒"]


def test_the_xlsx_opens_with_the_same_rows(client, login_as, city):
    login_as("admin")
    response = client.get(f"{URL}.xlsx", query_string={"order": "newest", "level": "overdue"})
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"].endswith('overdue-20260120-1000.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "督办看板"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [r[2] for r in rows[1:]] == ["人事科", "会计科", "预算科"]
    yusuan = rows[3]
    assert yusuan[:9] == (
        2026,
        "市财政局",
        "预算科",
        "起草绩效责任书",
        "draft_letter",
        "科室负责人",
        "陈晓",
        datetime(2026, 1, 15, 9, 0),  # Beijing time, as a real date cell
        "已超期",
    )
    assert yusuan[9:] == (5, 2, "红牌", city.instances["CZ-YS"])
    assert rows[2][5:7] == ("分管领导", "未认领")


def test_a_head_exports_only_their_department(client, login_as, city):
    login_as("head_insp")
    sheet = load_workbook(io.BytesIO(client.get(f"{URL}.xlsx").data)).active
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["督查科"]
