"""The grade table as a DMN decision: evaluated per campaign, versioned, probed on upload."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine import decisions
from app.extensions import db
from app.models import AuditEvent, ProcessDefinition
from app.rules.grading import Grade
from app.services import campaigns, definitions, grades
from app.services.errors import Conflict, Invalid
from app.services.transactions import unit_of_work
from tests.conftest import person
from tests.engine.helpers import fixture

SHIPPED = (
    Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "grade_bands.dmn"
).read_bytes()


def upload(data: bytes, name: str = "grade_bands.dmn"):
    return unit_of_work(lambda: definitions.upload(name, data, person("admin")))


def counts() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(ProcessDefinition)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def edited(*pairs: tuple[bytes, bytes]) -> bytes:
    data = SHIPPED
    for old, new in pairs:
        assert old in data, old
        data = data.replace(old, new)
    return data


@pytest.fixture
def campaign(org):
    return unit_of_work(lambda: campaigns.get_or_create(2026))


@pytest.mark.parametrize(
    ("score", "grade"),
    [("59.99", Grade.INCOMPETENT), ("60", Grade.BASICALLY_COMPETENT),
     ("69.99", Grade.BASICALLY_COMPETENT), ("70", Grade.COMPETENT), ("89.99", Grade.COMPETENT),
     ("90", Grade.EXCELLENT), ("100", Grade.EXCELLENT), ("0", Grade.INCOMPETENT)],
)  # fmt: skip
def test_the_default_table_gives_the_seeds_grades(campaign, score, grade):
    assert grades.grade_for(D(score), campaign) is grade


def test_the_shipped_table_is_loaded_with_the_definitions(org):
    stored = definitions.latest("grade_bands", "dmn")
    assert (stored.version, stored.filename) == (1, "grade_bands.dmn")
    assert grades.table_problems(stored.source) == []


def test_an_edited_table_uploaded_as_a_new_version_changes_the_grade(campaign):
    stricter = edited((b"&gt;= 90", b"&gt;= 92"), (b"70 &lt;= ? &lt; 90", b"70 &lt;= ? &lt; 92"))
    new, created = upload(stricter)
    assert (created, new.version) == (True, 2)
    assert grades.grade_for(D("91"), campaign) is Grade.COMPETENT
    assert grades.grade_for(D("92"), campaign) is Grade.EXCELLENT
    # A campaign that pinned version 1 keeps the seed's bands.
    unit_of_work(
        lambda: campaigns.update_settings(
            person("admin"), 2026, {"grade_table": {"decision": "grade_bands", "version": 1}}
        )
    )
    assert grades.grade_for(D("91"), campaign) is Grade.EXCELLENT
    grade, table = grades.band(D("91"), campaign)
    assert (grade, table.version) == (Grade.EXCELLENT, 1)


BAD_TABLES = {
    "gap": (
        (b"70 &lt;= ? &lt; 90", b"75 &lt;= ? &lt; 90"),
        {"grade_gap"},
        "scores 70, 70.01, 74.99 match no row",
    ),
    "overlap": ((b"&gt;= 90", b"&gt;= 85"), {"grade_overlap"}, "85"),
    "unknown grade": ((b'"competent"', b'"good"'), {"grade_unknown"}, "good"),
    "inverted order": (
        (b'"excellent"', b'"tmp"'),
        {"grade_order"},
        "a lower score must never get a better grade",
    ),
    "FIRST hit policy": ((b'hitPolicy="UNIQUE"', b'hitPolicy="FIRST"'), {"grade_table"}, "UNIQUE"),
    "other output": ((b'name="grade"', b'name="level"'), {"grade_table"}, "`grade`"),
    "other input": ((b"<text>score</text>", b"<text>points</text>"), {"grade_table"}, "`score`"),
}


@pytest.mark.parametrize("case", BAD_TABLES, ids=list(BAD_TABLES))
def test_a_broken_grade_table_is_refused_and_nothing_is_stored(org, case):
    change, codes, said = BAD_TABLES[case]
    data = edited(change)
    if case == "inverted order":  # swap 优秀 and 不称职
        data = data.replace(b'"incompetent"', b'"excellent"').replace(b'"tmp"', b'"incompetent"')
    before = counts()
    with pytest.raises(Invalid) as caught:
        upload(data)
    problems = caught.value.extra["problems"]
    assert {p["code"] for p in problems} == codes
    assert any(said in p["message"] for p in problems), problems
    assert all(p["file"] == "grade_bands.dmn" for p in problems)
    assert counts() == before


def test_probe_messages_name_the_rows_and_scores(org):
    overlap = grades.table_problems(edited((b"&gt;= 90", b"&gt;= 85")).decode())
    assert [(p.code, p.element_id) for p in overlap] == [("grade_overlap", "rule_excellent")]
    assert "84.99" not in overlap[0].message and "85, 85.01" in overlap[0].message
    gap = grades.table_problems(edited((b"&lt; 60", b"&lt; 50")).decode())
    assert [(p.code, p.element_id) for p in gap] == [("grade_gap", "grade_bands")]
    assert "scores 50, 50.01, 59.99 match no row" in gap[0].message


def test_other_decisions_are_not_held_to_the_grade_table_rules(org):
    table, created = upload(fixture("grade_bands.dmn"), "other.dmn")  # decision `grade_band`
    assert created and table.process_key == "grade_band"


def test_a_decision_a_campaign_names_is_probed_on_upload_too(campaign):
    custom = SHIPPED.replace(b'id="grade_bands"', b'id="county_grades"')
    upload(custom, "county_grades.dmn")
    unit_of_work(
        lambda: campaigns.update_settings(
            person("admin"), 2026, {"grade_table": {"decision": "county_grades"}}
        )
    )
    assert grades.grade_for(D("95"), campaign) is Grade.EXCELLENT
    broken = custom.replace(b"&gt;= 90", b"&gt;= 95")
    with pytest.raises(Invalid):
        upload(broken, "county_grades.dmn")


def test_settings_may_only_name_a_stored_usable_grade_table(campaign):
    admin = person("admin")
    upload(fixture("grade_bands.dmn"), "other.dmn")  # outputs 优秀 …, not grade keys
    for grade_table, field in (
        ({"decision": "nowhere"}, "grade_table.decision"),
        ({"decision": "grade_bands", "version": 9}, "grade_table.version"),
        ({"decision": "grade_band"}, "grade_table.decision"),
    ):
        before = counts()
        with pytest.raises(Invalid) as caught:
            unit_of_work(
                lambda g=grade_table: campaigns.update_settings(admin, 2026, {"grade_table": g})
            )
        assert field in caught.value.extra["fields"], caught.value.extra
        assert counts() == before


def test_a_missing_grade_table_is_a_conflict_not_a_crash(campaign):
    campaign.settings = {"grade_table": {"decision": "gone"}}  # stored before it was removed
    db.session.flush()
    with pytest.raises(Conflict, match="not loaded"):
        grades.grade_for(D(95), campaign)


def test_load_definitions_loads_the_grade_table(app):
    first = app.test_cli_runner().invoke(args=["load-definitions"])
    assert "grade_bands v1 (dmn): new version" in first.output
    again = app.test_cli_runner().invoke(args=["load-definitions"])
    assert "grade_bands v1 (dmn): unchanged" in again.output


def test_a_table_too_big_to_probe_is_refused(org):
    rule = (
        '<rule id="r{i}"><inputEntry id="r{i}_in"><text>{low} &lt;= ? &lt; {high}</text>'
        '</inputEntry><outputEntry id="r{i}_out"><text>"competent"</text></outputEntry></rule>'
    )
    rows = "".join(rule.format(i=i, low=i, high=i + 1) for i in range(60))
    start = SHIPPED.index(b"<rule ")
    end = SHIPPED.index(b"</decisionTable>")
    data = SHIPPED[:start] + rows.encode() + SHIPPED[end:]
    before = counts()
    with pytest.raises(Invalid) as caught:
        upload(data)
    [problem] = caught.value.extra["problems"]
    assert "at most 50 rows" in problem["message"]
    assert counts() == before


def test_a_table_not_stored_yet_can_be_tried(org):
    stricter = edited((b"&gt;= 90", b"&gt;= 92"), (b"70 &lt;= ? &lt; 90", b"70 &lt;= ? &lt; 92"))
    assert grades.grade_in(stricter.decode(), D("91.99")) is Grade.COMPETENT
    assert grades.grade_in(stricter.decode(), D("92")) is Grade.EXCELLENT
    gap = edited((b"&gt;= 90", b"&gt;= 92")).decode()
    with pytest.raises(decisions.DecisionError):
        grades.grade_in(gap, D("91"))
    unknown = edited((b'"competent"', b'"good"')).decode()
    with pytest.raises(decisions.DecisionError, match="unknown grade 'good'"):
        grades.grade_in(unknown, D("80"))


def test_sample_scores_are_the_bounds_and_the_score_just_below(org):
    shipped = SHIPPED.decode()
    scores = ["0", "59.99", "60", "69.99", "70", "89.99", "90", "100"]
    assert [str(s) for s in grades.sample_scores(shipped)] == scores
    assert [str(s) for s in grades.sample_scores("<not dmn", shipped)] == scores
    assert len(grades.sample_scores(shipped, limit=3)) == 3
