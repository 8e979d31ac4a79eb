"""The instance page's diagram: the XML of the instance's own definition version and the
state of each element, fetched by `app/static/src/instance_diagram.js`.

Both answer whoever may see the instance (as the page itself does); the process-wide
`/api/v1/definitions/<id>/source` stays the centre's, so a department head viewing their
instance reads the diagram through here.
"""

from __future__ import annotations

from flask import Response, jsonify
from flask_login import login_required

from app.pages.views import actor, bp, instance_for
from app.services import instance_diagram


@bp.get("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def instance_diagram_source(instance_id: int):
    found = instance_for(instance_id, actor())
    return Response(
        found.definition.source,
        mimetype="application/xml",
        headers={"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"},
    )


@bp.get("/instances/<int:instance_id>/diagram.json")
@login_required
def instance_diagram_states(instance_id: int):
    response = jsonify(instance_diagram.of(instance_for(instance_id, actor())).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response
