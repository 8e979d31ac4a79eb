"""Evaluation ballots and survey links, with the anonymity rule.

Anonymity: no endpoint returns an individual peer or service-recipient ballot, to anyone. A
group's aggregate (count and mean) is shown only when it rests on at least ANONYMITY_MIN_BALLOTS
ballots; below that only the count is given, so a department cannot work out who gave what.

Survey links for service recipients without accounts are signed (itsdangerous, with the app's
secret), expire (checked against the app clock, so simulations work), and are single-use: the
link is spent by a conditional UPDATE in the same transaction that stores the ballot.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import RATER_GROUPS, Ballot, Campaign, Department, Person, SurveyLink
from app.rules import aggregation
from app.services import audit, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

MAX_LINKS = 500
SCORE_MAX = Decimal(100)


class Gone(ServiceError):
    status = 410
    code = "gone"


@dataclass(frozen=True)
class GroupSummary:
    rater_group: str
    ballots: int
    mean: Decimal | None  # None when hidden by the anonymity rule (or no ballots)
    hidden: bool


def _campaign(year: int) -> Campaign:
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == year)).first()
    if campaign is None:
        raise NotFound(f"no campaign for {year}")
    return campaign


def _department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(f"department {department_id} not found")
    return department


def parse_score(value: object) -> Decimal:
    """A mark of 0 to 100, at most two decimals kept (rounded half up)."""
    try:
        score = Decimal(str(value)) if isinstance(value, int | str | Decimal) else None
    except InvalidOperation:
        score = None
    if score is None or not score.is_finite() or not 0 <= score <= SCORE_MAX:
        raise Invalid("bad score", fields={"score": [Message("分数须为0至100之间的数字。")]})
    return score.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey-link")


def issue_links(
    actor: Person, year: int, department_id: int, count: int, days: int | None = None
) -> list[tuple[SurveyLink, str]]:
    """New survey links for service recipients of a department; (link, token) pairs."""
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre issues survey links")
    return issue_links_for(_campaign(year), _department(department_id), count, days, actor)


def issue_links_for(
    campaign: Campaign,
    department: Department,
    count: int,
    days: int | None = None,
    actor: Person | None = None,
) -> list[tuple[SurveyLink, str]]:
    """Survey links, issued by a person or (`actor` None) by the year-end process itself."""
    if not 1 <= count <= MAX_LINKS:
        raise Invalid("bad count", fields={"count": [Message("1至%(n)s。", n=MAX_LINKS)]})
    days = days or current_app.config["SURVEY_LINK_DAYS"]
    expires_at = clock.now() + timedelta(days=days)
    links = [
        SurveyLink(
            nonce=secrets.token_urlsafe(32),
            campaign_id=campaign.id,
            department_id=department.id,
            expires_at=expires_at,
            created_by_id=actor.id if actor else None,
        )
        for _ in range(count)
    ]
    db.session.add_all(links)
    db.session.flush()
    audit.record(
        "survey.links_issued", actor, "department", department.id, year=campaign.year, count=count
    )
    return [(link, token_of(link)) for link in links]


def token_of(link: SurveyLink) -> str:
    return _serializer().dumps([link.id, link.nonce])


def open_link(token: str) -> SurveyLink:
    """The live link for a token, or 404 (forged/unknown) / 410 (used or expired)."""
    try:
        link_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise NotFound("this survey link is not valid") from exc
    link = db.session.get(SurveyLink, link_id) if isinstance(link_id, int) else None
    if link is None or not secrets.compare_digest(str(link.nonce), str(nonce)):
        raise NotFound("this survey link is not valid")
    if link.used_at is not None:
        raise Gone("this survey link has already been used", reason="used")
    if link.expires_at <= clock.now():
        raise Gone("this survey link has expired", reason="expired", expired_at=link.expires_at)
    return link


def submit_survey(token: str, score: object, items: dict | None = None) -> Ballot:
    link = open_link(token)
    value = parse_score(score)
    spent = db.session.execute(
        update(SurveyLink)
        .where(
            SurveyLink.id == link.id,
            SurveyLink.used_at.is_(None),
            SurveyLink.expires_at > clock.now(),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise Gone("this survey link has already been used", reason="used")
    ballot = Ballot(
        campaign_id=link.campaign_id,
        department_id=link.department_id,
        rater_group=link.rater_group,
        score=value,
        items=items or {},
        survey_link_id=link.id,
    )
    db.session.add(ballot)
    db.session.flush()
    audit.record("ballot.cast", None, "department", link.department_id, via="survey_link")
    return ballot


def may_rate(voter: Person, department: Department, rater_group: str) -> bool:
    """Leaders rate the departments they supervise; peers are heads and staff of *other*
    departments (never their own)."""
    if rater_group == "leader":
        return permissions.holds(voter, "supervising_leader", department)
    if rater_group == "peer":
        return voter.department_id not in (None, department.id) and any(
            a.role in ("department_head", "staff") for a in voter.current_roles()
        )
    return False


def rater_group_of(role: str | None) -> str:
    """A ballot task's rater group: the supervising leader's is `leader`, anyone else's `peer`
    (民主测评, whose voters stay anonymous)."""
    return "leader" if role == "supervising_leader" else "peer"


def cast(voter: Person, year: int, department_id: int, rater_group: str, score: object) -> Ballot:
    if rater_group not in ("leader", "peer"):
        raise Invalid("bad rater group", fields={"rater_group": [Message("可选：leader、peer。")]})
    campaign, department = _campaign(year), _department(department_id)
    if not may_rate(voter, department, rater_group):
        raise Forbidden("you may not rate this department in this group")
    ballot = Ballot(
        campaign_id=campaign.id,
        department_id=department.id,
        rater_group=rater_group,
        score=parse_score(score),
        voter_id=voter.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("you have already rated this department") from exc
    audit.record("ballot.cast", voter, "department", department.id, rater_group=rater_group)
    return ballot


def mean_hidden(rater_group: str, ballots: int) -> bool:
    """The anonymity rule: a peer or service-recipient mean over fewer than
    `ANONYMITY_MIN_BALLOTS` ballots is not shown (the leader's score is not anonymous)."""
    return rater_group != "leader" and ballots < current_app.config["ANONYMITY_MIN_BALLOTS"]


def summary(viewer: Person, year: int, department_id: int) -> list[GroupSummary]:
    """Per rater group: ballot count and, over enough ballots, the mean."""
    department = _department(department_id)
    if not permissions.may_view_department(viewer, department):
        raise NotFound(f"department {department_id} not found")
    campaign = _campaign(year)
    rows = dict(
        (group, (count, mean))
        for group, count, mean in db.session.execute(
            select(Ballot.rater_group, func.count(), func.avg(Ballot.score))
            .where(Ballot.campaign_id == campaign.id, Ballot.department_id == department.id)
            .group_by(Ballot.rater_group)
        )
    )
    result = []
    for group in RATER_GROUPS:
        count, mean = rows.get(group, (0, None))
        hidden = mean_hidden(group, count)
        shown = None if hidden or mean is None else Decimal(str(mean)).quantize(Decimal("0.01"))
        result.append(GroupSummary(group, count, shown, hidden and count > 0))
    return result


def sheets(campaign_id: int, department_id: int) -> list[aggregation.Ballot]:
    """Every ballot marking this department, each as its voter's whole sheet: all the marks
    the voter gave in that rater group this campaign, by department code.

    The void-ballot rules (all full marks, all the same mark) judge a voter's sheet, not one
    mark: a peer who gives every department 100 has every one of those ballots voided. Survey
    ballots (no voter) are one-department sheets. Only the voters of this department are read.
    """
    own = select(Ballot.voter_id, Ballot.rater_group).where(
        Ballot.campaign_id == campaign_id,
        Ballot.department_id == department_id,
        Ballot.voter_id.is_not(None),
    )
    voters = {(voter, group) for voter, group in db.session.execute(own)}
    marks: dict[tuple[int, str], dict[str, Decimal]] = {}
    if voters:
        rows = db.session.execute(
            select(Ballot.voter_id, Ballot.rater_group, Department.code, Ballot.score)
            .join(Department, Department.id == Ballot.department_id)
            .where(
                Ballot.campaign_id == campaign_id,
                Ballot.voter_id.in_({voter for voter, _ in voters}),
            )
        )
        for voter, group, code, score in rows:
            if (voter, group) in voters:
                marks.setdefault((voter, group), {})[code] = score
    result = [
        aggregation.Ballot(group, sheet, f"voter-{voter}-{group}")
        for (voter, group), sheet in sorted(marks.items())
    ]
    code = db.session.get(Department, department_id).code
    anonymous = db.session.execute(
        select(Ballot.id, Ballot.rater_group, Ballot.score).where(
            Ballot.campaign_id == campaign_id,
            Ballot.department_id == department_id,
            Ballot.voter_id.is_(None),
        )
    )
    result += [aggregation.Ballot(group, {code: score}, str(i)) for i, group, score in anonymous]
    return result
