"""Typed SQLAlchemy models, one module per domain. Importing this package registers them all."""

from app.models.audit import AuditEvent
from app.models.ballots import RATER_GROUPS, Ballot, SurveyLink
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
    "Campaign",
    "Department",
    "HumanTask",
    "InstanceEvent",
    "LetterLine",
    "LetterSignature",
    "LoginAttempt",
    "Notice",
    "Person",
    "PersonMove",
    "ProcessDefinition",
    "ProcessInstance",
    "ResponsibilityLetter",
    "RoleAssignment",
    "SurveyLink",
    "Team",
    "Unit",
]
