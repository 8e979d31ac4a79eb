"""The organisation: units (单位) → departments (科室) → optional teams → people, and the roles
people hold, each scoped to an org unit and dated, so a mid-year change never rewrites the past."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.types import JSONType, UTCDateTime

# Role keys; BPMN lanes name them. Labels live in app/i18n.py.
ROLES = (
    "centre_admin",
    "supervising_leader",
    "department_head",
    "assessment_group",
    "review_panel",
    "expert",
    "staff",
)

# Function categories pick a department's indicator template and letter rules.
FUNCTION_CATEGORIES = (
    "finance",
    "inspection",
    "hr",
    "admin_support",
    "petition",
    "general",
)


class Unit(db.Model):
    """单位: a bureau or office of the city government."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    departments: Mapped[list[Department]] = relationship(back_populates="unit")


class Department(db.Model):
    """科室: the functional department that is appraised."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    function_category: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[Unit] = relationship(back_populates="departments", lazy="joined")
    teams: Mapped[list[Team]] = relationship(back_populates="department")


class Team(db.Model):
    """An optional group inside a department (班组)."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department] = relationship(back_populates="teams")


class Person(UserMixin, db.Model):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255))
    # "!" means no password: the person signs in through another identity provider, or not yet.
    password_hash: Mapped[str] = mapped_column(String(255), default="!")
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by "sign out everywhere" and password changes; sessions carry it (see get_id).
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    department: Mapped[Department | None] = relationship()
    team: Mapped[Team | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="RoleAssignment.person_id",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: bumping `session_epoch` invalidates every session."""
        return f"{self.id}:{self.session_epoch}"

    def current_roles(self, on: date | None = None) -> list[RoleAssignment]:
        day = on or clock.today()
        return [r for r in self.roles if r.valid_on(day)]


class RoleAssignment(db.Model):
    """A role held by a person from `valid_from` until (not including) `valid_to`.

    Scope: a department, or every department of a unit, or the whole city (both null).
    """

    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint("unit_id IS NULL OR department_id IS NULL", name="one_scope"),
        # Who holds a role over a department (permissions.candidates): by department, by
        # unit, or city-wide (both null), each an index lookup.
        Index("ix_role_assignment_scope", "role", "department_id", "unit_id"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    valid_from: Mapped[date] = mapped_column(default=date(2000, 1, 1))
    valid_to: Mapped[date | None]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person] = relationship(back_populates="roles", foreign_keys=[person_id])
    unit: Mapped[Unit | None] = relationship()
    department: Mapped[Department | None] = relationship()

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def covers(self, department: Department) -> bool:
        if self.department_id is not None:
            return self.department_id == department.id
        if self.unit_id is not None:
            return self.unit_id == department.unit_id
        return True


class PersonMove(db.Model):
    """A dated move of a person between departments, and what happened to their open tasks."""

    __tablename__ = "person_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    from_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    effective_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    released_task_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)


class LoginAttempt(db.Model):
    """Sign-in attempts, for throttling by username and by address (also unknown usernames)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]


TOKEN_SCOPES = ("read", "tasks", "admin")


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once.

    Scopes narrow what the token may do below what its owner may do: `read` (GET only),
    `tasks` (also claim and complete tasks), `admin` (also the centre's administrative calls).
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=lambda: ["read", "tasks"])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()
