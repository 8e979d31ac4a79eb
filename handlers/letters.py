"""Handlers of the target-setting stage."""

from app.services import letters
from handlers import HandlerContext, handler


@handler("letters.lock")
def lock(ctx: HandlerContext) -> dict:
    letter = letters.lock(ctx.instance_id)
    return {
        "letter_id": letter.id,
        "revision": letter.revision,
        "content_hash": letter.content_hash,
    }
