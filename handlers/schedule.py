"""When the next in-year check happens (app.rules.schedule), on the centre's calendar."""

from app import clock
from app.extensions import db
from app.models import ProcessInstance
from app.rules import schedule
from app.services import calendar, spot_checks
from handlers import HandlerContext, handler


def _previous(ctx: HandlerContext, plan: str, key: str) -> int | None:
    previous = ctx.data.get(plan)
    return previous.get(key) if isinstance(previous, dict) else None


@handler("schedule.next_spot_check")
def next_spot_check(ctx: HandlerContext) -> dict:
    """The next month's check; months that cannot be checked are recorded with the reason."""
    plan = schedule.next_spot_check(
        _previous(ctx, "spot_check_plan", "month"),
        clock.now(),
        ctx.data["year"],
        ctx.instance_id,
        calendar.current(),
    )
    if plan["skipped"]:
        instance = db.session.get(ProcessInstance, ctx.instance_id)
        for skip in plan["skipped"]:
            spot_checks.record_skipped(instance, skip["month"], skip["reason"])
    return plan


@handler("schedule.next_quarter_review")
def next_quarter_review(ctx: HandlerContext) -> dict:
    return schedule.next_quarter_review(
        _previous(ctx, "quarter_plan", "quarter"), clock.now(), ctx.data["year"], calendar.current()
    )
