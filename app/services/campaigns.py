"""Campaigns (考核活动) by year and their settings document.

The document's keys, defaults and limits are described in `app.rules.campaign_settings`; a
campaign that was never configured runs on those defaults. Writing stores the normalised
document (every key present), so the defaults a campaign ran on are kept with it even if a
later release changes them. Changing settings does not recompute results already recorded;
re-record them (and calibrate again) when the composition or the grade table changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.i18n import Message
from app.models import Campaign, DepartmentResult, Person, ProcessInstance
from app.rules import grading
from app.rules.campaign_settings import (
    CampaignSettings,
    SettingsInvalid,
    number_text,
    parse,
    with_approval,
)
from app.services import audit, permissions
from app.services.errors import Forbidden, Invalid, NotFound

YEAR_MIN, YEAR_MAX = 2000, 2100


def find(year: int) -> Campaign | None:
    return db.session.scalars(select(Campaign).where(Campaign.year == year)).first()


def latest_year(until: int) -> int | None:
    """The latest campaign year up to `until`: in January the previous year's campaign is
    still the current one (appeals, outcomes) while this year's has not started."""
    return db.session.scalar(select(func.max(Campaign.year)).where(Campaign.year <= until))


def get(year: int) -> Campaign:
    campaign = find(year)
    if campaign is None:
        raise NotFound(f"no campaign for {year}")
    return campaign


def get_or_create(year: int) -> Campaign:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise NotFound(f"no campaign for {year}")
    campaign = find(year)
    if campaign is None:
        campaign = Campaign(year=year, name=f"{year}年度绩效考核", settings={})
        db.session.add(campaign)
        db.session.flush()
    return campaign


def settings_of(campaign: Campaign | None) -> CampaignSettings:
    """The campaign's parsed settings (the defaults when it has none, or no campaign yet)."""
    return parse(campaign.settings if campaign is not None else {})


def _require_admin(actor: Person) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre manages campaign settings")


def read_settings(actor: Person, year: int) -> dict[str, Any]:
    """The effective settings document of a year (the defaults before it is configured)."""
    _require_admin(actor)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise NotFound(f"no campaign for {year}")
    return dict(settings_of(find(year)).document)


def validate(document: Any) -> CampaignSettings:
    """Parse and check a document, including that its grade table is loaded and usable;
    `Invalid` with every field error otherwise."""
    from app.services import grades  # grades reads settings: imported here to avoid a cycle

    try:
        settings = parse(document)
    except SettingsInvalid as exc:
        raise Invalid("the campaign settings are invalid", fields=exc.fields) from exc
    problems = grades.decision_problems(settings.grade_decision, settings.grade_decision_version)
    if problems:
        raise Invalid("the campaign settings are invalid", fields=problems)
    return settings


def assessed_count(campaign: Campaign | None) -> int:
    """Departments the campaign assesses: its results once recorded, else its instances."""
    if campaign is None:
        return 0
    recorded = db.session.scalar(
        select(func.count())
        .select_from(DepartmentResult)
        .where(DepartmentResult.campaign_id == campaign.id)
    )
    if recorded:
        return recorded
    return db.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(ProcessInstance.campaign_id == campaign.id)
    )


def _quota_problem(settings: CampaignSettings, assessed: int) -> Message | None:
    """Why these settings would give more 优秀 places than the cap allows for `assessed`."""
    wanted = grading.rounded_quota(assessed, settings.quota, settings.quota_approval)
    allowed = grading.quota_limit(assessed, settings.quota, settings.quota_approval)
    if wanted <= allowed:
        return None
    return Message(
        "按此取整方式，%(assessed)s 个参评科室将有 %(wanted)s 个优秀名额（%(share)s%%），"
        "超过 %(cap)s%% 的上限（最多 %(allowed)s 个）。请改为向下取整、降低比例，"
        "或记录提高比例的批准（最高 25%%）。",
        assessed=assessed,
        wanted=wanted,
        share=number_text(round(Decimal(wanted) * 100 / assessed, 1)),
        cap=number_text(grading.quota_cap_share(settings.quota, settings.quota_approval)),
        allowed=allowed,
    )


def update_settings(actor: Person, year: int, document: Any) -> dict[str, Any]:
    """Replace a year's settings (missing keys take the defaults); creates the campaign if
    it does not exist yet. Nothing is written when anything is invalid."""
    _require_admin(actor)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise NotFound(f"no campaign for {year}")
    settings = validate(document)
    campaign = find(year)
    problem = _quota_problem(settings, assessed_count(campaign))
    if problem is not None:
        raise Invalid("the campaign settings are invalid", fields={"quota.rounding": [problem]})
    before = dict(settings_of(campaign).document) if campaign is not None else None
    campaign = campaign or get_or_create(year)
    after = dict(settings.document)
    campaign.settings = after
    db.session.flush()
    audit.record(
        "campaign.settings", actor, "campaign", campaign.id, year=year, before=before, after=after
    )
    return after


def record_quota_approval(
    actor: Person, campaign: Campaign, approval: dict[str, Any]
) -> CampaignSettings:
    """Store a quota approval in the campaign's settings (validated like any settings write)."""
    current = settings_of(campaign).document
    try:
        settings = parse(with_approval(current, approval))
    except SettingsInvalid as exc:
        fields = {
            key.replace("quota.approval.", "approval."): messages
            for key, messages in exc.fields.items()
        }
        raise Invalid("the quota approval is invalid", fields=fields) from exc
    campaign.settings = dict(settings.document)
    db.session.flush()
    audit.record(
        "campaign.quota_approval",
        actor,
        "campaign",
        campaign.id,
        year=campaign.year,
        before=current["quota"]["approval"],
        after=settings.document["quota"]["approval"],
    )
    return settings
