"""The service recipient's survey page, reached by a signed, single-use link without an account.
A used, expired or broken link says which, in a sentence the recipient understands."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import InputRequired, NumberRange

from app.extensions import db
from app.models import Department
from app.services import ballots
from app.services.ballots import Gone
from app.services.errors import NotFound
from app.services.transactions import unit_of_work

bp = Blueprint("survey", __name__, url_prefix="/survey")


class SurveyForm(FlaskForm):
    score = DecimalField(
        _l("总体满意度（0–100分）"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )


@bp.route("/<token>", methods=["GET", "POST"])
def form(token: str):
    try:
        return _form(token)
    except NotFound:
        return render_template("survey_closed.html", reason="invalid"), 404
    except Gone as closed:
        return render_template("survey_closed.html", **closed.extra), 410


def _form(token: str):
    link = ballots.open_link(token)  # 404 forged, 410 used or expired
    department = db.session.get(Department, link.department_id)
    survey = SurveyForm()
    if survey.validate_on_submit():
        unit_of_work(lambda: ballots.submit_survey(token, survey.score.data))
        return render_template("survey_thanks.html", department=department)
    status = 422 if survey.is_submitted() else 200
    return render_template("survey.html", form=survey, department=department), status
