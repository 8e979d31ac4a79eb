"""Survey links for service recipients without accounts: issued by the centre, signed, expiring,
single-use, and the survey page's form protected by CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer

from app.models import Ballot, SurveyLink
from tests.org.conftest import fresh


def _issue(api_as, city, count=1, days=None):
    body = {"year": 2026, "department_id": city.departments["DC-DC"], "count": count}
    if days:
        body["days"] = days
    response = api_as("admin").post("/api/v1/survey-links", json=body)
    assert response.status_code == 201, response.get_json()
    return [urlsplit(link["url"]).path for link in response.get_json()]


def _csrf(page) -> str:
    found = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    assert found, page.get_data(as_text=True)[:500]
    return found.group(1)


def _submit(client, path, score, with_csrf=True):
    page = client.get(path)
    assert page.status_code == 200
    data = {"score": score}
    if with_csrf:
        data["csrf_token"] = _csrf(page)
    return client.post(path, data=data)


@pytest.mark.parametrize(
    ("username", "scopes"),
    [("admin", ["read", "tasks"]), ("head_insp", None), ("leader_zhao", None), ("kh_chen", None)],
)
def test_only_the_centre_with_an_admin_token_issues_links(api_as, city, username, scopes):
    response = api_as(username, scopes).post(
        "/api/v1/survey-links",
        json={"year": 2026, "department_id": city.departments["DC-DC"], "count": 3},
    )
    assert response.status_code == 403
    assert SurveyLink.query.count() == 0


def test_issued_links_carry_an_expiry_and_a_url(api_as, city):
    response = api_as("admin").post(
        "/api/v1/survey-links",
        json={"year": 2026, "department_id": city.departments["DC-DC"], "count": 3, "days": 7},
    )
    links = response.get_json()
    assert len(links) == 3
    assert all(link["expires_at"].startswith("2026-01-12") for link in links)
    assert len({link["url"] for link in links}) == 3
    assert all("/survey/" in link["url"] for link in links)


@pytest.mark.parametrize(
    "body",
    [
        {"year": 2026, "department_id": 9999, "count": 1},
        {"year": 1999, "department_id": 1, "count": 1},
        {"year": 2026, "department_id": 1, "count": 0},
        {"year": 2026, "department_id": 1, "count": 501},
        {"year": 2026, "department_id": 1, "count": 1, "days": 365},
        {"year": 2031, "department_id": 1, "count": 1},  # no campaign that year
    ],
)
def test_bad_link_requests_issue_nothing(api_as, city, body):
    response = api_as("admin").post("/api/v1/survey-links", json=body)
    assert response.status_code in (404, 422), response.get_json()
    assert SurveyLink.query.count() == 0


def test_a_link_is_used_once(client, api_as, city):
    [path] = _issue(api_as, city)
    page = client.get(path)
    assert page.status_code == 200
    assert "督查科" in page.get_data(as_text=True)
    csrf_token = _csrf(page)

    thanks = _submit(client, path, "88")
    assert thanks.status_code == 200
    [ballot] = Ballot.query.all()
    assert (ballot.rater_group, str(ballot.score), ballot.voter_id) == (
        "service_recipient",
        "88.00",
        None,
    )
    assert fresh(SurveyLink, ballot.survey_link_id).used_at is not None

    again = client.get(path)
    assert again.status_code == 410
    assert "此问卷链接已使用" in again.get_data(as_text=True)
    assert "每个链接只能提交一次" in again.get_data(as_text=True)
    assert client.post(path, data={"score": "10", "csrf_token": csrf_token}).status_code == 410
    assert Ballot.query.count() == 1


def test_an_expired_link_is_gone(client, api_as, city, clock):
    [path] = _issue(api_as, city, days=3)
    clock.advance(timedelta(days=3, seconds=1))
    page = client.get(path)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "此问卷链接已过期" in text and "请联系绩效管理中心获取新的链接" in text
    assert re.search(r"有效期已于\d{4}-\d\d-\d\d \d\d:\d\d结束", text)
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert "This survey link has expired" in english
    assert Ballot.query.count() == 0


def test_a_link_still_works_just_before_expiry(client, api_as, city, clock):
    [path] = _issue(api_as, city, days=3)
    clock.advance(timedelta(days=3) - timedelta(minutes=1))
    assert _submit(client, path, "60").status_code == 200


def _tampered(path: str) -> str:
    # Flip a character in the middle of the signature: the last base64
    # character carries padding bits, so changing it may decode to the same bytes.
    token = path.rsplit("/", 1)[1]
    i = len(token) - 10
    flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    return f"/survey/{flipped}"


@pytest.mark.parametrize(
    "make",
    [
        lambda app, path: "/survey/not-a-token",
        lambda app, path: _tampered(path),
        lambda app, path: (
            "/survey/" + URLSafeSerializer("another-secret", salt="survey-link").dumps([1, "x"])
        ),
        lambda app, path: (
            "/survey/"
            + URLSafeSerializer(app.config["SECRET_KEY"], salt="survey-link").dumps([9999, "x"])
        ),
        lambda app, path: (
            "/survey/"
            + URLSafeSerializer(app.config["SECRET_KEY"], salt="survey-link").dumps(["1", "x"])
        ),
        lambda app, path: (
            "/survey/"
            + URLSafeSerializer(app.config["SECRET_KEY"], salt="survey-link").dumps("plain")
        ),
    ],
    ids=["garbage", "tampered", "other-secret", "unknown-id", "string-id", "wrong-shape"],
)
def test_forged_or_tampered_links_are_not_found(app, client, api_as, city, make):
    [path] = _issue(api_as, city)
    csrf_token = _csrf(client.get(path))
    forged = make(app, path)
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"score": "50", "csrf_token": csrf_token}).status_code == 404
    assert Ballot.query.count() == 0


def test_a_post_without_csrf_token_is_refused(client, api_as, city):
    [path] = _issue(api_as, city)
    response = _submit(client, path, "90", with_csrf=False)
    assert response.status_code == 400
    assert Ballot.query.count() == 0
    assert SurveyLink.query.one().used_at is None


def test_a_post_with_a_wrong_csrf_token_is_refused(client, api_as, city):
    [path] = _issue(api_as, city)
    client.get(path)
    response = client.post(path, data={"score": "90", "csrf_token": "forged"})
    assert response.status_code == 400
    assert Ballot.query.count() == 0


@pytest.mark.parametrize("score", ["101", "-0.5", "abc", "", "1e400", "NaN"])
def test_a_bad_score_is_refused_and_the_link_stays_usable(client, api_as, city, score):
    [path] = _issue(api_as, city)
    response = _submit(client, path, score)
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert Ballot.query.count() == 0
    assert fresh(SurveyLink, SurveyLink.query.one().id).used_at is None
    assert _submit(client, path, "75").status_code == 200
    assert Ballot.query.count() == 1
