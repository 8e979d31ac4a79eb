"""The anonymity rule: peer and service-recipient ballots are shown only as aggregates over at
least ANONYMITY_MIN_BALLOTS (3) ballots; leaders' ballots are not anonymous; no endpoint returns
an individual ballot or who cast it."""

from __future__ import annotations

import re

import pytest

from app.models import AuditEvent, Ballot
from app.services import ballots
from app.services.transactions import unit_of_work
from tests.conftest import person
from tests.org.conftest import readable

PEERS = ("head_fin", "staff_fin", "head_kj")  # people of other departments than DC-DC
SCORES = ("80", "90", "95.5")


def _peer_vote(api_as, city, username, score):
    response = api_as(username).post(
        "/api/v1/ballots",
        json={
            "year": 2026,
            "department_id": city.departments["DC-DC"],
            "rater_group": "peer",
            "score": score,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response


def _survey_vote(city, score):
    def issue_and_submit():
        [(_link, token)] = ballots.issue_links(person("admin"), 2026, city.departments["DC-DC"], 1)
        return ballots.submit_survey(token, score)

    unit_of_work(issue_and_submit)


def _summary(api, city, code="DC-DC"):
    response = api.get(f"/api/v1/departments/{city.departments[code]}/ballot-summary?year=2026")
    assert response.status_code == 200, response.get_json()
    return {group["rater_group"]: group for group in response.get_json()}


@pytest.mark.parametrize("viewer", ["head_insp", "admin"])
def test_two_peer_ballots_hide_the_mean_three_show_it(api_as, city, viewer):
    for username, score in zip(PEERS[:2], SCORES[:2], strict=True):
        _peer_vote(api_as, city, username, score)
    assert _summary(api_as(viewer), city)["peer"] == {
        "rater_group": "peer",
        "ballots": 2,
        "mean": None,
        "hidden": True,
    }
    _peer_vote(api_as, city, PEERS[2], SCORES[2])
    assert _summary(api_as(viewer), city)["peer"] == {
        "rater_group": "peer",
        "ballots": 3,
        "mean": "88.50",
        "hidden": False,
    }


def test_service_recipient_ballots_follow_the_same_rule(api_as, city):
    head = api_as("head_insp")
    _survey_vote(city, "70")
    _survey_vote(city, "75")
    assert _summary(head, city)["service_recipient"] == {
        "rater_group": "service_recipient",
        "ballots": 2,
        "mean": None,
        "hidden": True,
    }
    _survey_vote(city, "80")
    assert _summary(head, city)["service_recipient"]["mean"] == "75.00"


def test_a_single_leader_ballot_is_shown(api_as, city):
    response = api_as("leader_zhao").post(
        "/api/v1/ballots",
        json={
            "year": 2026,
            "department_id": city.departments["DC-DC"],
            "rater_group": "leader",
            "score": "92",
        },
    )
    assert response.status_code == 201
    summary = _summary(api_as("head_insp"), city)
    assert summary["leader"] == {
        "rater_group": "leader",
        "ballots": 1,
        "mean": "92.00",
        "hidden": False,
    }
    assert summary["peer"] == {"rater_group": "peer", "ballots": 0, "mean": None, "hidden": False}


def test_no_response_reveals_a_ballot_or_its_voter(app, api_as, city):
    receipts = [
        _peer_vote(api_as, city, u, s).get_json() for u, s in zip(PEERS, SCORES, strict=True)
    ]
    voter_ids = {city.people[u] for u in PEERS}
    for receipt in receipts:
        assert set(receipt) == {"id", "rater_group", "submitted_at"}
    # No API route lists ballots: the only one under /ballots takes a new ballot.
    ballot_routes = {
        (re.sub(r"<int\([^)]*\):", "<int:", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if "ballot" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert ballot_routes == {
        ("/api/v1/ballots", "POST"),
        ("/api/v1/departments/<int:department_id>/ballot-summary", "GET"),
        # the voter's own sheet: their pending ballots and draft marks, nobody else's
        ("/ballots/sheet", "GET"),
        ("/ballots/sheet", "POST"),
    }
    summary = api_as("head_insp").get(
        f"/api/v1/departments/{city.departments['DC-DC']}/ballot-summary?year=2026"
    )
    for group in summary.get_json():
        assert set(group) == {"rater_group", "ballots", "mean", "hidden"}
    body = readable(summary)
    assert not [name for name in PEERS if name in body]
    # The trail says that someone voted, never the score.
    for event in AuditEvent.query.filter_by(action="ballot.cast"):
        assert "score" not in (event.detail or {})
    assert {b.voter_id for b in Ballot.query} == voter_ids  # kept only against double voting


def test_a_second_ballot_by_the_same_voter_is_refused(api_as, city):
    _peer_vote(api_as, city, "head_fin", "80")
    again = api_as("head_fin").post(
        "/api/v1/ballots",
        json={
            "year": 2026,
            "department_id": city.departments["DC-DC"],
            "rater_group": "peer",
            "score": "10",
        },
    )
    assert again.status_code == 409
    assert Ballot.query.count() == 1


@pytest.mark.parametrize(
    ("username", "code", "group"),
    [
        ("head_insp", "DC-DC", "peer"),  # never your own department
        ("staff_dc", "DC-DC", "peer"),
        ("leader_li", "DC-DC", "leader"),  # not a department leader_li supervises
        ("kh_chen", "DC-DC", "peer"),  # no department
    ],
)
def test_who_may_not_rate(api_as, city, username, code, group):
    response = api_as(username).post(
        "/api/v1/ballots",
        json={
            "year": 2026,
            "department_id": city.departments[code],
            "rater_group": group,
            "score": "99",
        },
    )
    assert response.status_code == 403
    assert Ballot.query.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"year": 2026, "rater_group": "peer", "score": "80"},  # no department
        {"year": 2026, "department_id": "x", "rater_group": "peer", "score": "80"},
        {"year": 2026, "department_id": 1, "rater_group": "service_recipient", "score": "80"},
        {"year": 2026, "department_id": 1, "rater_group": "peer", "score": "101"},
        {"year": 2026, "department_id": 1, "rater_group": "peer", "score": "-1"},
        {"year": 2026, "department_id": 1, "rater_group": "peer", "score": "NaN"},
        {"year": 2026, "department_id": 1, "rater_group": "peer", "score": "八十"},
    ],
)
def test_bad_ballots_are_refused_and_not_stored(api_as, city, body):
    response = api_as("head_insp").post("/api/v1/ballots", json=body)
    assert response.status_code == 422, response.get_json()
    assert Ballot.query.count() == 0


def test_unknown_department_or_year(api_as, city):
    head = api_as("head_insp")
    assert head.get("/api/v1/departments/9999/ballot-summary?year=2026").status_code == 404
    assert (
        head.get(
            f"/api/v1/departments/{city.departments['DC-DC']}/ballot-summary?year=2031"
        ).status_code
        == 404
    )
    assert (
        head.get(f"/api/v1/departments/{city.departments['DC-DC']}/ballot-summary").status_code
        == 422
    )
