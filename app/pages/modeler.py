"""The web modeler (流程设计): the list of diagrams and their versions, the bpmn-js editor page,
a version's comparison with the previous one, and the JSON calls the editor makes.

The editor's calls carry the session cookie, so they are page routes with CSRF (the token in
the `X-CSRFToken` header), not /api/v1 routes (which take bearer tokens only). They call the
same services as the API (`app.services.modeler`) and answer in the API's JSON shapes,
errors included. Only the performance-management centre may use any of it.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import HTTPException

from app.api.modeler_schemas import (
    ComparisonSchema,
    DraftSummarySchema,
    ValidationSchema,
    validation,
)
from app.api.schemas import ID, DefinitionSchema
from app.errors import error_body
from app.models import ProcessDefinition
from app.pages.admin_library import centre_admin
from app.pages.views import bp
from app.services import definition_import, definitions, modeler, modeler_catalog
from app.services.errors import Invalid, NotFound, ServiceError
from app.services.transactions import unit_of_work

calls = Blueprint("modeler_calls", __name__, url_prefix="/admin/modeler/calls")


@calls.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    return error_body(exc.status, exc.code, exc.message, **exc.extra)


@calls.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """A missing CSRF token, a body over MAX_CONTENT_LENGTH: JSON for the editor to show."""
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_body(exc.code or 500, code, exc.description or exc.name)


def _versions() -> dict[str, list[ProcessDefinition]]:
    by_key: dict[str, list[ProcessDefinition]] = {}
    for definition in definitions.listing():
        if definition.kind == "bpmn":
            by_key.setdefault(definition.process_key, []).append(definition)
    return by_key


# --- pages -------------------------------------------------------------------------------


def _index(person, errors: dict | None = None, values: dict | None = None, status: int = 200):
    drafts = {d.process_key: d for d in modeler.drafts(person)}
    by_key = _versions()
    page = render_template(
        "admin/modeler_index.html",
        keys=sorted(by_key.keys() | drafts.keys()),
        by_key=by_key,
        drafts=drafts,
        errors=errors or {},
        values=values or {},
    )
    return page, status


@bp.get("/admin/modeler")
@login_required
def modeler_index():
    """Every diagram with its versions and draft; a form to start a new one."""
    return _index(centre_admin())


@bp.get("/admin/modeler/new")
@login_required
def modeler_new():
    """A new diagram's key and name: the editor opens on the template."""
    person = centre_admin()
    key = request.args.get("key", "").strip()
    name = request.args.get("name", "").strip()[: definitions.NAME_MAX]
    try:
        modeler.check_key(key)
    except Invalid:
        message = _("流程标识须以字母或下划线开头，只含字母、数字、_ . -，最多100个字符。")
        return _index(person, {"key": [message]}, {"key": key, "name": name}, 422)
    if definitions.latest(key) is not None or modeler.find_draft(key, person) is not None:
        message = _("已有流程使用此标识。")
        return _index(person, {"key": [message]}, {"key": key, "name": name}, 422)
    return redirect(url_for(".modeler_edit", key=key, new=1, name=name or key))


@bp.get("/admin/modeler/<key>")
@login_required
def modeler_edit(key: str):
    """The editor: bpmn-js with the properties panel; the script loads the diagram."""
    person = centre_admin()
    modeler.check_key(key)
    versions = _versions().get(key, [])
    draft = modeler.find_draft(key, person)
    new = request.args.get("new") == "1"
    if not versions and draft is None and not new:
        raise NotFound(f"no diagram {key!r}")
    version = request.args.get("version", type=int)
    config = {
        "key": key,
        "name": request.args.get("name", key)[: definitions.NAME_MAX],
        "new": new and not versions and draft is None,
        "version": version,
        "versions": [
            {"id": v.id, "version": v.version, "created_at": v.created_at.isoformat()}
            for v in versions
        ],
        "hasDraft": draft is not None,
        # instances running on the key: publishing and rolling back say they keep their version
        "running": modeler.running_instances(key),
        "urls": {
            "catalog": url_for("modeler_calls.catalog"),
            "source": url_for("modeler_calls.source", key=key),
            "draft": url_for("modeler_calls.draft", key=key),
            "validate": url_for("modeler_calls.validate", key=key),
            "publish": url_for("modeler_calls.publish", key=key),
            "compare": url_for("modeler_calls.compare", key=key),
            "rollback": url_for("modeler_calls.rollback", definition_id=0),
            "self": url_for(".modeler_edit", key=key),
        },
    }
    return render_template(
        "admin/modeler_edit.html", key=key, versions=versions, draft=draft, config=config
    )


@bp.get(f"/admin/modeler/versions/<{ID}:definition_id>/compare")
@login_required
def modeler_compare(definition_id: int):
    """A version against the previous one, as a list of changed elements."""
    comparison = modeler.compare_version(definition_id, centre_admin())
    definition = definitions.get(definition_id)
    return render_template(
        "admin/modeler_compare.html", definition=definition, comparison=comparison
    )


@bp.post("/admin/modeler/import")
@login_required
def modeler_import():
    """Another tool's BPMN export (Camunda, Signavio, ARIS, Bizagi…), mapped to the process
    contract: stored as a new version, or every problem listed with where and what to do."""
    person = centre_admin()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index(person, {"file": [_("请选择要导入的 BPMN 文件。")]}, status=422)
    filename, data = upload.filename, upload.read()
    dry_run = request.form.get("dry_run") == "yes"
    try:
        outcome = unit_of_work(
            lambda: definition_import.import_definition(filename, data, person, dry_run)
        )
    except Invalid as exc:
        report = exc.extra.get("report") or {"problems": exc.extra.get("problems", [])}
        return render_template(
            "admin/modeler_import.html", filename=filename, report=report, refused=True
        ), 422
    return render_template(
        "admin/modeler_import.html",
        filename=filename,
        report=outcome.report,
        refused=False,
        dry_run=dry_run,
        definition=outcome.definition,
        created=outcome.created,
        draft_key=outcome.draft_key,
    )


# --- the editor's calls --------------------------------------------------------------------


@calls.get("/catalog")
@login_required
def catalog():
    return modeler_catalog.describe(centre_admin())


@calls.get("/source/<key>")
@login_required
def source(key: str):
    """What the editor opens: `?version=N`, else the draft, else the latest version, else
    (`?new=1&name=…`) the new-diagram template."""
    new_name = None
    if request.args.get("new") == "1":
        new_name = request.args.get("name", key)[: definitions.NAME_MAX]
    opened = modeler.opening(key, centre_admin(), request.args.get("version", type=int), new_name)
    return {"origin": opened.origin, "version": opened.version, "source": opened.source}


@calls.route("/drafts/<key>", methods=["PUT", "DELETE"])
@login_required
def draft(key: str):
    person = centre_admin()
    if request.method == "DELETE":
        unit_of_work(lambda: modeler.discard_draft(key, person))
        return "", 204
    data = request.get_data(cache=False)
    saved = unit_of_work(lambda: modeler.save_draft(key, data, person))
    return DraftSummarySchema().dump(saved)


@calls.post("/drafts/<key>/validate")
@login_required
def validate(key: str):
    return ValidationSchema().dump(validation(modeler.validate_draft(key, centre_admin())))


@calls.post("/drafts/<key>/publish")
@login_required
def publish(key: str):
    person = centre_admin()
    definition, created = unit_of_work(lambda: modeler.publish_draft(key, person))
    return DefinitionSchema().dump(definition), 201 if created else 200


@calls.get("/drafts/<key>/compare")
@login_required
def compare(key: str):
    return ComparisonSchema().dump(modeler.compare_draft(key, centre_admin()))


@calls.post("/versions/<int:definition_id>/rollback")
@login_required
def rollback(definition_id: int):
    person = centre_admin()
    definition = unit_of_work(lambda: modeler.rollback(definition_id, person))
    return DefinitionSchema().dump(definition), 201
