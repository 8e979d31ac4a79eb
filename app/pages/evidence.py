"""Downloading the evidence of a spot-check finding or of its rectification (whoever may see
the department, as the evidence of an actual in the API; others get 404)."""

from __future__ import annotations

import io

from flask import send_file
from flask_login import login_required

from app.pages.views import actor, bp
from app.services import spot_checks


def _send(finding_id: int, rectification_id: int | None = None):
    evidence, data = spot_checks.evidence_of(actor(), finding_id, rectification_id)
    response = send_file(
        io.BytesIO(data),
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=evidence.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/findings/<int:finding_id>/evidence")
@login_required
def finding_evidence(finding_id: int):
    return _send(finding_id)


@bp.route("/findings/<int:finding_id>/rectifications/<int:rectification_id>/evidence")
@login_required
def rectification_evidence(finding_id: int, rectification_id: int):
    return _send(finding_id, rectification_id)
