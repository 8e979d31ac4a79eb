"""Campaign settings: defaults, validated writes, audit, nothing written on error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Campaign
from app.rules.campaign_settings import DEFAULTS
from app.services import campaigns
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.transactions import unit_of_work
from tests.conftest import person


def state() -> tuple[list[tuple[int, dict]], int]:
    db.session.expire_all()
    rows = [
        (c.year, c.settings) for c in db.session.scalars(select(Campaign).order_by(Campaign.year))
    ]
    return rows, db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_year_without_a_campaign_reads_as_the_defaults(org):
    assert campaigns.read_settings(person("admin"), 2027) == DEFAULTS
    assert campaigns.find(2027) is None


def test_the_first_write_creates_the_campaign_and_is_audited_with_before_and_after(org):
    admin = person("admin")
    after = unit_of_work(
        lambda: campaigns.update_settings(
            admin, 2027, {"composition": {"indicators": 60, "evaluation": 40}}
        )
    )
    campaign = campaigns.get(2027)
    assert campaign.name == "2027年度绩效考核"
    assert campaign.settings == after
    assert after["composition"] == {"indicators": "60", "evaluation": "40"}
    assert after["rater_weights"] == DEFAULTS["rater_weights"]
    assert campaigns.settings_of(campaign).composition.evaluation_weight == 40
    unit_of_work(lambda: campaigns.update_settings(admin, 2027, {"appeal": {"window_days": 10}}))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.settings").order_by(AuditEvent.id)
    ).all()
    assert [e.actor_id for e in events] == [admin.id, admin.id]
    assert events[0].detail["before"] is None and events[0].detail["after"] == after
    assert events[1].detail["before"] == after
    assert events[1].detail["after"]["composition"] == DEFAULTS["composition"]  # PUT replaces
    assert events[1].detail["after"]["appeal"] == {"window_days": 10, "decision_days": 7}
    assert campaigns.read_settings(admin, 2027)["appeal"]["window_days"] == 10


def test_an_existing_campaign_is_updated_in_place(org):
    from tests.conftest import start_instance

    instance = start_instance("CZ-YS", 2026)
    unit_of_work(
        lambda: campaigns.update_settings(person("admin"), 2026, {"quarterly_rule": False})
    )
    assert campaigns.get(2026).id == instance.campaign_id
    assert campaigns.settings_of(campaigns.get(2026)).quarterly_rule is False


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"rater_weights": {"leader": 41}}, "rater_weights"),
        ({"composition": {"indicators": "1e999999"}}, "composition.indicators"),
        ({"quota": {"share": 25}}, "quota.share"),
        ({"appeal": {"window_days": 0}}, "appeal.window_days"),
        ({"appeal": {"decision_days": 10**40}}, "appeal.decision_days"),
        ({"outcomes": {"bonus_percent": {"excellent": 9}}}, "outcomes.bonus_percent.excellent"),
        ({"grade_table": {"decision": "missing_table"}}, "grade_table.decision"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_an_invalid_document_writes_nothing(org, document, field):
    before = state()
    with pytest.raises(Invalid) as caught:
        unit_of_work(lambda: campaigns.update_settings(person("admin"), 2027, document))
    assert field in caught.value.extra["fields"]
    assert state() == before


def test_only_the_centre_reads_or_writes_settings(org):
    before = state()
    for username in ("head_fin", "leader_li", "kh_chen", "expert_gao"):
        with pytest.raises(Forbidden):
            campaigns.read_settings(person(username), 2026)
        with pytest.raises(Forbidden):
            unit_of_work(lambda u=username: campaigns.update_settings(person(u), 2026, {}))
    assert state() == before


def test_years_outside_the_range_are_unknown(org):
    for year in (1999, 2101):
        with pytest.raises(NotFound):
            campaigns.read_settings(person("admin"), year)
        with pytest.raises(NotFound):
            unit_of_work(lambda y=year: campaigns.update_settings(person("admin"), y, {}))
