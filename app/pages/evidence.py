"""Downloading evidence: of an actual (报送实际值), of a spot-check finding or of its
rectification (whoever may see the department, as in the API; others get 404)."""

from __future__ import annotations

import io

from flask import send_file
from flask_login import login_required

from app.pages.views import actor, bp
from app.services import actuals, spot_checks


def _send(finding_id: int, rectification_id: int | None = None):
    return send_evidence(*spot_checks.evidence_of(actor(), finding_id, rectification_id))


def send_evidence(evidence, data: bytes):
    """An evidence file as a download, never rendered inline."""
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


@bp.route("/actuals/<int:actual_id>/evidence")
@login_required
def actual_evidence(actual_id: int):
    return send_evidence(*actuals.evidence_of(actor(), actual_id))
