"""Handlers of the monthly spot check (月度督查)."""

from __future__ import annotations

from app.extensions import db
from app.models import ProcessInstance
from app.services import spot_checks
from handlers import HandlerContext, handler


@handler("spot_checks.draw_sample")
def draw_sample(ctx: HandlerContext, month: int, size: int | None = None) -> dict:
    """Draw the month's random sample of the department's ledger (the diagram passes
    `month=spot_check_month`, and may pass `size`; default `SPOT_CHECK_SAMPLE_SIZE`, 5)."""
    instance = db.session.get(ProcessInstance, ctx.instance_id)
    check = spot_checks.draw(instance, month, size)
    return {"spot_check_id": check.id, "sampled": len(check.sample_ids)}
