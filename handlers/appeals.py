"""Handlers of the appeal stage (申诉)."""

from app.extensions import db
from app.models import Campaign
from app.services import appeals
from handlers import HandlerContext, handler


@handler("appeals.open_window")
def open_window(ctx: HandlerContext) -> dict:
    """`appeal_terms`: {"window": "P7D", "decision": "P7D"} from the campaign settings
    (`appeal.window_days`, `appeal.decision_days`), calendar days; the diagram's interrupting
    timer on `file_appeal` reads `appeal_terms["window"]`."""
    return appeals.terms(db.session.get(Campaign, ctx.campaign_id))
