"""Handlers of the quarterly review (季度反馈): compare the actuals to date with the pro-rated
targets, and rate the quarter (`app.services.quarterly`)."""

from app.services import quarterly
from handlers import HandlerContext, handler


@handler("quarterly.compare")
def compare(ctx: HandlerContext, quarter: int) -> dict:
    review = quarterly.compare(ctx.instance_id, quarter)
    return {"review_id": review.id, "lagging": review.lagging}


@handler("quarterly.rate")
def rate(ctx: HandlerContext, quarter: int) -> dict:
    review = quarterly.rate(ctx.instance_id, quarter)
    return {"quarter": review.quarter, "rating": review.rating}
