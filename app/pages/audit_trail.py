"""The audit trail for the centre: filter and page through it; nothing here edits it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import render_template, request
from flask_login import login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Person
from app.pages.display import BEIJING
from app.pages.forms import AuditFilterForm
from app.pages.views import actor, bp
from app.services import audit, permissions
from app.services.errors import Forbidden

PER_PAGE = 50


def _beijing_midnight(day: date | None) -> datetime | None:
    """Filter dates are days in the city's calendar; the trail stores UTC."""
    return None if day is None else datetime.combine(day, time(), BEIJING)


@bp.get("/admin/audit")
@login_required
def audit_trail():
    person = actor()
    if not permissions.is_centre_admin(person):
        raise Forbidden("only the performance-management centre reads the audit trail")
    form = AuditFilterForm(request.args)
    # The filters as given, for the pager's links (only the form's own, never `page`).
    filters = {
        name: request.args[name]
        for name in ("actor", "action", "object_type", "object_id", "since", "until")
        if request.args.get(name)
    }
    if not form.validate():
        return render_template("audit.html", form=form, filters=filters, result=None), 400
    until = form.until.data
    result = audit.search(
        person,
        actor_username=form.actor.data or None,
        action=form.action.data or None,
        object_type=form.object_type.data or None,
        object_id=form.object_id.data or None,
        since=_beijing_midnight(form.since.data),
        until=_beijing_midnight(until + timedelta(days=1)) if until else None,
        page=form.page.data or 1,
        per_page=PER_PAGE,
    )
    actor_ids = {event.actor_id for event in result["events"] if event.actor_id is not None}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(actor_ids)))}
    pages = max(1, -(-result["total"] // PER_PAGE))
    return render_template(
        "audit.html", form=form, filters=filters, result=result, people=people, pages=pages
    )
