"""The dashboards' page (统计分析) and API: scope, campaign picker, empty states, refusals."""

from __future__ import annotations

import json
import re

import pytest

from tests.api.helpers import error_of
from tests.org.conftest import readable
from tests.statistics.city import build


def _embedded(body: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="statistics-data">(.*?)</script>', body, re.S
    )
    assert found, "no embedded figures"
    return json.loads(found.group(1))


def test_the_centre_sees_the_city_with_charts_and_tables(client, login_as):
    build()
    login_as("admin")
    response = client.get("/supervise/statistics?year=2026")
    assert response.status_code == 200
    body = response.get_data(True)
    assert "统计分析" in body and "build/statistics.js" in body
    assert "范围：全市 11 个科室" in body
    for chart in ("grades", "ranking", "indicators", "quarters", "years", "findings"):
        assert f'data-chart="{chart}"' in body
    assert 'role="img" aria-label="2026 年度考核等次分布图，数据见下表。"' in body
    figures = _embedded(body)
    assert [r["department"] for r in figures["ranking"]][:2] == ["预算科", "人事科"]
    assert '<td>不称职</td><td class="num">1</td>' in body  # the grade table
    assert "办结件数（T-CNT）" in body and "66.7%" in body
    assert '<option value="2025">' in body and '<option value="2026" selected>' in body


def test_the_picker_shows_an_earlier_year(client, login_as):
    build()
    login_as("admin")
    body = client.get("/supervise/statistics?year=2025").get_data(True)
    assert _embedded(body)["year"] == 2025
    assert "本年度尚无季度反馈" in body and "本年度尚无抽检发现的问题" in body
    assert "尚无已签署的绩效责任书指标" in body


def test_a_head_sees_their_department_and_nothing_of_others(client, login_as):
    build(publish_2026=True)
    login_as("head_fin")
    body = client.get("/supervise/statistics").get_data(True)  # the newest year by default
    assert "范围：你负责督办的 1 个科室" in body
    figures = _embedded(body)
    assert figures["year"] == 2026
    assert [r["department"] for r in figures["ranking"]] == ["预算科"]
    for other in ("督查科", "人事科", "会计科", "来访接待科"):
        assert other not in body


def test_before_publication_a_leader_is_told_why_results_are_missing(client, login_as):
    build()
    login_as("leader_li")
    body = client.get("/supervise/statistics?year=2026").get_data(True)
    assert "考核结果公示后，可在此查看等次分布、排名和年度趋势" in body
    assert body.count("本年度尚无可查看的考核结果") == 2
    assert 'data-chart="quarters"' in body  # quarterly reviews need no publication
    assert "督查科" not in body


def test_no_campaign_yet_is_an_empty_state(client, login_as):
    login_as("admin")
    response = client.get("/supervise/statistics")
    assert response.status_code == 200
    body = response.get_data(True)
    assert "尚无考核年度，暂无统计数据" in body and "statistics.js" not in body


@pytest.mark.parametrize("year", ["abc", "1999", "99999999999999999999", "2026.5"])
def test_a_bad_year_is_400_beside_the_picker(client, login_as, year):
    build()
    login_as("admin")
    response = client.get(f"/supervise/statistics?year={year}")
    assert response.status_code == 400
    assert 'id="year-error"' in response.get_data(True)


def test_unknown_year_is_404_and_anonymous_goes_to_sign_in(client, login_as, org):
    assert client.get("/supervise/statistics").status_code == 302
    build()
    login_as("leader_li")
    assert client.get("/supervise/statistics?year=2031").status_code == 404


@pytest.mark.parametrize("username", ["staff_fin", "kh_chen", "expert_gao"])
def test_who_may_not_supervise_gets_403_and_no_nav_link(client, login_as, username):
    build()
    login_as(username)
    assert client.get("/supervise/statistics?year=2026").status_code == 403
    assert "统计分析" not in client.get("/").get_data(True)


def test_the_api_answers_the_same_figures(api_as):
    build(publish_2026=True)
    body = api_as("leader_li").get("/api/v1/statistics?year=2026")
    assert body.status_code == 200
    figures = body.get_json()
    assert [r["department"] for r in figures["ranking"]] == ["预算科", "人事科"]
    assert figures["scope"] == {"city_wide": False, "departments": 2}
    assert "督查科" not in readable(body)
    assert api_as("admin").get("/api/v1/statistics").get_json()["year"] == 2026
    error = error_of(api_as("admin").get("/api/v1/statistics?year=abc"), 422, "validation_failed")
    assert "year" in error["fields"]
    error_of(api_as("head_fin").get("/api/v1/statistics?year=1900"), 422, "validation_failed")
    error_of(api_as("staff_fin").get("/api/v1/statistics?year=2026"), 403, "forbidden")


def test_the_page_in_english(client, login_as):
    build()
    login_as("admin")
    client.get("/lang/en?next=/")
    body = client.get("/supervise/statistics?year=2026").get_data(True)
    assert "<h1>Dashboards</h1>" in body and "Grade distribution" in body
    assert "Scope: all 11 departments of the city." in body
    assert "等次分布" not in body
