"""Typed SQLAlchemy models, one module per domain. Importing this package registers them all."""

from app.models.audit import AuditEvent
from app.models.ballots import RATER_GROUPS, Ballot, SurveyLink
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
    ProcessInstance,
)

__all__ = [
    "FUNCTION_CATEGORIES",
    "RATER_GROUPS",
    "ROLES",
    "TOKEN_SCOPES",
    "ApiToken",
    "AuditEvent",
    "Ballot",
    "CalibrationEntry",
    "Campaign",
    "Department",
    "DepartmentPlan",
    "DepartmentResult",
    "HumanTask",
    "Indicator",
    "IndicatorTemplate",
    "InstanceEvent",
    "LetterLine",
    "LetterSignature",
    "LoginAttempt",
    "Notice",
    "Person",
    "PersonMove",
    "PlanLine",
    "ProcessDefinition",
    "ProcessInstance",
    "ResponsibilityLetter",
    "RoleAssignment",
    "SurveyLink",
    "Team",
    "TemplateLine",
    "Unit",
]
