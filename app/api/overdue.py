"""The overdue board (督办看板), read-only: what the viewer tracks, overdue or due soon."""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.overdue_schemas import OverdueBoardSchema, OverdueQuerySchema
from app.services import overdue

blp = Blueprint("api_overdue", __name__, url_prefix="/overdue", description="Overdue board")


@blp.route("")
class OverdueBoard(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(OverdueQuerySchema, location="query")
    @blp.response(200, OverdueBoardSchema)
    def get(self, query):
        """Overdue and due-soon steps of the departments I track (centre: all; supervising
        leader: theirs; department head: their own), oldest first, with counts by level."""
        return overdue.board(actor(), **query)
