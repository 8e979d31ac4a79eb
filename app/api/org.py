"""The organisation: units, departments, people, roles, moves, imports, and my account."""

from flask.views import MethodView
from sqlalchemy import select

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import (
    ID,
    DefinitionUploadSchema,
    DepartmentSchema,
    EndRoleSchema,
    GrantRoleSchema,
    ImportQuerySchema,
    ImportReportSchema,
    MovePersonSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    PersonDetailSchema,
    PersonMoveSchema,
    PersonSchema,
    RoleAssignmentSchema,
    UnitSchema,
)
from app.extensions import db
from app.models import Department, Person, Unit
from app.services import accounts, org, org_import, permissions
from app.services.errors import Forbidden, NotFound
from app.services.transactions import unit_of_work

blp = Blueprint("api_org", __name__, url_prefix="", description="Organisation and people")
ADMIN = [token_required(write_scope="admin")]


def _require_admin() -> None:
    if not permissions.is_centre_admin(actor()):
        raise Forbidden("only the performance-management centre may do this")


@blp.route("/units")
class Units(MethodView):
    decorators = ADMIN

    @blp.response(200, UnitSchema(many=True))
    def get(self):
        """Every unit (单位); names only, visible to any signed-in person."""
        return db.session.scalars(select(Unit).order_by(Unit.code)).all()


@blp.route("/departments")
class Departments(MethodView):
    decorators = ADMIN

    @blp.response(200, DepartmentSchema(many=True))
    def get(self):
        """The departments I may see."""
        visible = permissions.visible_departments(actor())
        return db.session.scalars(
            select(Department).where(Department.id.in_(visible)).order_by(Department.code)
        ).all()


@blp.route("/people")
class People(MethodView):
    decorators = ADMIN

    @blp.response(200, PersonSchema(many=True))
    def get(self):
        """Everyone (the centre), or the people of my own department."""
        me = actor()
        query = select(Person).order_by(Person.id)
        if not permissions.is_centre_admin(me):
            query = query.where(Person.department_id == me.department_id)
            if me.department_id is None:
                query = query.where(Person.id == me.id)
        return db.session.scalars(query).all()


@blp.route(f"/people/<{ID}:person_id>")
class PersonView(MethodView):
    decorators = ADMIN

    @blp.response(200, PersonDetailSchema)
    def get(self, person_id: int):
        """A person with their roles (the centre, or the person themself)."""
        me = actor()
        if me.id != person_id and not permissions.is_centre_admin(me):
            raise NotFound(f"person {person_id} not found")
        return org.get_person(person_id)


@blp.route(f"/people/<{ID}:person_id>/roles")
class PersonRoles(MethodView):
    decorators = ADMIN

    @blp.arguments(GrantRoleSchema)
    @blp.response(201, RoleAssignmentSchema)
    def post(self, args, person_id: int):
        """Grant a role, dated, scoped to a department, a unit, or the city."""
        _require_admin()
        return unit_of_work(
            lambda: org.grant_role(
                actor(),
                org.get_person(person_id),
                args["role"],
                department_id=args["department_id"],
                unit_id=args["unit_id"],
                valid_from=args["valid_from"],
                reason=args["reason"],
            )
        )


@blp.route(f"/roles/<{ID}:assignment_id>/end")
class RoleEnd(MethodView):
    decorators = ADMIN

    @blp.arguments(EndRoleSchema)
    @blp.response(204)
    def post(self, args, assignment_id: int):
        """End a role on a day (it is kept, never deleted)."""
        unit_of_work(lambda: org.end_role(actor(), assignment_id, args["on"], args["reason"]))


@blp.route(f"/people/<{ID}:person_id>/move")
class PersonMoveView(MethodView):
    decorators = ADMIN

    @blp.arguments(MovePersonSchema)
    @blp.response(201, PersonMoveSchema)
    def post(self, args, person_id: int):
        """Move a person to another department; their open tasks follow the reassignment rule."""
        _require_admin()
        return unit_of_work(
            lambda: org.move_person(
                actor(),
                org.get_person(person_id),
                args["to_department_id"],
                effective_on=args["effective_on"],
                reason=args["reason"],
                new_role=args["new_role"],
            )
        )


@blp.route(f"/people/<{ID}:person_id>/password")
class PersonPassword(MethodView):
    decorators = ADMIN

    @blp.arguments(PasswordResetSchema)
    @blp.response(204)
    def post(self, args, person_id: int):
        """Set a person's password (the centre); signs them out everywhere."""
        _require_admin()
        unit_of_work(
            lambda: accounts.reset_password(
                actor(), org.get_person(person_id), args["new_password"]
            )
        )


@blp.route("/org/import")
class OrgImport(MethodView):
    decorators = ADMIN

    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(DefinitionUploadSchema, location="files")
    @blp.response(200, ImportReportSchema)
    def post(self, query, files):
        """Import departments (kind=org) or people (kind=people) from .csv/.xlsx; dry run by
        default. A real run with any row error writes nothing (422 with the report)."""
        upload = files["file"]
        data = upload.read()
        return unit_of_work(
            lambda: org_import.run(
                query["kind"], upload.filename or "", data, actor(), query["dry_run"]
            )
        ).as_dict()


@blp.route("/me")
class Me(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(200, PersonDetailSchema)
    def get(self):
        return actor()


@blp.route("/me/password")
class MyPassword(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, args):
        """Change my password; signs out my other sessions."""
        unit_of_work(
            lambda: accounts.change_password(
                actor(), args["current_password"], args["new_password"]
            )
        )


@blp.route("/me/sign-out-everywhere")
class SignOutEverywhere(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(204)
    def post(self):
        """End every browser session of mine (API tokens are revoked one by one)."""
        unit_of_work(lambda: accounts.sign_out_everywhere(actor()))
