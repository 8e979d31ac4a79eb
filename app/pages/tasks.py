"""A task's page: the form of its form key, submitted through the same service as the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import clock
from app.extensions import db
from app.forms import get_form
from app.forms.catalog import Form
from app.models import HumanTask, Person
from app.pages.display import plain_number
from app.pages.forms import PAYLOADS, UPLOADS, flatten_errors
from app.pages.messages import localize_all
from app.pages.views import actor, bp, task_for
from app.services import actuals, instances, letters, library, permissions, plans
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.transactions import unit_of_work


def _form_line(line: Any) -> dict[str, str]:
    return {
        k: plain_number(v) if isinstance(v, Decimal) or v is None else v for k, v in line.items()
    }


def _initial(form: Form, task: HumanTask) -> dict[str, Any]:
    """Start a redraft from the latest revision; a first draft from the department's plan (the
    centre's template), or from one empty line when it has none."""
    if form.key != "letter_draft":
        return {}
    letter = letters.current(task.instance_id)
    if letter is None:
        planned = plans.draft_lines(task.instance)
        if planned is None:
            return {"lines": [{"kind": "individual", "direction": "higher"}], "note": ""}
        return {"lines": [_form_line(line) for line in planned], "note": ""}
    return {
        "lines": [
            _form_line(
                {
                    "indicator": line.indicator_code or "",
                    "name": line.name,
                    "kind": line.kind,
                    "direction": line.direction,
                    "target": line.target,
                    "threshold": line.threshold,
                    "unit": line.unit,
                    "weight": line.weight,
                }
            )
            for line in letter.lines
        ],
        "note": letter.note or "",
    }


def _library(form: Form, task: HumanTask) -> list:
    """The library indicators the letter editor offers: the year's, for this category."""
    if form.key != "letter_draft":
        return []
    instance = task.instance
    return library.listing(instance.campaign.year, category=instance.department.function_category)


def _render_form(form: Form, task: HumanTask, values: dict, errors: dict, status: int = 200):
    return (
        render_template(
            form.template,
            task=task,
            form=form,
            values=values,
            errors=errors,
            letter=letters.current(task.instance_id),
            library=_library(form, task),
            now=clock.now(),
            **(form.context(task) if form.context else {}),
        ),
        status,
    )


def _read_uploads(form: Form) -> dict[str, tuple[str, bytes]]:
    """The posted evidence files of the form's rows: {"<list>.<index>": (filename, bytes)}."""
    if form.key not in UPLOADS:
        return {}
    uploads = UPLOADS[form.key](request.form, request.files)
    return {path: (upload.filename, upload.read()) for path, upload in uploads.items()}


def _store_uploads(
    person: Person, payload: dict[str, Any], files: dict[str, tuple[str, bytes]]
) -> None:
    """Store each row's evidence file and set that payload item's `evidence_id`. Every file is
    checked first, so one refused file (reported beside its row's file field) stores none."""
    errors: dict[str, list[str]] = {}
    for path in files:
        try:
            actuals.check_evidence(*files[path])
        except Invalid as exc:
            errors[f"{path}.evidence_file"] = exc.extra["fields"]["file"]
    if errors:
        raise Invalid("an evidence file is refused", fields=errors)
    for path, (filename, data) in files.items():
        name, index = path.rsplit(".", 1)
        evidence = actuals.store_evidence(person, filename, data)
        payload[name][int(index)]["evidence_id"] = evidence.id


def _closed(task_id: int):
    """409: the task was completed by someone (perhaps in another window) or cannot run now."""
    task = db.session.get(HumanTask, task_id)
    return (
        render_template("task_closed.html", task=task, now=clock.now()),
        409,
    )


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    person: Person = actor()
    found = task_for(task_id, person)
    if found.status != "ready":
        return _closed(found.id)
    if not permissions.may_act(person, found):
        raise Forbidden("you are not a candidate for this task")
    try:
        form = get_form(found.form_key)
    except LookupError:
        abort(404)
    if request.method == "GET":
        return _render_form(form, found, _initial(form, found), {})

    payload = PAYLOADS[form.key](request.form)
    uploads = _read_uploads(form)

    def complete():
        _store_uploads(person, payload, uploads)
        return instances.complete_task(task_id, person, payload)

    try:
        unit_of_work(complete)
    except Invalid as exc:
        errors = localize_all(flatten_errors(exc.extra.get("fields", {})))
        return _render_form(form, db.session.get(HumanTask, task_id), payload, errors, 422)
    except Conflict:
        return _closed(task_id)
    flash(_("已办理：%(name)s", name=found.name), "success")
    return redirect(url_for("pages.inbox"))
