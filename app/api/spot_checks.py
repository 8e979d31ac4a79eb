"""Monthly spot checks (月度督查), read-only: a department's spot checks of a year with their
samples, findings and rectifications. The forms that write them are user tasks
(`POST /api/v1/tasks/<id>/complete`)."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import MAX_ID, YEAR_RANGE
from app.services import spot_checks

blp = Blueprint("api_spot_checks", __name__, url_prefix="", description="Monthly spot checks")


class SpotCheckQuerySchema(Schema):
    department_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    year = fields.Integer(required=True, validate=YEAR_RANGE)


class LedgerEntrySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    month = fields.Integer()
    title = fields.String()
    detail = fields.String()
    amount = fields.Decimal(as_string=True, allow_none=True)


class RectificationSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    evidence_note = fields.String(allow_none=True)
    evidence_id = fields.Integer(allow_none=True)
    by_id = fields.Integer()
    at = fields.DateTime()


class FindingSchema(Schema):
    id = fields.Integer()
    ledger_entry_id = fields.Integer()
    description = fields.String()
    indicator_code = fields.String(allow_none=True, metadata={"description": "null: the total"})
    proposed_points = fields.Decimal(as_string=True)
    confirmed_points = fields.Decimal(as_string=True, allow_none=True)
    status = fields.String(metadata={"description": "open, rectified, confirmed or dismissed"})
    evidence_note = fields.String(allow_none=True)
    evidence_id = fields.Integer(allow_none=True)
    found_by_id = fields.Integer()
    found_at = fields.DateTime()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    rectifications = fields.List(fields.Nested(RectificationSchema))


class SpotCheckSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    department_id = fields.Integer()
    year = fields.Integer()
    month = fields.Integer()
    seed = fields.String(metadata={"description": "redraws the sample (app.rules.sampling)"})
    sample_size = fields.Integer()
    population_ids = fields.List(fields.Integer())
    sample_ids = fields.List(fields.Integer())
    sample = fields.Method("_sample")
    drawn_at = fields.DateTime()
    status = fields.String(metadata={"description": "drawn, verified or closed"})
    verified_by_id = fields.Integer(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema))

    def _sample(self, check) -> list:
        return LedgerEntrySchema(many=True).dump(spot_checks.sample_entries(check))


@blp.route("/spot-checks")
class SpotChecks(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(SpotCheckQuerySchema, location="query")
    @blp.response(200, SpotCheckSchema(many=True))
    def get(self, query):
        """A department's spot checks of a year, by month, with the sampled ledger entries,
        findings and rectifications. The centre, the assessment group and the review panel see
        every department; supervising leaders theirs; a department's people their own."""
        return spot_checks.listing(actor(), query["department_id"], query["year"])
