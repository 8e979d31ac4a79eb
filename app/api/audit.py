"""The audit trail, read-only: there is no endpoint that edits or deletes it."""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import AuditPageSchema, AuditQuerySchema
from app.services import audit

blp = Blueprint("api_audit", __name__, url_prefix="/audit", description="Audit trail")


@blp.route("")
class AuditTrail(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, query):
        """Filter the audit trail (the centre only), newest first."""
        return audit.search(actor(), **query)
