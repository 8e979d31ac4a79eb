"""The form-key catalog: schema, page template, and the domain effect of a submission."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from app.forms.schemas import LetterDraftSchema, LetterReviewSchema, LetterSignSchema
from app.models import HumanTask, Person, ProcessInstance
from app.services import letters


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


def _submit_letter(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    letter = letters.submit(sub.instance, sub.actor, data)
    return {"letter_id": letter.id, "letter_revision": letter.revision}


def _review_letter(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    letters.review(sub.instance, sub.actor, data["decision"], data["comment"])
    return {"decision": data["decision"], "review_comment": data["comment"]}


def _sign_letter(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    letters.sign(sub.instance, sub.actor, sub.task.role or "")
    return {f"signed_by_{sub.task.role}": sub.actor.id}


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
    )
}


def get_form(key: str | None) -> Form:
    if key not in FORMS:
        raise LookupError(f"unknown form key {key!r}")
    return FORMS[key]
