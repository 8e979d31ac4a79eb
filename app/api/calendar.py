"""The working-day calendar: public holidays and make-up working days (调休) by year."""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import YEAR, CalendarDaySchema, CalendarYearSchema
from app.services import calendar
from app.services.transactions import unit_of_work

blp = Blueprint("api_calendar", __name__, url_prefix="/calendar", description="Working days")


@blp.route(f"/<{YEAR}:year>")
class CalendarYear(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, CalendarDaySchema(many=True))
    def get(self, year: int):
        """The year's exceptions to Monday-to-Friday (everyone signed in may read them)."""
        return calendar.year_days(year)

    @blp.arguments(CalendarYearSchema)
    @blp.response(200, CalendarDaySchema(many=True))
    @blp.alt_response(422, description="every invalid day, by `days.<index>.date`")
    def put(self, args, year: int):
        """Replace the year's holidays and make-up working days (the centre)."""
        return unit_of_work(lambda: calendar.replace_year(actor(), year, args["days"]))
