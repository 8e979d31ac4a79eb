"""Handler of the year-end data verification (数据核验): reported against pulled figures."""

from app.services import verification
from handlers import HandlerContext, handler


@handler("verification.compare")
def compare(ctx: HandlerContext) -> dict:
    return {"differences": len(verification.compare(ctx.instance_id))}
