"""Pages: the blueprint, the inbox, an instance, notices; sign-in in auth.py, tasks in tasks.py."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import clock
from app.extensions import db, login_manager
from app.models import HumanTask, Notice, Person, ProcessInstance
from app.pages import inbox_args
from app.services import (
    accounts,
    assignments,
    ballot_sheets,
    instance_diagram,
    instances,
    letters,
    notices,
    permissions,
)
from app.services import inbox as task_inbox
from app.services.errors import Forbidden, Invalid, NotFound, ServiceError
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
    """My ready tasks in two tabs (mine / group), filtered, sorted and paged, and my unread
    notices. A bad query parameter answers 400 with the reason beside the filters."""
    person = actor()
    query, errors = inbox_args.parse(request.args)
    result = choices = None
    try:
        choices = task_inbox.choices(person, query.department_id)
    except Invalid:
        errors["department"] = str(inbox_args.UNKNOWN_DEPARTMENT)
        choices = task_inbox.choices(person)
    if not errors:
        result = task_inbox.page(person, query)
    return render_template(
        "inbox.html",
        result=result,
        query=query,
        errors=errors,
        choices=choices,
        filters={
            name: value
            for name, value in inbox_args.given(request.args).items()
            if name in inbox_args.FILTERS and name not in errors
        },
        param_names=inbox_args.NAMES,
        notices=notices.unread_for(person),
        ballots_pending=ballot_sheets.pending_count(person),
        now=clock.now(),
    ), (400 if errors else 200)


def _back_to_inbox():
    """Back to the inbox as it was (the form's action carries the inbox's query string)."""
    return redirect(url_for(".inbox", **inbox_args.given(request.args)))


def _handover_refused(task_id: int, person: Person, exc: ServiceError) -> str:
    """Why a claim or unclaim was refused, in the reader's language."""
    if isinstance(exc, NotFound):
        return _("找不到该任务。")
    task = instances.get_task(task_id, person)
    if task.status != "ready":
        return _("该任务已办结或已取消。")
    if task.assignee_id is not None and task.assignee_id != person.id:
        return _("该任务已由 %(name)s 认领，不能再认领。", name=task.assignee.display_name)
    if task.personal:
        return _("该任务指定由你本人办理（如评价票），不能退回组内。")
    if isinstance(exc, Forbidden):
        return _("你不是该任务的办理人。")
    return _("该任务刚被他人变更，请刷新后重试。")


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim_task(task_id: int):
    person = actor()
    try:
        task = unit_of_work(lambda: assignments.claim(task_id, person))
    except ServiceError as exc:  # refused: nothing was written (the unit of work rolled back)
        flash(_handover_refused(task_id, person, exc), "error")
    else:
        flash(_("已认领：%(name)s。该任务已移到“我的任务”。", name=task.name), "success")
    return _back_to_inbox()


@bp.post("/tasks/<int:task_id>/unclaim")
@login_required
def unclaim_task(task_id: int):
    person = actor()
    try:
        task = unit_of_work(lambda: assignments.unclaim(task_id, person))
    except ServiceError as exc:  # refused: nothing was written (the unit of work rolled back)
        flash(_handover_refused(task_id, person, exc), "error")
    else:
        flash(_("已退回组内：%(name)s。", name=task.name), "success")
    return _back_to_inbox()


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


def _people_named(history) -> dict[int, str]:
    """Names of the people an event's detail refers to (to whom a task was delegated,
    reassigned or released from), read in one query."""
    ids = {
        value
        for event in history
        for key in ("to_person_id", "from_person_id")
        if isinstance(value := (event.detail or {}).get(key), int)
    }
    if not ids:
        return {}
    rows = db.session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return {person_id: name for person_id, name in rows}


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
    centre = permissions.is_centre_admin(actor())
    history = instances.history(found, tasks)
    # Who still has to cast a peer ballot is the centre's to see (to chase), not the evaluated
    # department's; who cast one is nobody's (the history hides it).
    anonymous = instances.anonymous_steps(tasks)
    if not centre:
        candidates.update({t.id: [] for t in open_tasks if t.bpmn_id in anonymous})
    return render_template(
        "instance.html",
        instance=found,
        open_tasks=open_tasks,
        candidates=candidates,
        centre=centre,
        # whom the centre may reassign a task to: any active person
        people=list(
            db.session.scalars(
                select(Person)
                .where(Person.active.is_(True))
                .order_by(Person.department_id.is_(None), Person.department_id, Person.id)
            )
        )
        if centre and open_tasks
        else [],
        history=history,
        named=_people_named(history),
        anonymous=anonymous,
        diagram=instance_diagram.of(found),
        letter=letters.current(found.id),
        now=clock.now(),
    )
