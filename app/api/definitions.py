"""Process definitions: list, upload (validated), inspect, compare, roll back."""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.modeler_schemas import ComparisonSchema
from app.api.schemas import ID, DefinitionSchema, DefinitionUploadSchema
from app.services import definitions, modeler, permissions
from app.services.errors import Forbidden, Invalid
from app.services.transactions import unit_of_work

MAX_FILENAME = 255


def check_filename(filename: str) -> None:
    """The column's length: PostgreSQL would refuse a longer name."""
    if len(filename) > MAX_FILENAME:
        raise Invalid(
            "the file name is too long",
            fields={"file": [f"file name longer than {MAX_FILENAME} characters"]},
        )


blp = Blueprint(
    "api_definitions", __name__, url_prefix="/definitions", description="BPMN/DMN definitions"
)


def _require_admin() -> None:
    if not permissions.is_centre_admin(actor()):
        raise Forbidden("only the performance-management centre manages definitions")


@blp.route("")
class Definitions(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, DefinitionSchema(many=True))
    def get(self):
        """Every version of every definition (the centre's: diagrams hold its rules)."""
        _require_admin()
        return definitions.listing()

    @blp.arguments(DefinitionUploadSchema, location="files")
    @blp.response(201, DefinitionSchema)
    @blp.alt_response(200, schema=DefinitionSchema, description="unchanged: the current version")
    @blp.alt_response(422, description="every problem found, each with its element id")
    def post(self, files):
        """Upload a BPMN or DMN file; a changed file becomes a new version."""
        _require_admin()
        upload = files["file"]
        filename = upload.filename or ""
        check_filename(filename)
        if not filename.lower().endswith((".bpmn", ".dmn", ".xml")):
            raise Invalid(
                "the file must be .bpmn or .dmn", fields={"file": ["must be .bpmn or .dmn"]}
            )
        data = upload.read()
        definition, created = unit_of_work(lambda: definitions.upload(filename, data, actor()))
        return definition, 201 if created else 200


@blp.route(f"/<{ID}:definition_id>")
class Definition(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, DefinitionSchema)
    def get(self, definition_id: int):
        """One version (the centre's)."""
        _require_admin()
        return definitions.get(definition_id)


@blp.route(f"/<{ID}:definition_id>/source")
class DefinitionSource(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    def get(self, definition_id: int):
        """The diagram's XML, as uploaded (the centre's; whoever may see an instance reads its
        diagram through /instances/<id>/diagram/source)."""
        _require_admin()
        definition = definitions.get(definition_id)
        return definition.source, 200, {"Content-Type": "application/xml; charset=utf-8"}


@blp.route(f"/<{ID}:definition_id>/compare")
class DefinitionComparison(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, ComparisonSchema)
    def get(self, definition_id: int):
        """This version against the previous one: added, removed and changed elements."""
        return modeler.compare_version(definition_id, actor())


@blp.route(f"/<{ID}:definition_id>/rollback")
class DefinitionRollback(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(201, DefinitionSchema)
    @blp.alt_response(409, description="already the latest version, or its content")
    def post(self, definition_id: int):
        """Publish this version's content again as the newest version; instances keep theirs."""
        return unit_of_work(lambda: modeler.rollback(definition_id, actor()))
