"""The ballot sheet (测评表): a voter's pending ballots on one page, drafted and submitted
together; a sheet the rules would void needs a confirmation, and its ballots are then void."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Ballot, BallotSheetDraft, HumanTask, Person
from app.services import accounts, ballot_sheets, definitions
from app.services.errors import Invalid
from app.services.transactions import unit_of_work
from app.simulation import YearSimulation, synthetic_city

NEVER = datetime(2100, 1, 1, tzinfo=UTC)
DEPARTMENTS = 3
PASSWORD = "Sheet-2026-secret"


class _Stop(Exception):
    pass


class BallotsHeld(YearSimulation):
    """The simulated year, with nobody casting a ballot: it stops once every department's
    year-end review has opened its ballot tasks."""

    def _plan(self, task, now):
        return NEVER if task.form_key == "ballot" else super()._plan(task, now)

    def _people_work(self, people, summary):
        super()._people_work(people, summary)
        opened = db.session.scalar(
            select(func.count(func.distinct(HumanTask.instance_id))).where(
                HumanTask.form_key == "ballot", HumanTask.status == "ready"
            )
        )
        if opened == DEPARTMENTS:
            raise _Stop


@pytest.fixture
def voter(app):
    """The supervising leader of the three departments, with three ballots pending."""
    unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))
    with pytest.raises(_Stop):
        BallotsHeld(2026, seed=3).run(lambda: synthetic_city(DEPARTMENTS, 2026))
    db.session.expire_all()
    leader = db.session.scalars(select(Person).where(Person.username == "sim_leader_0")).one()
    unit_of_work(
        lambda: db.session.execute(
            update(Person)
            .where(Person.id == leader.id)
            .values(password_hash=accounts.hash_password(PASSWORD))
        )
    )
    assert len(ballot_sheets.pending(leader)) == DEPARTMENTS
    return leader


def _sign_in(client, username: str) -> str:
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.decode()}
    )
    assert response.status_code == 302, response.data[:500]
    return _csrf(client.get("/ballots/sheet").get_data(as_text=True))


def _cast(voter) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.voter_id == voter.id)
    )


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _marks(voter, *values: str) -> dict[str, str]:
    return {f"mark.{t.id}": v for t, v in zip(ballot_sheets.pending(voter), values, strict=True)}


def test_a_draft_is_kept_and_the_sheet_is_submitted_together(voter, client):
    token = _sign_in(client, voter.username)
    inbox = client.get("/").get_data(as_text=True)
    assert "打开测评表：3 个科室待评" in inbox
    sheet = client.get("/ballots/sheet").get_data(as_text=True)
    assert sheet.count('name="mark.') == DEPARTMENTS and "评分参考（行为锚定）" in sheet

    draft = {"csrf_token": token, "action": "draft", **_marks(voter, "91", "", "85.5")}
    assert client.post("/ballots/sheet", data=draft).status_code == 302
    assert _cast(voter) == 0  # nothing cast
    sheet = client.get("/ballots/sheet").get_data(as_text=True)
    assert 'value="91"' in sheet and 'value="85.5"' in sheet

    incomplete = {"csrf_token": token, "action": "submit", **_marks(voter, "91", "", "85.5")}
    response = client.post("/ballots/sheet", data=incomplete)
    assert response.status_code == 422 and "请打分" in response.get_data(as_text=True)
    assert _cast(voter) == 0

    done = {"csrf_token": token, "action": "submit", **_marks(voter, "91", "78", "85.5")}
    response = client.post("/ballots/sheet", data=done)
    assert response.status_code == 302
    db.session.expire_all()
    cast = sorted(db.session.scalars(select(Ballot.score).where(Ballot.voter_id == voter.id)))
    assert [f"{s:f}" for s in cast] == ["78.00", "85.50", "91.00"]
    assert ballot_sheets.pending(voter) == []
    assert db.session.scalar(select(func.count()).select_from(BallotSheetDraft)) == 0


def test_a_uniform_sheet_is_void_and_needs_a_confirmation(voter, client):
    token = _sign_in(client, voter.username)
    uniform = {"csrf_token": token, "action": "submit", **_marks(voter, "100", "100", "100")}
    response = client.post("/ballots/sheet", data=uniform)
    assert response.status_code == 422
    assert "这张测评表将视为无效票（全部打满分，视为无效票）" in response.get_data(as_text=True)
    assert _cast(voter) == 0
    confirmed = {**uniform, "confirm_void": "yes"}
    assert client.post("/ballots/sheet", data=confirmed).status_code == 302
    db.session.expire_all()
    assert _cast(voter) == DEPARTMENTS


def test_bad_marks_are_refused_beside_their_row_and_nothing_is_cast(voter):
    tasks = ballot_sheets.pending(voter)
    for values, field in (
        (("101", "90", "90"), 0),
        (("abc", "90", "80"), 0),
        (("90", "-1", "8"), 1),
    ):
        marks = {str(t.id): v for t, v in zip(tasks, values, strict=True)}
        with pytest.raises(Invalid) as refused:
            unit_of_work(lambda m=marks: ballot_sheets.submit(voter, m))
        assert set(refused.value.extra["fields"]) == {f"mark.{tasks[field].id}"}
    assert _cast(voter) == 0


def test_a_sheet_never_rates_someone_elses_tasks(voter):
    other = db.session.scalars(select(Person).where(Person.username == "sim_head_0")).one()
    tasks = ballot_sheets.pending(voter)
    with pytest.raises(Invalid) as refused:
        unit_of_work(lambda: ballot_sheets.save_draft(other, {str(tasks[0].id): "90"}))
    assert list(refused.value.extra["fields"]) == [f"mark.{tasks[0].id}"]
    with pytest.raises(Invalid):
        unit_of_work(lambda: ballot_sheets.submit(other, {str(tasks[0].id): "90"}))
    with pytest.raises(Invalid):
        unit_of_work(lambda: ballot_sheets.save_draft(voter, ["90"]))
    assert db.session.scalar(select(func.count()).select_from(BallotSheetDraft)) == 0
    assert len(ballot_sheets.pending(voter)) == DEPARTMENTS
