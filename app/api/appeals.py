"""Appeals (申诉) and their decisions: the department sees its own, the review panel and the
centre all; nobody else."""

from flask.views import MethodView

from app.api.appeal_schemas import AppealQuerySchema, AppealSchema
from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.services import appeals

blp = Blueprint("api_appeals", __name__, url_prefix="/appeals", description="Appeals")


@blp.route("")
class Appeals(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(AppealQuerySchema, location="query")
    @blp.response(200, AppealSchema(many=True))
    def get(self, args):
        """Appeals I may see, newest first, optionally of one year and one department (404: a
        department I cannot see; 403: one I see whose appeals are not mine to see)."""
        return appeals.listing(actor(), args["year"], args["department_id"])
