"""Approval (审定) and publication (公示) of a campaign's results.

- **Approve**: the centre approves once every department instance of the campaign has a
  result and the campaign is calibrated (every result ranked, none changed since). Who and
  when are kept on the campaign's `Publication` row, which exists from then on.
- **Publish**: once, after approval (the same conditions are checked again, in case results
  changed after approving). It stamps `published_at`, the appeal window's length
  (`appeal.window_days` of the campaign settings) and its end: `published_at` plus that many
  **calendar** days (the seed's "7 days"; not working days, so the end is the same moment of
  the day a week later). Each department head is notified in the same transaction (a rolled
  back publication leaves no notice, and notices are emailed from the outbox after commit).
- **Delivery**: after that transaction commits, `results_published` ({"year",
  "published_at"}) goes to every department instance, each in its own transaction, so one
  broken instance cannot stop the others. The counts (delivered / not waiting / failed) are
  kept on the publication and returned.
- Before publication nobody but the centre sees a department's grade (`results.results`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from app import clock
from app.extensions import db
from app.models import Campaign, DepartmentResult, Person, ProcessInstance, Publication
from app.services import audit, campaigns, instances, notices, permissions, results
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.transactions import unit_of_work

MESSAGE = "results_published"


def _require_admin(actor: Person, what: str) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden(f"only the performance-management centre {what}")


def find(campaign: Campaign) -> Publication | None:
    return db.session.scalars(
        select(Publication).where(Publication.campaign_id == campaign.id)
    ).first()


def _instances(campaign: Campaign) -> list[ProcessInstance]:
    """The campaign's live instances with their departments, without their workflow state
    (tens of KB each: a city's would be hundreds of MB in memory); a delivery loads its own."""
    return list(
        db.session.scalars(
            select(ProcessInstance)
            .options(defer(ProcessInstance.state), joinedload(ProcessInstance.department))
            .where(
                ProcessInstance.campaign_id == campaign.id,
                ProcessInstance.status != "terminated",
            )
            .order_by(ProcessInstance.id)
        )
    )


def _check_ready(campaign: Campaign) -> None:
    """409 naming what is missing: departments without a result, and calibration."""
    rows = list(
        db.session.scalars(
            select(DepartmentResult).where(DepartmentResult.campaign_id == campaign.id)
        )
    )
    scored = {row.department_id for row in rows}
    missing = sorted(
        {i.department.code for i in _instances(campaign) if i.department_id not in scored}
    )
    calibrated = results.is_calibrated(rows)
    if missing or not calibrated:
        raise Conflict(
            f"the results of {campaign.year} are not complete",
            missing_results=missing,
            calibrated=calibrated,
        )


def approve(actor: Person, year: int) -> Publication:
    _require_admin(actor, "approves results")
    campaign = campaigns.get(year)
    if find(campaign) is not None:
        raise Conflict(f"the results of {year} are already approved")
    _check_ready(campaign)
    publication = Publication(
        campaign_id=campaign.id, approved_at=clock.now(), approved_by_id=actor.id
    )
    db.session.add(publication)
    db.session.flush()
    audit.record("campaign.approve", actor, "campaign", campaign.id, year=year)
    return publication


def _publish(actor: Person, year: int) -> Publication:
    _require_admin(actor, "publishes results")
    campaign = campaigns.get(year)
    publication = find(campaign)
    if publication is None:
        raise Conflict(f"the results of {year} are not approved yet")
    if publication.published_at is not None:
        raise Conflict(f"the results of {year} are already published")
    _check_ready(campaign)
    days = campaigns.settings_of(campaign).appeal_window_days
    now = clock.now()
    publication.published_at = now
    publication.published_by_id = actor.id
    publication.appeal_window_days = days
    publication.appeal_window_ends_at = now + timedelta(days=days)
    for instance in _instances(campaign):
        heads = permissions.candidates("department_head", instance.department)
        notices.notify(
            [h for h in heads if permissions.may_report_actuals(h, instance.department)],
            instance.id,
            "results_published",
            year=year,
            days=days,
        )
    db.session.flush()
    audit.record(
        "campaign.publish",
        actor,
        "campaign",
        campaign.id,
        year=year,
        appeal_window_ends_at=publication.appeal_window_ends_at.isoformat(),
    )
    return publication


@dataclass(frozen=True)
class Delivery:
    delivered: int
    not_waiting: int
    failed: int
    failures: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "not_waiting": self.not_waiting,
            "failed": self.failed,
            "failures": self.failures,
        }


def publish(actor: Person, year: int) -> Publication:
    """Publish (one transaction), then deliver the message to each instance (one each), then
    keep the counts. Commits: this is a sequence of units of work, like the timer sweep."""
    publication = unit_of_work(lambda: _publish(actor, year))
    payload = {"year": year, "published_at": publication.published_at.isoformat()}
    instance_ids = [i.id for i in _instances(publication.campaign)]
    delivered = not_waiting = 0
    failures: list[dict[str, Any]] = []
    for instance_id in instance_ids:
        try:
            sent = unit_of_work(
                lambda i=instance_id: instances.deliver_message(i, MESSAGE, payload)
            )
        except Exception as exc:  # one broken instance must not stop the others
            current_app.logger.exception("delivering %s to instance %s", MESSAGE, instance_id)
            failures.append({"instance_id": instance_id, "error": f"{type(exc).__name__}"})
            continue
        if sent:
            delivered += 1
        else:
            not_waiting += 1
    delivery = Delivery(delivered, not_waiting, len(failures), failures)

    def keep() -> Publication:
        row = db.session.get(Publication, publication.id)
        row.delivery = delivery.as_dict()
        db.session.flush()
        return row

    return unit_of_work(keep)


def get(actor: Person, year: int) -> Publication:
    """The publication of a year: the centre sees it from approval on; anyone else once the
    results are published."""
    campaign = campaigns.find(year)
    publication = find(campaign) if campaign is not None else None
    if publication is None or (
        publication.published_at is None and not permissions.is_centre_admin(actor)
    ):
        raise NotFound(f"the results of {year} are not published")
    return publication
