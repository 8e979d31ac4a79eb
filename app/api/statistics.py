"""The supervisors' dashboards (统计分析), read-only: a campaign year's figures for the
departments the caller supervises (app.services.statistics says who sees what)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.services import statistics

blp = Blueprint(
    "api_statistics", __name__, url_prefix="/statistics", description="Supervisors' dashboards"
)


class StatisticsQuerySchema(Schema):
    year = fields.Integer(
        load_default=None,
        validate=validate.Range(min=2000, max=2100),
        metadata={"description": "the campaign year (default: the newest campaign)"},
    )


class GradeCountSchema(Schema):
    grade = fields.String()
    count = fields.Integer()


class RankingRowSchema(Schema):
    department_id = fields.Integer()
    department = fields.String()
    unit = fields.String()
    score = fields.String(metadata={"description": "final score, 2 decimals"})
    grade = fields.String()
    rank = fields.Integer(allow_none=True)


class IndicatorRowSchema(Schema):
    code = fields.String()
    name = fields.String()
    unit = fields.String()
    departments = fields.Integer(metadata={"description": "signed letters carrying it"})
    measured = fields.Integer(metadata={"description": "of those, with a year figure so far"})
    achieved = fields.Integer(metadata={"description": "of those, meeting their target"})
    average_target = fields.String()
    average_actual = fields.String(allow_none=True)
    achievement_rate = fields.String(allow_none=True, metadata={"description": "% achieved"})


class QuarterSchema(Schema):
    quarter = fields.Integer()
    reviews = fields.Integer()
    rated = fields.Integer()
    lagging = fields.Integer()
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer())
    average_score = fields.String(allow_none=True)


class YearSchema(Schema):
    year = fields.Integer()
    departments = fields.Integer()
    grades = fields.Dict(keys=fields.String(), values=fields.Integer())
    average_score = fields.String()


class MonthSchema(Schema):
    month = fields.Integer()
    findings = fields.Integer()
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer())
    confirmed_points = fields.String()


class ScopeSchema(Schema):
    city_wide = fields.Boolean()
    departments = fields.Integer()


class StatisticsSchema(Schema):
    year = fields.Integer()
    years = fields.List(fields.Integer())
    scope = fields.Nested(ScopeSchema)
    published = fields.Boolean()
    results_visible = fields.Boolean()
    grades = fields.List(fields.Nested(GradeCountSchema))
    ranking = fields.List(fields.Nested(RankingRowSchema))
    indicators = fields.List(fields.Nested(IndicatorRowSchema))
    quarters = fields.List(fields.Nested(QuarterSchema))
    years_trend = fields.List(fields.Nested(YearSchema))
    findings = fields.List(fields.Nested(MonthSchema))


@blp.route("")
class Statistics(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(StatisticsQuerySchema, location="query")
    @blp.response(200, StatisticsSchema)
    def get(self, query):
        """A campaign year's dashboards for the departments I supervise (centre: all;
        supervising leader: theirs; department head: their own). Results count for the
        centre at once and for others once published. 403 for other roles, 404 for a year
        without a campaign (or when there is no campaign yet)."""
        return statistics.dashboard(actor(), query["year"])
