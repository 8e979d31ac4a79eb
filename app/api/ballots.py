"""Ballots of account holders, aggregates under the anonymity rule, survey links."""

from flask import url_for
from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import (
    ID,
    BallotReceiptSchema,
    CastBallotSchema,
    GroupSummarySchema,
    IssueLinksSchema,
    SurveyLinkOutSchema,
    YearQuerySchema,
)
from app.services import ballots
from app.services.transactions import unit_of_work

blp = Blueprint("api_ballots", __name__, url_prefix="", description="Evaluation ballots")


@blp.route("/ballots")
class Ballots(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(CastBallotSchema)
    @blp.response(201, BallotReceiptSchema)
    def post(self, args):
        """Cast my leader or peer ballot for a department (once)."""
        return unit_of_work(
            lambda: ballots.cast(
                actor(), args["year"], args["department_id"], args["rater_group"], args["score"]
            )
        )


@blp.route(f"/departments/<{ID}:department_id>/ballot-summary")
class BallotSummary(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(YearQuerySchema, location="query")
    @blp.response(200, GroupSummarySchema(many=True))
    def get(self, query, department_id: int):
        """Per rater group: how many ballots and, over enough of them, the mean. Individual
        peer and service-recipient ballots are never returned."""
        return ballots.summary(actor(), query["year"], department_id)


@blp.route("/survey-links")
class SurveyLinks(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(IssueLinksSchema)
    @blp.response(201, SurveyLinkOutSchema(many=True))
    def post(self, args):
        """Issue single-use, expiring survey links for a department's service recipients."""
        issued = unit_of_work(
            lambda: [
                {"id": link.id, "token": token, "expires_at": link.expires_at}
                for link, token in ballots.issue_links(
                    actor(), args["year"], args["department_id"], args["count"], args["days"]
                )
            ]
        )
        for item in issued:
            item["url"] = url_for("survey.form", token=item.pop("token"), _external=True)
        return issued
