"""The indicator library, the templates per function category, and department plans.

Anyone signed in may read the library and templates (they are the city's published rules);
plans follow department visibility; every change is the centre's.
"""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import (
    ID,
    YEAR,
    AssignResultSchema,
    AssignSchema,
    IndicatorFieldsSchema,
    IndicatorQuerySchema,
    IndicatorSchema,
    LibraryReviewSchema,
    NewIndicatorSchema,
    PlanLinesSchema,
    PlanSchema,
    RollOverResultSchema,
    RollOverSchema,
    TemplateInSchema,
    TemplateSchema,
    YearQuerySchema,
)
from app.services import library, plans
from app.services.transactions import unit_of_work

blp = Blueprint("api_library", __name__, url_prefix="", description="Indicator library and plans")
ADMIN = [token_required(write_scope="admin")]


@blp.route("/indicators")
class Indicators(MethodView):
    decorators = ADMIN

    @blp.arguments(IndicatorQuerySchema, location="query")
    @blp.response(200, IndicatorSchema(many=True))
    def get(self, query):
        """One year's library, by code; retired indicators only when asked for."""
        return library.listing(**query)

    @blp.arguments(NewIndicatorSchema)
    @blp.response(201, IndicatorSchema)
    def post(self, data):
        """Add an indicator to a year's library (409 when the code exists that year)."""
        year, code = data.pop("year"), data.pop("code")
        return unit_of_work(lambda: library.create(actor(), year, code, data))


@blp.route(f"/indicators/<{ID}:indicator_id>")
class IndicatorItem(MethodView):
    decorators = ADMIN

    @blp.response(200, IndicatorSchema)
    def get(self, indicator_id: int):
        return library.get(indicator_id)

    @blp.arguments(IndicatorFieldsSchema)
    @blp.response(200, IndicatorSchema)
    def put(self, data, indicator_id: int):
        """Replace the definition (409 once a signed letter of its year measures against it)."""
        return unit_of_work(lambda: library.update(actor(), indicator_id, data))


@blp.route(f"/indicators/<{ID}:indicator_id>/retire")
class RetireIndicator(MethodView):
    decorators = ADMIN

    @blp.response(200, IndicatorSchema)
    def post(self, indicator_id: int):
        """Retire an indicator (rows are kept: letters name them)."""
        return unit_of_work(lambda: library.set_retired(actor(), indicator_id, True))


@blp.route(f"/indicators/<{ID}:indicator_id>/restore")
class RestoreIndicator(MethodView):
    decorators = ADMIN

    @blp.response(200, IndicatorSchema)
    def post(self, indicator_id: int):
        return unit_of_work(lambda: library.set_retired(actor(), indicator_id, False))


@blp.route(f"/indicator-years/<{YEAR}:year>/review")
class LibraryReview(MethodView):
    decorators = ADMIN

    @blp.response(200, LibraryReviewSchema)
    def get(self, year: int):
        """The yearly review: indicators every department met in full (removal candidates)."""
        library.require_admin(actor())
        return library.review(year)


@blp.route(f"/indicator-years/<{YEAR}:year>/roll-over")
class RollOver(MethodView):
    decorators = ADMIN

    @blp.arguments(RollOverSchema)
    @blp.response(201, RollOverResultSchema)
    def post(self, data, year: int):
        """Make next year's library and templates from this year's, leaving out `drop`."""
        return unit_of_work(lambda: library.roll_over(actor(), year, data["to_year"], data["drop"]))


@blp.route("/templates")
class Templates(MethodView):
    decorators = ADMIN

    @blp.arguments(YearQuerySchema, location="query")
    @blp.response(200, TemplateSchema(many=True))
    def get(self, query):
        return plans.templates(query["year"])

    @blp.arguments(TemplateInSchema)
    @blp.response(200, TemplateSchema)
    def put(self, data):
        """Create or replace a category's template for a year (checked by the letter policy)."""
        return unit_of_work(
            lambda: plans.save_template(
                actor(), data["year"], data["category"], data["name"], data["lines"]
            )
        )


@blp.route(f"/templates/<{ID}:template_id>")
class TemplateItem(MethodView):
    decorators = ADMIN

    @blp.response(200, TemplateSchema)
    def get(self, template_id: int):
        return plans.template(template_id)


@blp.route(f"/templates/<{ID}:template_id>/assign")
class AssignTemplate(MethodView):
    decorators = ADMIN

    @blp.arguments(AssignSchema)
    @blp.response(200, AssignResultSchema)
    def post(self, data, template_id: int):
        """Apply a template to many departments; hand-adjusted plans are kept unless
        `overwrite`. All or nothing: one department the template does not fit is a 422."""
        return unit_of_work(
            lambda: plans.assign(
                actor(), template_id, data["department_ids"], overwrite=data["overwrite"]
            )
        )


@blp.route(f"/plans/<{YEAR}:year>")
class Plans(MethodView):
    decorators = ADMIN

    @blp.response(200, PlanSchema(many=True))
    def get(self, year: int):
        """The plans of the departments I may see."""
        return plans.plans(actor(), year)


@blp.route(f"/plans/<{YEAR}:year>/<{ID}:department_id>")
class PlanItem(MethodView):
    decorators = ADMIN

    @blp.response(200, PlanSchema)
    def get(self, year: int, department_id: int):
        return plans.plan_for(actor(), year, department_id)

    @blp.arguments(PlanLinesSchema)
    @blp.response(200, PlanSchema)
    def put(self, data, year: int, department_id: int):
        """Adjust one department's plan by hand."""
        return unit_of_work(lambda: plans.adjust(actor(), year, department_id, data["lines"]))
