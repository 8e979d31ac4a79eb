"""My tasks: list, read with the form, complete."""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import (
    ID,
    CompleteTaskSchema,
    HandOverSchema,
    HumanTaskSchema,
    InboxQuerySchema,
    TaskDetailSchema,
)
from app.forms import get_form
from app.forms.describe import describe
from app.services import assignments, instances, letters
from app.services.transactions import unit_of_work

blp = Blueprint("api_tasks", __name__, url_prefix="/tasks", description="User tasks")


@blp.route("")
class Tasks(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(InboxQuerySchema, location="query")
    @blp.response(200, HumanTaskSchema(many=True))
    def get(self, query):
        """Ready tasks I may act on, soonest due first: `mine` (held by me), `group` (open to a
        role of mine, unclaimed) or `all`."""
        return instances.inbox(actor(), query["scope"])


@blp.route(f"/<{ID}:task_id>")
class Task(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(200, TaskDetailSchema)
    def get(self, task_id: int):
        """A task with its form description and the letter it concerns."""
        task = instances.get_task(task_id, actor())
        task.form = describe(get_form(task.form_key))
        task.letter = letters.current(task.instance_id)
        return task


@blp.route(f"/<{ID}:task_id>/complete")
class TaskCompletion(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(CompleteTaskSchema)
    @blp.response(200, HumanTaskSchema)
    @blp.alt_response(409, description="already completed, or the instance is not active")
    @blp.alt_response(422, description="field errors of the form")
    def post(self, args, task_id: int):
        """Complete a task with the form's data."""
        return unit_of_work(lambda: instances.complete_task(task_id, actor(), args["data"]))


@blp.route(f"/<{ID}:task_id>/claim")
class TaskClaim(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(200, HumanTaskSchema)
    def post(self, task_id: int):
        """Take a task open to my role, so colleagues see it is being handled."""
        return unit_of_work(lambda: assignments.claim(task_id, actor()))


@blp.route(f"/<{ID}:task_id>/unclaim")
class TaskUnclaim(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(200, HumanTaskSchema)
    def post(self, task_id: int):
        """Hand a task I hold back to my role's pool."""
        return unit_of_work(lambda: assignments.unclaim(task_id, actor()))


@blp.route(f"/<{ID}:task_id>/delegate")
class TaskDelegate(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(HandOverSchema)
    @blp.response(200, HumanTaskSchema)
    def post(self, args, task_id: int):
        """Delegate a task I may act on to a colleague of its department, with a reason."""
        return unit_of_work(
            lambda: assignments.delegate(task_id, actor(), args["to_person_id"], args["reason"])
        )


@blp.route(f"/<{ID}:task_id>/reassign")
class TaskReassign(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(HandOverSchema)
    @blp.response(200, HumanTaskSchema)
    def post(self, args, task_id: int):
        """The centre gives a task to someone else, with a reason."""
        return unit_of_work(
            lambda: assignments.reassign(task_id, actor(), args["to_person_id"], args["reason"])
        )
