"""The form-key catalog: schema, page template, and the domain effect of a submission."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from app.forms import appeal_forms, consequence_forms, review_forms, spot_check_forms
from app.forms.appeal_schemas import AppealDecideSchema, AppealFileSchema
from app.forms.consequence_schemas import ImprovementCheckSchema, ImprovementPlanSchema
from app.forms.review_schemas import DataVerificationSchema, QuarterlyInterviewSchema
from app.forms.schemas import (
    BallotSchema,
    LetterDraftSchema,
    LetterReviewSchema,
    LetterSignSchema,
)
from app.forms.spot_check_schemas import (
    FindingConfirmSchema,
    FindingRectifySchema,
    SpotCheckVerifySchema,
)
from app.models import HumanTask, Person, ProcessInstance
from app.services import ballots, letters


@dataclass(frozen=True)
class Submission:
    instance: ProcessInstance
    task: HumanTask
    actor: Person


# (submission, validated data) -> data handed to the workflow (small: ids and decisions only)
Effect = Callable[[Submission, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Form:
    key: str
    title: Any
    schema: type[Schema]
    template: str
    effect: Effect
    # what the page (and an API client) needs besides the letter: the task -> plain values
    context: Callable[[HumanTask], dict[str, Any]] | None = None


def _submit_letter(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    letter = letters.submit(sub.instance, sub.actor, data)
    return {"letter_id": letter.id, "letter_revision": letter.revision}


def _review_letter(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    letters.review(sub.instance, sub.actor, data["decision"], data["comment"])
    return {"decision": data["decision"], "review_comment": data["comment"]}


def _sign_letter(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    letters.sign(sub.instance, sub.actor, sub.task.role or "")
    return {f"signed_by_{sub.task.role}": sub.actor.id}


def is_anonymous_ballot(form_key: str | None, role: str | None) -> bool:
    """Whether a task is a peer ballot (民主测评), whose voters stay anonymous: the ballot form
    for anyone but the supervising leader (whose ballot is not anonymous)."""
    return form_key == "ballot" and ballots.rater_group_of(role) == "peer"


def _cast_ballot(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    """The mark goes to the ballot table only: never into the workflow, whose state the
    department may see (peer ballots are anonymous)."""
    group = ballots.rater_group_of(sub.task.role)
    ballots.cast(
        sub.actor, sub.instance.campaign.year, sub.instance.department_id, group, data["score"]
    )
    return {}


FORMS: dict[str, Form] = {
    form.key: form
    for form in (
        Form(
            "letter_draft",
            _l("起草绩效责任书"),
            LetterDraftSchema,
            "forms/letter_draft.html",
            _submit_letter,
        ),
        Form(
            "letter_review",
            _l("审核绩效责任书"),
            LetterReviewSchema,
            "forms/letter_review.html",
            _review_letter,
        ),
        Form(
            "letter_sign",
            _l("签署绩效责任书"),
            LetterSignSchema,
            "forms/letter_sign.html",
            _sign_letter,
        ),
        Form("ballot", _l("年终考评打分"), BallotSchema, "forms/ballot.html", _cast_ballot),
        Form(
            "appeal_file",
            _l("考核结果申诉"),
            AppealFileSchema,
            "forms/appeal_file.html",
            appeal_forms.file_effect,
            appeal_forms.file_context,
        ),
        Form(
            "appeal_decide",
            _l("申诉复核"),
            AppealDecideSchema,
            "forms/appeal_decide.html",
            appeal_forms.decide_effect,
            appeal_forms.decide_context,
        ),
        Form(
            "improvement_plan",
            _l("提交整改提升计划"),
            ImprovementPlanSchema,
            "forms/improvement_plan.html",
            consequence_forms.plan_effect,
            consequence_forms.context,
        ),
        Form(
            "improvement_check",
            _l("审核整改提升计划"),
            ImprovementCheckSchema,
            "forms/improvement_check.html",
            consequence_forms.check_effect,
            consequence_forms.context,
        ),
        Form(
            "spot_check_verify",
            _l("月度督查：核查抽检台账"),
            SpotCheckVerifySchema,
            "forms/spot_check_verify.html",
            spot_check_forms.verify_effect,
            spot_check_forms.verify_context,
        ),
        Form(
            "finding_rectify",
            _l("月度督查：问题整改"),
            FindingRectifySchema,
            "forms/finding_rectify.html",
            spot_check_forms.rectify_effect,
            spot_check_forms.rectify_context,
        ),
        Form(
            "finding_confirm",
            _l("月度督查：认定扣分"),
            FindingConfirmSchema,
            "forms/finding_confirm.html",
            spot_check_forms.confirm_effect,
            spot_check_forms.confirm_context,
        ),
        Form(
            "quarterly_interview",
            _l("季度反馈：约谈滞后指标"),
            QuarterlyInterviewSchema,
            "forms/quarterly_interview.html",
            review_forms.interview_effect,
            review_forms.interview_context,
        ),
        Form(
            "data_verification",
            _l("年终数据核验"),
            DataVerificationSchema,
            "forms/data_verification.html",
            review_forms.verification_effect,
            review_forms.verification_context,
        ),
    )
}


def get_form(key: str | None) -> Form:
    if key not in FORMS:
        raise LookupError(f"unknown form key {key!r}")
    return FORMS[key]
