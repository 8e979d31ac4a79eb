"""Pages: the blueprint, the inbox, an instance, notices; sign-in in auth.py, tasks in tasks.py."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import clock
from app.extensions import db, login_manager
from app.models import HumanTask, Notice, Person, ProcessInstance
from app.services import accounts, instances, letters, notices, permissions
from app.services.errors import Forbidden, NotFound
from app.services.transactions import unit_of_work

bp = Blueprint("pages", __name__)


@login_manager.user_loader
def load_person(session_id: str) -> Person | None:
    return accounts.load_session_user(session_id)


def actor() -> Person:
    return current_user._get_current_object()


def task_for(task_id: int, person: Person) -> HumanTask:
    """The task, or 404 when there is none and 403 when it is someone else's department's."""
    try:
        return instances.get_task(task_id, person)
    except NotFound:
        if db.session.get(HumanTask, task_id) is not None:
            raise Forbidden("not your department's task") from None
        raise


def instance_for(instance_id: int, person: Person) -> ProcessInstance:
    try:
        return instances.get(instance_id, person)
    except NotFound:
        if db.session.get(ProcessInstance, instance_id) is not None:
            raise Forbidden("not your department's instance") from None
        raise


@bp.get("/")
@login_required
def inbox():
    """My ready tasks, soonest due first, and my unread notices."""
    return render_template(
        "inbox.html",
        tasks=instances.inbox(actor()),
        notices=notices.unread_for(actor()),
        now=clock.now(),
    )


def _mark_read(notice_id: int, person: Person) -> None:
    notice = db.session.scalars(
        select(Notice).where(Notice.id == notice_id, Notice.person_id == person.id)
    ).first()
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    if notice.read_at is None:
        notice.read_at = clock.now()
    db.session.flush()


@bp.post("/notices/<int:notice_id>/read")
@login_required
def read_notice(notice_id: int):
    unit_of_work(lambda: _mark_read(notice_id, actor()))
    flash(_("提醒已标记为已读。"), "success")
    return redirect(url_for(".inbox"))


@bp.get("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int):
    """Department, year, status, open tasks with their candidates, history, current letter."""
    found = instance_for(instance_id, actor())
    tasks = instances.tasks_of(found)
    open_tasks = [t for t in tasks if t.status == "ready"]
    candidates = {
        t.id: (
            [db.session.get(Person, t.assignee_id)]
            if t.assignee_id
            else permissions.candidates(t.role, t.department)
        )
        for t in open_tasks
    }
    return render_template(
        "instance.html",
        instance=found,
        open_tasks=open_tasks,
        candidates=candidates,
        history=instances.history(found),
        letter=letters.current(found.id),
        now=clock.now(),
    )
