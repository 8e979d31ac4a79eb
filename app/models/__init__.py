"""Typed SQLAlchemy models, one module per domain. Importing this package registers them all."""

from app.models.actuals import ACTUAL_SOURCES, Actual, DataSource, Evidence, PullRun
from app.models.appeals import (
    APPEAL_STATUSES,
    CONSEQUENCE_KINDS,
    Appeal,
    Consequence,
    Outcome,
    Publication,
)
from app.models.audit import AuditEvent
from app.models.ballots import RATER_GROUPS, Ballot, BallotSheetDraft, SurveyLink
from app.models.calendar import CalendarDay
from app.models.indicators import (
    CalibrationEntry,
    DepartmentPlan,
    DepartmentResult,
    Indicator,
    IndicatorTemplate,
    PlanLine,
    TemplateLine,
)
from app.models.letters import LetterLine, LetterSignature, ResponsibilityLetter
from app.models.notices import Notice
from app.models.operations import SchedulerHeartbeat
from app.models.org import (
    FUNCTION_CATEGORIES,
    ROLES,
    TOKEN_SCOPES,
    ApiToken,
    Department,
    LoginAttempt,
    Person,
    PersonMove,
    RoleAssignment,
    Team,
    Unit,
)
from app.models.process import (
    Campaign,
    HumanTask,
    InstanceEvent,
    ProcessDefinition,
    ProcessDraft,
    ProcessInstance,
)
from app.models.reviews import (
    VERIFICATION_STATUSES,
    DataVerification,
    Interview,
    QuarterlyReview,
)
from app.models.spot_checks import (
    FINDING_STATUSES,
    SPOT_CHECK_STATUSES,
    Finding,
    LedgerEntry,
    Rectification,
    SpotCheck,
)

__all__ = [
    "ACTUAL_SOURCES",
    "APPEAL_STATUSES",
    "CONSEQUENCE_KINDS",
    "FINDING_STATUSES",
    "FUNCTION_CATEGORIES",
    "RATER_GROUPS",
    "ROLES",
    "SPOT_CHECK_STATUSES",
    "TOKEN_SCOPES",
    "VERIFICATION_STATUSES",
    "Actual",
    "ApiToken",
    "Appeal",
    "AuditEvent",
    "Ballot",
    "BallotSheetDraft",
    "CalendarDay",
    "CalibrationEntry",
    "Campaign",
    "Consequence",
    "DataSource",
    "DataVerification",
    "Department",
    "DepartmentPlan",
    "DepartmentResult",
    "Evidence",
    "Finding",
    "HumanTask",
    "Indicator",
    "IndicatorTemplate",
    "InstanceEvent",
    "Interview",
    "LedgerEntry",
    "LetterLine",
    "LetterSignature",
    "LoginAttempt",
    "Notice",
    "Outcome",
    "Person",
    "PersonMove",
    "PlanLine",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "Publication",
    "PullRun",
    "QuarterlyReview",
    "Rectification",
    "ResponsibilityLetter",
    "RoleAssignment",
    "SchedulerHeartbeat",
    "SpotCheck",
    "SurveyLink",
    "Team",
    "TemplateLine",
    "Unit",
]
