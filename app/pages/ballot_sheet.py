"""The ballot sheet page (测评表): a voter's pending ballots on one page, saved as a draft or
submitted together (`app.services.ballot_sheets`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.pages.messages import localize_all
from app.pages.views import actor, bp
from app.services import ballot_sheets
from app.services.errors import Invalid
from app.services.transactions import unit_of_work

# The anchored scale shown beside the marks (行为锚定): what a band of marks stands for.
ANCHORS = (
    ("90–100", "anchor_excellent"),
    ("80–89", "anchor_good"),
    ("70–79", "anchor_fair"),
    ("60–69", "anchor_weak"),
    ("0–59", "anchor_poor"),
)


def _render(errors: dict | None = None, marks: dict | None = None, status: int = 200):
    person = actor()
    rows = ballot_sheets.rows(person)
    if marks is not None:
        rows = [
            ballot_sheets.SheetRow(r.task, r.rater_group, marks.get(str(r.task.id), ""))
            for r in rows
        ]
    return render_template(
        "ballot_sheet.html", rows=rows, errors=errors or {}, anchors=ANCHORS
    ), status


@bp.get("/ballots/sheet")
@login_required
def ballot_sheet():
    """Every department (or colleague) I still have to rate, on one page."""
    return _render()


@bp.post("/ballots/sheet")
@login_required
def ballot_sheet_post():
    person = actor()
    marks = {
        key.removeprefix("mark."): value[:40]
        for key, value in request.form.items()
        if key.startswith("mark.")
    }
    try:
        if request.form.get("action") == "draft":
            unit_of_work(lambda: ballot_sheets.save_draft(person, marks))
            flash(_("测评表已暂存，可稍后继续填写。"), "success")
            return redirect(url_for(".ballot_sheet"))
        confirm = request.form.get("confirm_void") == "yes"
        count = unit_of_work(lambda: ballot_sheets.submit(person, marks, confirm))
    except Invalid as exc:
        return _render(localize_all(exc.extra.get("fields", {})), marks, 422)
    flash(_("测评表已提交：共 %(n)s 个科室。", n=count), "success")
    return redirect(url_for(".inbox"))
