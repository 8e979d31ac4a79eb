"""The year-end multi-evaluator review."""

from app.services import evaluation
from handlers import HandlerContext, handler


@handler("evaluation.open")
def open_evaluation(ctx: HandlerContext) -> dict:
    return evaluation.open_for(ctx.instance_id)


@handler("evaluation.raters")
def raters(ctx: HandlerContext, group: str) -> list[int]:
    return evaluation.raters(ctx.instance_id, group)
