"""Reminders for people who have a step waiting."""

from app.services import notices
from handlers import HandlerContext, handler


@handler("notices.remind")
def remind(ctx: HandlerContext, step: str) -> dict:
    sent = notices.remind_candidates(ctx.instance_id, step)
    return {"reminded": sent}
