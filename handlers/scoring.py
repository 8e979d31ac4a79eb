"""Handler of the year-end scoring (年终考评): the department's result (`app.services.scoring`)."""

from app.services import scoring
from handlers import HandlerContext, handler


@handler("scoring.compute")
def compute(ctx: HandlerContext) -> dict:
    result = scoring.compute(ctx.instance_id)
    return {"final_score": f"{result.final_score:f}", "grade": result.grade}
