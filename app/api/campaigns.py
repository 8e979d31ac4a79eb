"""Campaigns by year: settings, results, calibration and its log, outcomes."""

from flask.views import MethodView

from app.api.appeal_schemas import PublicationSchema
from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import (
    ID,
    YEAR,
    CalibrateSchema,
    CalibrationEntrySchema,
    CalibrationSummarySchema,
    CampaignResultSchema,
    CampaignSettingsSchema,
    GradeOverrideSchema,
    OutcomeSchema,
)
from app.services import campaigns, publications, results
from app.services.transactions import unit_of_work

blp = Blueprint("api_campaigns", __name__, url_prefix="/campaigns", description="Campaigns")
ADMIN = [token_required(write_scope="admin")]


@blp.route(f"/<{YEAR}:year>/settings")
class Settings(MethodView):
    decorators = ADMIN

    @blp.response(200, CampaignSettingsSchema)
    def get(self, year: int):
        """The year's settings, every key present (the defaults until it is configured)."""
        return campaigns.read_settings(actor(), year)

    @blp.arguments(CampaignSettingsSchema)
    @blp.response(200, CampaignSettingsSchema)
    @blp.alt_response(422, description="every invalid field, by dotted path")
    def put(self, args, year: int):
        """Replace the year's settings; missing keys take their defaults. Creates the campaign
        when the year has none yet."""
        return unit_of_work(lambda: campaigns.update_settings(actor(), year, args))


@blp.route(f"/<{YEAR}:year>/results")
class Results(MethodView):
    decorators = ADMIN

    @blp.response(200, CampaignResultSchema(many=True))
    def get(self, year: int):
        """Results, best ranked first: all for the centre, otherwise the departments I see."""
        return results.results(actor(), year)


@blp.route(f"/<{YEAR}:year>/calibrate")
class Calibrate(MethodView):
    decorators = ADMIN

    @blp.arguments(CalibrateSchema)
    @blp.response(200, CalibrationSummarySchema)
    def post(self, args, year: int):
        """Apply the quarterly rule and the 优秀 quota; a share above 20 % (up to 25 %) needs
        `approval` (who approved it and why), which is recorded."""
        return unit_of_work(lambda: results.calibrate(actor(), year, args["approval"]))


@blp.route(f"/<{YEAR}:year>/results/<{ID}:department_id>/grade")
class GradeOverride(MethodView):
    decorators = ADMIN

    @blp.arguments(GradeOverrideSchema)
    @blp.response(200, CampaignResultSchema)
    @blp.alt_response(409, description="the change would exceed the 优秀 quota")
    def post(self, args, year: int, department_id: int):
        """Change one department's grade by hand, with a reason (logged); a grade other than
        the score's band grade also needs `approved_by` and `approval_ref`."""
        return unit_of_work(lambda: results.override(actor(), year, department_id, **args))


@blp.route(f"/<{YEAR}:year>/calibration-log")
class CalibrationLog(MethodView):
    decorators = ADMIN

    @blp.response(200, CalibrationEntrySchema(many=True))
    def get(self, year: int):
        """Every grade change of the campaign, oldest first, with its reason."""
        return results.calibration_log(actor(), year)


@blp.route(f"/<{YEAR}:year>/outcomes")
class Outcomes(MethodView):
    decorators = ADMIN

    @blp.response(200, OutcomeSchema(many=True))
    def get(self, year: int):
        """Bonus coefficient, reserve pool, improvement plan and head deduction per
        department, in ranking order (a calibrated campaign only)."""
        return results.outcomes(actor(), year)


@blp.route(f"/<{YEAR}:year>/approve")
class Approve(MethodView):
    decorators = ADMIN

    @blp.response(201, PublicationSchema)
    @blp.alt_response(409, description="results missing, not calibrated, or already approved")
    def post(self, year: int):
        """Approve the calibrated results (审定): every department instance has a result and
        the campaign is calibrated; records who approved and when."""
        return unit_of_work(lambda: publications.approve(actor(), year))


@blp.route(f"/<{YEAR}:year>/publish")
class Publish(MethodView):
    decorators = ADMIN

    @blp.response(200, PublicationSchema)
    @blp.alt_response(409, description="not approved, or already published")
    def post(self, year: int):
        """Publish the approved results (公示), once: opens the appeal window (calendar days of
        `appeal.window_days`), notifies each department head, then sends `results_published`
        to every department instance, each in its own transaction (`delivery` counts)."""
        return publications.publish(actor(), year)


@blp.route(f"/<{YEAR}:year>/publication")
class PublicationView(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(200, PublicationSchema)
    def get(self, year: int):
        """The year's approval and publication: the centre from approval on, anyone once
        published (404 before)."""
        return publications.get(actor(), year)
