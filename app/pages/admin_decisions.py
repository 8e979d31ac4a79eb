"""The centre's decision tables (等次规则): the list, the dmn-js editor of the latest version,
older versions read-only, and the editor's two JSON calls (save, try scores).

The editor (app/static/src/dmn_editor.js) posts the edited DMN XML with the CSRF token in the
`X-CSRFToken` header. Saving runs the upload's checks (`app.services.decision_tables`): a
refused table answers 422 with each problem in the reader's language and its row, and stores
nothing; a saved one is a new version. Only the performance-management centre may use them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.pages import decision_messages
from app.pages.admin_campaign import GRADE_NAMES
from app.pages.admin_library import centre_admin
from app.pages.views import bp
from app.services import decision_tables
from app.services.errors import Invalid, NotFound
from app.services.transactions import unit_of_work

KEY = "string(maxlength=100)"
_SCORE = re.compile(r"^\d{1,3}(?:\.\d{1,2})?$")


@bp.get("/admin/decision-tables")
@login_required
def admin_decision_tables():
    """Every decision table with its latest version."""
    person = centre_admin()
    return render_template("admin/decision_tables.html", tables=decision_tables.listing(person))


def _render_table(key: str, number: int | None):
    person = centre_admin()
    history = decision_tables.versions(person, key)
    latest = history[0]
    shown = latest if number is None else next((d for d in history if d.version == number), None)
    if shown is None:
        raise NotFound(f"decision table {key!r} has no version {number}")
    return render_template(
        "admin/decision_table.html",
        key=key,
        shown=shown,
        latest=latest,
        history=history,
        authors=decision_tables.authors(history),
        read_only=shown is not latest,
        grade_table=decision_tables.is_grade_table(key),
    )


@bp.get(f"/admin/decision-tables/<{KEY}:key>")
@login_required
def admin_decision_table(key: str):
    """The latest version in the editor."""
    return _render_table(key, None)


@bp.get(f"/admin/decision-tables/<{KEY}:key>/versions/<int(max=1000000):number>")
@login_required
def admin_decision_table_version(key: str, number: int):
    """One version, read-only (the latest one opens the editor)."""
    return _render_table(key, number)


def _posted_source() -> str:
    """The `xml` of the posted JSON object; `Invalid` (422) for anything else."""
    body = request.get_json(silent=True)
    source = body.get("xml") if isinstance(body, dict) else None
    if not isinstance(source, str) or not source.strip():
        raise Invalid("the body must be a JSON object with the table's XML as `xml`")
    return source


def _posted_scores() -> list[Decimal] | None:
    """`scores`: text of numbers 0–100 with at most two decimals, separated by commas or
    spaces; None (the tables' own bounds) when absent or blank."""
    body = request.get_json(silent=True)
    text = body.get("scores") if isinstance(body, dict) else None
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    parts = re.split(r"[,，、\s]+", text.strip()) if isinstance(text, str) else [""]
    if not all(_SCORE.match(part) and Decimal(part) <= 100 for part in parts):
        message = _("试算分数须为 0 至 100 之间、最多两位小数的数字，用逗号分隔。")
        raise Invalid("bad scores", fields={"scores": [message]})
    if len(parts) > decision_tables.MAX_SCORES:
        message = _("最多试算 %(n)s 个分数。", n=decision_tables.MAX_SCORES)
        raise Invalid("too many scores", fields={"scores": [message]})
    return [Decimal(part) for part in parts]


def _refused(exc: Invalid, source: str, status: int = 422):
    problems = decision_messages.localize(exc.extra.get("problems", []), source)
    fields = exc.extra.get("fields") or {}
    if not problems and not fields:
        fields = {"xml": [_("请求内容有误：须为包含决策表 XML 的 JSON 对象。")]}
    return jsonify({"saved": False, "problems": problems, "fields": fields}), status


@bp.post(f"/admin/decision-tables/<{KEY}:key>")
@login_required
def admin_decision_table_save(key: str):
    """Save the edited table: 201 and the new version, 200 when nothing changed, 422 with the
    problems (nothing stored)."""
    person = centre_admin()
    source = ""
    try:
        source = _posted_source()
        definition, created = unit_of_work(lambda: decision_tables.save(person, key, source))
    except Invalid as exc:
        return _refused(exc, source)
    if created:
        flash(_("已保存为第 %(version)s 版。", version=definition.version), "success")
    body = {
        "saved": created,
        "version": definition.version,
        "url": url_for(".admin_decision_table", key=key),
    }
    return jsonify(body), 201 if created else 200


def _grade_text(grade: str | None, error: str | None) -> dict[str, Any]:
    if grade is not None:
        return {"grade": grade, "label": str(GRADE_NAMES[grade])}
    return {"grade": None, "label": _("无等次"), "error": error}


@bp.post(f"/admin/decision-tables/<{KEY}:key>/preview")
@login_required
def admin_decision_table_preview(key: str):
    """Try sample scores on the edited table beside the stored latest version; the problems
    saving it would meet come along, so the editor shows them before saving."""
    person = centre_admin()
    source = ""
    if not decision_tables.is_grade_table(key):
        only = _("只有等次表可以试算。")
        return jsonify({"problems": [], "rows": [], "fields": {"xml": [only]}}), 422
    try:
        source = _posted_source()
        scores = _posted_scores()
        rows = decision_tables.trial(person, key, source, scores)
    except Invalid as exc:
        return _refused(exc, source)
    problems = decision_messages.localize(decision_tables.problems(person, key, source), source)
    return jsonify(
        {
            "problems": problems,
            "rows": [
                {
                    "score": str(row.score),
                    "edited": _grade_text(row.edited, row.edited_error),
                    "stored": _grade_text(row.stored, row.stored_error),
                }
                for row in rows
            ],
        }
    )
