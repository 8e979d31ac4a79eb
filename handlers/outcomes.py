"""Handlers of the results application stage (结果应用)."""

from app.services import appeals
from handlers import HandlerContext, handler


@handler("outcomes.record")
def record(ctx: HandlerContext) -> dict:
    """`outcome`: the department's grade and what follows from it, stored as an `Outcome`."""
    row = appeals.record_outcome(ctx.instance_id)
    return {
        "grade": row.grade,
        "bonus_coefficient": f"{row.bonus_coefficient:f}",
        "reserve_pool": row.reserve_pool,
        "improvement_plan": list(row.improvement_plan),
        "head_deduction": f"{row.head_deduction:f}",
    }
