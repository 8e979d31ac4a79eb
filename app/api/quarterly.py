"""Quarterly reviews (季度反馈), read only: a department's quarters with their lagging lines, the
leader's interview and the quarter's rating. Whoever may see the department reads them."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import MAX_ID, YEAR_RANGE
from app.services import quarterly

blp = Blueprint("api_quarterly", __name__, url_prefix="", description="Quarterly reviews")


class QuarterlyReviewQuerySchema(Schema):
    department_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    year = fields.Integer(required=True, validate=YEAR_RANGE)


class LaggingLineSchema(Schema):
    line_id = fields.Integer()
    indicator = fields.String(allow_none=True)
    name = fields.String()
    unit = fields.String()
    direction = fields.String()
    actual = fields.String(allow_none=True, metadata={"description": "value to date; null: none"})
    expected = fields.String(metadata={"description": "the pro-rated target to date"})
    reason = fields.String(metadata={"description": "behind | no_data"})


class CommitmentOutSchema(Schema):
    line_id = fields.Integer()
    indicator = fields.String(allow_none=True)
    name = fields.String()
    commitment = fields.String()


class InterviewSchema(Schema):
    interviewer = fields.Function(lambda i: i.interviewer.display_name)
    notes = fields.String()
    commitments = fields.List(fields.Nested(CommitmentOutSchema))
    next_check = fields.Date()
    interviewed_at = fields.DateTime()


class QuarterlyReviewSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    department_id = fields.Integer()
    year = fields.Integer()
    quarter = fields.Integer()
    lagging = fields.Integer()
    lines = fields.List(fields.Nested(LaggingLineSchema))
    compared_at = fields.DateTime()
    score = fields.Decimal(as_string=True, allow_none=True)
    rating = fields.String(allow_none=True)
    rated_at = fields.DateTime(allow_none=True)
    interview = fields.Nested(InterviewSchema, allow_none=True)


@blp.route("/quarterly-reviews")
class QuarterlyReviews(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(QuarterlyReviewQuerySchema, location="query")
    @blp.response(200, QuarterlyReviewSchema(many=True))
    def get(self, query):
        """A department's quarterly reviews of a year, by quarter: the lines found lagging
        (value to date against the pro-rated target), the supervising leader's interview and
        the quarter's score and rating (优秀 / 称职 / 基本称职 / 不称职)."""
        return quarterly.listing(actor(), query["department_id"], query["year"])
