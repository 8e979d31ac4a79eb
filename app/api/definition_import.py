"""Import a BPMN file exported by another modelling tool (Camunda, Signavio, ARIS, Bizagi…)."""

from flask.views import MethodView
from marshmallow import Schema, fields

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.definitions import check_filename
from app.api.schemas import DefinitionSchema, DefinitionUploadSchema
from app.services import definition_import, permissions
from app.services.errors import Forbidden
from app.services.transactions import unit_of_work

blp = Blueprint(
    "api_definition_import",
    __name__,
    url_prefix="/definitions",
    description="BPMN import from other modelling tools",
)


class ImportFlagsSchema(Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "report only: check, store nothing"}
    )


class ImportResultSchema(Schema):
    definition = fields.Nested(DefinitionSchema, allow_none=True)
    created = fields.Boolean()
    draft_key = fields.String(
        allow_none=True,
        metadata={"description": "a published key's import lands as this key's draft"},
    )
    dry_run = fields.Boolean()
    report = fields.Dict(
        metadata={
            "description": "tool, changes made, problems (none here), and `existing`: the "
            "published key it would change (version, running instances, element changes)"
        }
    )


@blp.route("/import")
class DefinitionImport(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(DefinitionUploadSchema, location="files")
    @blp.arguments(ImportFlagsSchema, location="query", as_kwargs=True)
    @blp.response(201, ImportResultSchema)
    @blp.alt_response(200, schema=ImportResultSchema, description="dry run, or unchanged")
    @blp.alt_response(422, description="every problem, with element id, name, line and a hint")
    def post(self, files, dry_run: bool = False):
        """Map another tool's BPMN to the process contract; store it as a new version."""
        if not permissions.is_centre_admin(actor()):
            raise Forbidden("only the performance-management centre imports definitions")
        upload = files["file"]
        filename = upload.filename or ""
        check_filename(filename)
        data = upload.read()
        outcome = unit_of_work(
            lambda: definition_import.import_definition(filename, data, actor(), dry_run)
        )
        body = {
            "definition": outcome.definition,
            "created": outcome.created,
            "draft_key": outcome.draft_key,
            "dry_run": dry_run,
            "report": outcome.report,
        }
        return body, 201 if outcome.created or outcome.draft_key else 200
