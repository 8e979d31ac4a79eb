"""The dashboards' aggregates (app.services.statistics) over known figures (tests/statistics/
city.py), and who sees which of them."""

from __future__ import annotations

import pytest

from app.services import statistics
from app.services.errors import Forbidden, NotFound
from tests.conftest import person, sql_statements
from tests.statistics.city import build, publish


def test_the_centre_sees_every_department_before_publication(org):
    build()
    figures = statistics.dashboard(person("admin"), 2026)
    assert figures["years"] == [2026, 2025]
    assert figures["published"] is False and figures["results_visible"] is True
    assert figures["scope"] == {"city_wide": True, "departments": 11}
    assert figures["grades"] == [
        {"grade": "excellent", "count": 1},
        {"grade": "competent", "count": 2},
        {"grade": "basically_competent", "count": 1},
        {"grade": "incompetent", "count": 1},
    ]
    assert [(r["department"], r["score"], r["grade"], r["rank"]) for r in figures["ranking"]] == [
        ("预算科", "92.50", "excellent", 1),
        ("人事科", "85.00", "competent", 2),
        ("来访接待科", "78.00", "competent", 3),
        ("会计科", "65.00", "basically_competent", 4),
        ("督查科", "55.00", "incompetent", 5),
    ]
    assert figures["ranking"][0]["unit"] == "市财政局"
    assert figures["years_trend"] == [
        {"year": 2025, "departments": 2, "grades": {"competent": 1, "excellent": 1},
         "average_score": "89.50"},
        {"year": 2026, "departments": 5,
         "grades": {"excellent": 1, "competent": 2, "basically_competent": 1, "incompetent": 1},
         "average_score": "75.10"},
    ]  # fmt: skip


def test_quarterly_trend_counts_reviews_ratings_scores_and_lagging_lines(org):
    build()
    quarters = statistics.dashboard(person("admin"), 2026)["quarters"]
    assert quarters[0] == {
        "quarter": 1,
        "reviews": 3,
        "rated": 3,
        "lagging": 5,
        "ratings": {"excellent": 1, "competent": 1, "incompetent": 1},
        "average_score": "73.67",
    }
    assert quarters[1] == {
        "quarter": 2, "reviews": 1, "rated": 0, "lagging": 1, "ratings": {},
        "average_score": None,
    }  # fmt: skip
    assert [q["reviews"] for q in quarters[2:]] == [0, 0]


def test_findings_by_month_count_statuses_and_confirmed_points(org):
    build()
    months = statistics.dashboard(person("admin"), 2026)["findings"]
    assert len(months) == 12
    assert months[2] == {
        "month": 3,
        "findings": 3,
        "statuses": {"confirmed": 2, "open": 1},
        "confirmed_points": "3.50",
    }
    assert months[4] == {
        "month": 5, "findings": 1, "statuses": {"dismissed": 1}, "confirmed_points": "0.00"
    }  # fmt: skip
    assert sum(m["findings"] for m in months) == 4


def test_indicator_achievement_reads_the_year_figure_pulled_over_reported(org):
    build()
    indicators = statistics.dashboard(person("admin"), 2026)["indicators"]
    assert indicators == [
        {"code": "T-CNT", "name": "办结件数", "unit": "件", "departments": 3, "measured": 3,
         "achieved": 2, "average_target": "100.00", "average_actual": "103.33",
         "achievement_rate": "66.7"},
        {"code": "T-RATE", "name": "差错率", "unit": "%", "departments": 1, "measured": 1,
         "achieved": 0, "average_target": "2.00", "average_actual": "3.00",
         "achievement_rate": "0.0"},
    ]  # fmt: skip


def test_a_leader_sees_results_of_their_departments_only_once_published(org):
    build()
    leader = person("leader_li")  # 分管领导 of 预算科 and 人事科
    before = statistics.dashboard(leader, 2026)
    assert before["results_visible"] is False
    assert before["grades"] == [] and before["ranking"] == []
    assert before["years_trend"] == [
        {"year": 2025, "departments": 1, "grades": {"competent": 1}, "average_score": "88.00"}
    ]
    # not results: these need no publication, but only their departments count
    assert before["quarters"][0]["reviews"] == 2
    assert before["quarters"][0]["average_score"] == "85.50"
    assert before["findings"][2]["findings"] == 2
    assert before["findings"][2]["confirmed_points"] == "1.50"
    cnt, rate = before["indicators"]
    assert (cnt["departments"], cnt["achieved"], cnt["average_actual"]) == (2, 1, "80.00")
    assert (rate["code"], rate["departments"]) == ("T-RATE", 1)

    publish(2026)
    after = statistics.dashboard(leader, 2026)
    assert [r["department"] for r in after["ranking"]] == ["预算科", "人事科"]
    assert [g["count"] for g in after["grades"]] == [1, 1, 0, 0]
    assert after["years_trend"][-1]["average_score"] == "88.75"
    assert "督查科" not in str(after)


def test_a_department_head_sees_their_own_department_only(org):
    build(publish_2026=True)
    figures = statistics.dashboard(person("head_fin"), 2026)
    assert figures["scope"] == {"city_wide": False, "departments": 1}
    assert [(r["department"], r["rank"]) for r in figures["ranking"]] == [("预算科", 1)]
    assert figures["grades"][0] == {"grade": "excellent", "count": 1}
    assert sum(g["count"] for g in figures["grades"]) == 1
    assert figures["quarters"][0]["reviews"] == 1
    assert figures["findings"][4]["findings"] == 0  # 人事科's May finding is not theirs
    assert [i["code"] for i in figures["indicators"]] == ["T-CNT", "T-RATE"]
    assert figures["indicators"][0]["departments"] == 1


@pytest.mark.parametrize("username", ["staff_fin", "kh_chen", "fy_he", "expert_gao"])
def test_who_may_not_supervise_is_refused(org, username):
    build()
    with pytest.raises(Forbidden):
        statistics.dashboard(person(username), 2026)


def test_an_unknown_year_is_not_found_and_an_empty_year_has_no_figures(org):
    with pytest.raises(NotFound):
        statistics.dashboard(person("admin"), 2031)
    from app.services import campaigns
    from app.services.transactions import unit_of_work

    unit_of_work(lambda: campaigns.get_or_create(2027))
    figures = statistics.dashboard(person("admin"), 2027)
    assert figures["grades"] == figures["ranking"] == figures["indicators"] == []
    assert figures["quarters"] == figures["findings"] == figures["years_trend"] == []


def test_the_figures_read_neither_ballots_nor_workflow_state(app, org):
    """Anonymity and cost: no ballot row is read (a department's evaluation reaches the
    dashboards only inside its published final score) and no workflow is loaded."""
    build(publish_2026=True)
    with sql_statements() as statements:
        statistics.dashboard(person("admin"), 2026)
    assert 1 <= len(statements) <= 15  # a fixed handful, not one per department
    assert not [s for s in statements if "ballot" in s or "process_instance" in s]
