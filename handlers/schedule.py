"""When the next in-year check happens (app.rules.schedule), on the centre's calendar."""

from app import clock
from app.rules import schedule
from app.services import calendar
from handlers import HandlerContext, handler


def _previous(ctx: HandlerContext, plan: str, key: str) -> int | None:
    previous = ctx.data.get(plan)
    return previous.get(key) if isinstance(previous, dict) else None


@handler("schedule.next_spot_check")
def next_spot_check(ctx: HandlerContext) -> dict:
    return schedule.next_spot_check(
        _previous(ctx, "spot_check_plan", "month"),
        clock.now(),
        ctx.data["year"],
        ctx.instance_id,
        calendar.current(),
    )


@handler("schedule.next_quarter_review")
def next_quarter_review(ctx: HandlerContext) -> dict:
    return schedule.next_quarter_review(
        _previous(ctx, "quarter_plan", "quarter"), clock.now(), ctx.data["year"], calendar.current()
    )
