"""The modeler's calls: catalogs for the pickers, drafts (save, validate, publish, compare).

Centre admins only (the services check). A draft is sent as the raw XML body; its size is
capped by MAX_CONTENT_LENGTH (413) and by the parser's own limit.
"""

from flask import request
from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.modeler_schemas import (
    CatalogSchema,
    ComparisonSchema,
    DraftSchema,
    DraftSummarySchema,
    ValidationSchema,
    validation,
)
from app.api.schemas import DefinitionSchema
from app.services import modeler, modeler_catalog
from app.services.transactions import unit_of_work

blp = Blueprint(
    "api_modeler", __name__, url_prefix="/modeler", description="The web modeler's drafts"
)


@blp.route("/catalog")
class Catalog(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, CatalogSchema)
    def get(self):
        """Handlers, form keys, roles, messages, due times and the escalation rule."""
        return modeler_catalog.describe(actor())


@blp.route("/drafts")
class Drafts(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, DraftSummarySchema(many=True))
    def get(self):
        return modeler.drafts(actor())


@blp.route("/drafts/<key>")
class Draft(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, DraftSchema)
    def get(self, key: str):
        return modeler.get_draft(key, actor())

    @blp.response(200, DraftSummarySchema)
    @blp.alt_response(422, description="not well-formed BPMN (problems listed)")
    def put(self, key: str):
        """Save the draft: the request body is the BPMN XML."""
        data = request.get_data(cache=False)
        return unit_of_work(lambda: modeler.save_draft(key, data, actor()))

    @blp.response(204)
    def delete(self, key: str):
        unit_of_work(lambda: modeler.discard_draft(key, actor()))


@blp.route("/drafts/<key>/validate")
class DraftValidation(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, ValidationSchema)
    def post(self, key: str):
        """The server's validation of the draft: every problem with its element id."""
        return validation(modeler.validate_draft(key, actor()))


@blp.route("/drafts/<key>/publish")
class DraftPublication(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(201, DefinitionSchema)
    @blp.alt_response(200, schema=DefinitionSchema, description="unchanged: the current version")
    @blp.alt_response(422, description="every problem found, each with its element id")
    def post(self, key: str):
        """Publish the draft as the next version, through the definitions upload."""
        definition, created = unit_of_work(lambda: modeler.publish_draft(key, actor()))
        return definition, 201 if created else 200


@blp.route("/drafts/<key>/compare")
class DraftComparison(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, ComparisonSchema)
    def get(self, key: str):
        """The draft against the latest published version, element by element."""
        return modeler.compare_draft(key, actor())
