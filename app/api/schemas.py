"""Request and response schemas of the API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models.process import INSTANCE_STATUSES
from app.services import instance_errors

# Ids are 32-bit INTEGER columns: a larger number in a URL is an unknown id (404), never a
# database overflow (500).
MAX_ID = 2**31 - 1
ID = f"int(min=1, max={MAX_ID})"


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=256), load_only=True
    )
    name = fields.String(load_default="api", validate=validate.Length(min=1, max=100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(["read", "tasks", "admin"])),
        load_default=None,
        validate=validate.Length(min=1, max=3),
    )
    expires_in_days = fields.Integer(
        load_default=None, strict=True, validate=validate.Range(min=1, max=366)
    )


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    token = fields.String(metadata={"description": "shown once; store it now"})
    scopes = fields.List(fields.String())


class TokenInfoSchema(Schema):
    """A token as listed: never the secret (only its hash is stored)."""

    id = fields.Integer()
    name = fields.String()
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class ProblemSchema(Schema):
    code = fields.String()
    message = fields.String()
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    file = fields.String(allow_none=True)


class DefinitionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    process_key = fields.String()
    version = fields.Integer()
    name = fields.String()
    filename = fields.String()
    created_at = fields.DateTime()


class DefinitionUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class StartInstanceSchema(Schema):
    department_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))


class HumanTaskSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    department_id = fields.Integer()
    department_name = fields.Function(lambda t: t.department.name)
    form_key = fields.String(allow_none=True)
    status = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    completed_by_id = fields.Integer(allow_none=True)


class EventSchema(Schema):
    at = fields.DateTime()
    kind = fields.String()
    bpmn_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)
    anonymous = fields.Boolean()


class InstanceSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    definition_id = fields.Integer()
    definition_version = fields.Function(lambda i: i.definition.version)
    year = fields.Function(lambda i: i.campaign.year)
    department_id = fields.Integer()
    department_name = fields.Function(lambda i: i.department.name)
    status = fields.String(validate=validate.OneOf(INSTANCE_STATUSES))
    next_timer_at = fields.DateTime(allow_none=True)
    error_message = fields.String(allow_none=True)
    error_task = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    # Why it is in error, as a sentence in Chinese (None when it is not).
    error_text = fields.Function(
        lambda i: str(reason) if (reason := instance_errors.of(i)) is not None else None,
        allow_none=True,
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class InstanceActionSchema(Schema):
    """Why the centre suspends, resumes or terminates an instance (required for suspend and
    terminate, at most 500 characters; checked by the service so pages get the same rule)."""

    reason = fields.String(load_default=None, allow_none=True)


class InstanceDetailSchema(InstanceSchema):
    tasks = fields.List(fields.Nested(HumanTaskSchema))
    history = fields.List(fields.Nested(EventSchema))


class LetterLineOutSchema(Schema):
    position = fields.Integer()
    name = fields.String()
    kind = fields.String()
    direction = fields.String()
    target = fields.Decimal(as_string=True)
    unit = fields.String()
    weight = fields.Decimal(as_string=True)


class LetterOutSchema(Schema):
    id = fields.Integer()
    revision = fields.Integer()
    status = fields.String()
    note = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    content_hash = fields.String(allow_none=True)
    locked_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(LetterLineOutSchema))
    signatures = fields.Function(lambda letter: sorted(s.role for s in letter.signatures))


class TaskDetailSchema(HumanTaskSchema):
    form = fields.Dict(metadata={"description": "the form's key, title and JSON field list"})
    letter = fields.Nested(LetterOutSchema, allow_none=True)


class CompleteTaskSchema(Schema):
    # A mapping here, so a list, string or null is a 422 on `data` itself rather than reaching
    # the form schema in some wrapped shape.
    data = fields.Dict(
        keys=fields.String(), required=True, metadata={"description": "the form's fields"}
    )


# -- organisation, people, roles -------------------------------------------------------------


class UnitSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class DepartmentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    unit = fields.Nested(UnitSchema)
    function_category = fields.String()
    active = fields.Boolean()


class RoleAssignmentSchema(Schema):
    id = fields.Integer()
    role = fields.String()
    department_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)


class PersonSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    department_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


class PersonDetailSchema(PersonSchema):
    email = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(RoleAssignmentSchema))


class GrantRoleSchema(Schema):
    role = fields.String(required=True, validate=validate.Length(max=32))
    department_id = fields.Integer(strict=True, allow_none=True, load_default=None)
    unit_id = fields.Integer(strict=True, allow_none=True, load_default=None)
    valid_from = fields.Date(load_default=None)
    reason = fields.String(load_default=None, validate=validate.Length(max=200))


class EndRoleSchema(Schema):
    on = fields.Date(load_default=None)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MovePersonSchema(Schema):
    to_department_id = fields.Integer(required=True, strict=True)
    effective_on = fields.Date(load_default=None)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_role = fields.String(load_default="staff", allow_none=True)


class PersonMoveSchema(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    from_department_id = fields.Integer(allow_none=True)
    to_department_id = fields.Integer(allow_none=True)
    effective_on = fields.Date()
    reason = fields.String()
    released_task_ids = fields.List(fields.Integer())


class PasswordResetSchema(Schema):
    new_password = fields.String(required=True, validate=validate.Length(max=128))


class PasswordChangeSchema(PasswordResetSchema):
    current_password = fields.String(required=True, validate=validate.Length(max=128))


class ImportQuerySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["org", "people"]))
    dry_run = fields.Boolean(load_default=True)


class ImportReportSchema(Schema):
    kind = fields.String()
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    errors = fields.List(fields.Dict())


# -- tasks: who holds them ---------------------------------------------------------------------


class InboxQuerySchema(Schema):
    scope = fields.String(load_default="all", validate=validate.OneOf(["all", "mine", "group"]))


class HandOverSchema(Schema):
    to_person_id = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


# -- audit trail, ballots, survey links ------------------------------------------------------


class AuditQuerySchema(Schema):
    action = fields.String(load_default=None, validate=validate.Length(max=64))
    actor_id = fields.Integer(load_default=None)
    object_type = fields.String(load_default=None, validate=validate.Length(max=64))
    object_id = fields.String(load_default=None, validate=validate.Length(max=64))
    since = fields.AwareDateTime(load_default=None, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, default_timezone=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    remote_addr = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


class AuditPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    events = fields.List(fields.Nested(AuditEventSchema))


class YearQuerySchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class GroupSummarySchema(Schema):
    rater_group = fields.String()
    ballots = fields.Integer()
    mean = fields.Decimal(as_string=True, allow_none=True)
    hidden = fields.Boolean(metadata={"description": "too few ballots to show without exposing"})


class CastBallotSchema(Schema):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    department_id = fields.Integer(required=True, strict=True)
    rater_group = fields.String(required=True, validate=validate.OneOf(["leader", "peer"]))
    score = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, max=100))


class BallotReceiptSchema(Schema):
    id = fields.Integer()
    rater_group = fields.String()
    submitted_at = fields.DateTime()


class IssueLinksSchema(Schema):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    department_id = fields.Integer(required=True, strict=True)
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=500))
    days = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=90))


class SurveyLinkOutSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    expires_at = fields.DateTime()


# --- the indicator library, templates and department plans ------------------------------------

YEAR_RANGE = validate.Range(min=2000, max=2100)
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$", error="1–40 letters, digits, '-' or '_'")
KIND = validate.OneOf(["common", "individual", "dynamic"])


def _figure(**kwargs) -> fields.Decimal:
    """A finite decimal within ±10¹² (Numeric(18, 4) columns), as a string in responses."""
    kwargs.setdefault("load_default", None)
    kwargs.setdefault("allow_none", True)
    return fields.Decimal(
        as_string=True,
        allow_nan=False,
        validate=validate.Range(min=-(10**12), max=10**12),
        **kwargs,
    )


def _ratio(**kwargs) -> fields.Decimal:
    return fields.Decimal(
        as_string=True, allow_nan=False, validate=validate.Range(min=0, max=2), **kwargs
    )


class BandSchema(Schema):
    lower = _figure()
    upper = _figure()
    ratio = _ratio(required=True)


class AnchorSchema(Schema):
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    ratio = _ratio(required=True)


class IndicatorFieldsSchema(Schema):
    """An indicator's definition; `app.rules.indicators.validate_indicator` checks the whole."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(load_default="", validate=validate.Length(max=200))
    kind = fields.String(
        required=True, validate=validate.OneOf(["common", "individual", "dynamic"])
    )
    dimension = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["integrity", "competence", "diligence", "achievement", "probity"]),
    )
    nature = fields.String(required=True, validate=validate.OneOf(["quantitative", "qualitative"]))
    method = fields.String(
        required=True,
        validate=validate.OneOf(["linear", "on_target", "banded", "deduction", "bars", "ratio"]),
    )
    direction = fields.String(required=True, validate=validate.OneOf(["higher", "lower", "target"]))
    unit = fields.String(load_default="", validate=validate.Length(max=20))
    categories = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=list,
        validate=validate.Length(max=20),
    )
    tags = fields.List(
        fields.String(validate=validate.OneOf(["economic", "satisfaction"])),
        load_default=list,
        validate=validate.Length(max=2),
    )
    target = _figure()
    threshold = _figure()
    cap = _figure()
    tolerance = _figure()
    per_unit = _figure()
    floor = _figure()
    bands = fields.List(
        fields.Nested(BandSchema), load_default=list, validate=validate.Length(max=20)
    )
    anchors = fields.List(
        fields.Nested(AnchorSchema), load_default=list, validate=validate.Length(max=5)
    )
    data_source = fields.String(load_default="", validate=validate.Length(max=200))
    evidence = fields.String(load_default="", validate=validate.Length(max=500))


class NewIndicatorSchema(IndicatorFieldsSchema):
    year = fields.Integer(required=True, strict=True, validate=YEAR_RANGE)
    code = fields.String(required=True, validate=CODE)


class IndicatorSchema(IndicatorFieldsSchema):
    id = fields.Integer()
    year = fields.Integer()
    code = fields.String()
    retired = fields.Boolean()
    updated_at = fields.DateTime()


class IndicatorQuerySchema(Schema):
    year = fields.Integer(required=True, validate=YEAR_RANGE)
    kind = fields.String(
        load_default=None, validate=validate.OneOf(["common", "individual", "dynamic"])
    )
    category = fields.String(load_default=None, validate=validate.Length(max=32))
    include_retired = fields.Boolean(load_default=False)


class RollOverSchema(Schema):
    to_year = fields.Integer(required=True, strict=True, validate=YEAR_RANGE)
    drop = fields.List(
        fields.String(validate=CODE), load_default=list, validate=validate.Length(max=500)
    )


class RollOverResultSchema(Schema):
    year = fields.Integer()
    copied = fields.Integer()
    dropped = fields.List(fields.String())


class LibraryReviewSchema(Schema):
    year = fields.Integer()
    departments = fields.Integer(metadata={"description": "departments with a scored result"})
    flagged = fields.List(fields.String(), metadata={"description": "met in full by all"})
    kept = fields.List(fields.String())


class PlanLineInSchema(Schema):
    indicator = fields.String(required=True, validate=CODE)
    weight = fields.Decimal(
        required=True,
        as_string=True,
        allow_nan=False,
        places=None,
        validate=validate.Range(min=0, max=100, min_inclusive=False),
    )
    target = _figure()


class PlanLinesSchema(Schema):
    lines = fields.List(
        fields.Nested(PlanLineInSchema), required=True, validate=validate.Length(min=1, max=60)
    )


class TemplateInSchema(PlanLinesSchema):
    year = fields.Integer(required=True, strict=True, validate=YEAR_RANGE)
    category = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PlanLineOutSchema(Schema):
    indicator = fields.Function(lambda line: line.indicator.code)
    name = fields.Function(lambda line: line.indicator.name)
    kind = fields.Function(lambda line: line.indicator.kind)
    weight = fields.Decimal(as_string=True)
    target = fields.Decimal(as_string=True, allow_none=True)


class TemplateSchema(Schema):
    id = fields.Integer()
    year = fields.Integer()
    category = fields.String()
    name = fields.String()
    updated_at = fields.DateTime()
    lines = fields.List(fields.Nested(PlanLineOutSchema))


class AssignSchema(Schema):
    department_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )
    overwrite = fields.Boolean(load_default=False)


class AssignResultSchema(Schema):
    assigned = fields.List(fields.Integer())
    skipped = fields.List(fields.Integer(), metadata={"description": "adjusted by hand; kept"})


class PlanSchema(Schema):
    id = fields.Integer()
    year = fields.Function(lambda plan: plan.campaign.year)
    department_id = fields.Integer()
    template_id = fields.Integer(allow_none=True)
    adjusted = fields.Boolean()
    updated_at = fields.DateTime()
    lines = fields.List(fields.Nested(PlanLineOutSchema))


# -- campaigns: settings, results, calibration, outcomes -------------------------------------

YEAR = "int(min=2000, max=2100)"  # a year in a route
GRADES = ["excellent", "competent", "basically_competent", "incompetent"]


class CampaignSettingsSchema(Schema):
    """The settings document; every key is optional and a missing one takes its default (see
    app.rules.campaign_settings for the keys, defaults and limits)."""

    rater_weights = fields.Dict(keys=fields.String())
    composition = fields.Dict(keys=fields.String())
    ballots = fields.Dict(keys=fields.String())
    quota = fields.Dict(keys=fields.String())
    quarterly_rule = fields.Raw()
    outcomes = fields.Dict(keys=fields.String())
    grade_table = fields.Dict(keys=fields.String())
    appeal = fields.Dict(keys=fields.String())
    escalation = fields.Dict(keys=fields.String())


class CampaignResultSchema(Schema):
    department_id = fields.Integer()
    department_code = fields.Function(lambda r: r.department.code)
    department_name = fields.Function(lambda r: r.department.name)
    indicator_score = fields.Decimal(as_string=True)
    evaluation_score = fields.Decimal(as_string=True, allow_none=True)
    deductions = fields.Decimal(as_string=True)
    final_score = fields.Decimal(as_string=True)
    band_grade = fields.String(metadata={"description": "from the grade table alone"})
    grade = fields.String(metadata={"description": "after calibration and overrides"})
    rank = fields.Integer(allow_none=True)
    excellent_quarters = fields.Integer()
    updated_at = fields.DateTime()


class QuotaApprovalSchema(Schema):
    share = fields.Decimal(required=True, metadata={"description": "percent, up to 25"})
    approved_by = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CalibrateSchema(Schema):
    approval = fields.Nested(QuotaApprovalSchema, load_default=None, allow_none=True)


class CalibrationEntrySchema(Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    department_code = fields.Function(lambda e: e.department.code)
    department_name = fields.Function(lambda e: e.department.name)
    from_grade = fields.String()
    to_grade = fields.String()
    reason = fields.String()
    reason_parts = fields.List(fields.Dict(), allow_none=True)
    automatic = fields.Boolean()
    approved_by = fields.String(allow_none=True)
    approval_ref = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    at = fields.DateTime()


class CalibrationSummarySchema(Schema):
    year = fields.Integer()
    assessed = fields.Integer()
    quota = fields.Integer()
    share = fields.Decimal(as_string=True, metadata={"description": "the configured share"})
    cap_share = fields.Decimal(
        as_string=True, metadata={"description": "20, or the approved share: 优秀 never exceeds it"}
    )
    approval = fields.Dict(allow_none=True)
    excellent = fields.Integer()
    excellent_share = fields.Decimal(
        as_string=True, metadata={"description": "the share really graded 优秀, in percent"}
    )
    changes = fields.List(fields.Nested(CalibrationEntrySchema))


class GradeOverrideSchema(Schema):
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    approved_by = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "who approved a grade against the score's band (required then)"},
    )
    approval_ref = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "the approval's document or minutes number (required then)"},
    )


class OutcomeSchema(Schema):
    department_id = fields.Function(lambda o: o.department.id)
    department_code = fields.Function(lambda o: o.department.code)
    department_name = fields.Function(lambda o: o.department.name)
    rank = fields.Integer(allow_none=True)
    final_score = fields.Decimal(as_string=True)
    grade = fields.Function(lambda o: o.outcome.grade.value)
    bonus_coefficient = fields.Function(lambda o: str(o.outcome.bonus_coefficient))
    reserve_pool = fields.Function(lambda o: o.outcome.reserve_pool)
    improvement_plan = fields.Function(lambda o: list(o.outcome.improvement_plan))
    head_deduction = fields.Function(lambda o: str(o.outcome.head_deduction))


# -- the working-day calendar -----------------------------------------------------------------


class CalendarDaySchema(Schema):
    date = fields.Date(required=True, attribute="day", data_key="date")
    working = fields.Boolean(
        required=True, metadata={"description": "false: a holiday; true: a weekend day worked"}
    )
    note = fields.String(load_default="", validate=validate.Length(max=100))


class CalendarYearSchema(Schema):
    days = fields.List(
        fields.Nested(CalendarDaySchema), required=True, validate=validate.Length(max=120)
    )
