"""Process instances: start one for a department and year, read it with its history, retry,
suspend, resume and terminate it (the centre)."""

from flask.views import MethodView

from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.diagram_schemas import InstanceDiagramSchema
from app.api.schemas import (
    ID,
    InstanceActionSchema,
    InstanceDetailSchema,
    InstanceSchema,
    StartInstanceSchema,
)
from app.services import instance_diagram, instances
from app.services.transactions import unit_of_work

blp = Blueprint("api_instances", __name__, url_prefix="/instances", description="Process instances")


def _detail(instance):
    tasks = instances.tasks_of(instance)
    instance.tasks = instances.visible_tasks(tasks, actor())
    instance.history = instances.history(instance, tasks)
    return instance


@blp.route("")
class Instances(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(StartInstanceSchema)
    @blp.response(201, InstanceSchema)
    def post(self, args):
        """Start the annual cycle for a department and year (centre admins)."""
        return unit_of_work(lambda: instances.start(args["department_id"], args["year"], actor()))


@blp.route(f"/<{ID}:instance_id>")
class Instance(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, InstanceDetailSchema)
    def get(self, instance_id: int):
        """An instance with its user tasks and history (who did what, when)."""
        return _detail(instances.get(instance_id, actor()))


@blp.route(f"/<{ID}:instance_id>/diagram")
class InstanceDiagram(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, InstanceDiagramSchema)
    def get(self, instance_id: int):
        """The instance's diagram marks: each reached BPMN element's state (completed,
        ready, waiting, error), the ready steps past their due time, and the active steps
        (whoever may see the instance)."""
        return instance_diagram.for_viewer(instance_id, actor()).as_json()


@blp.route(f"/<{ID}:instance_id>/diagram/source")
class InstanceDiagramSource(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    def get(self, instance_id: int):
        """The BPMN XML of the instance's own definition version (whoever may see the
        instance; the process-wide definitions source is the centre's)."""
        xml = instance_diagram.source(instance_id, actor())
        return (
            xml,
            200,
            {
                "Content-Type": "application/xml; charset=utf-8",
                "X-Content-Type-Options": "nosniff",
            },
        )


@blp.route(f"/<{ID}:instance_id>/retry")
class InstanceRetry(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.response(200, InstanceSchema)
    def post(self, instance_id: int):
        """Retry an instance in error (centre admins)."""
        return unit_of_work(lambda: instances.retry(instance_id, actor()))


@blp.route(f"/<{ID}:instance_id>/suspend")
class InstanceSuspend(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(InstanceActionSchema)
    @blp.response(200, InstanceSchema)
    def post(self, args, instance_id: int):
        """Suspend a running instance with a reason: no task completes, no timer fires and
        no step escalates until it is resumed (centre admins)."""
        return unit_of_work(lambda: instances.suspend(instance_id, actor(), args["reason"]))


@blp.route(f"/<{ID}:instance_id>/resume")
class InstanceResume(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(InstanceActionSchema)
    @blp.response(200, InstanceSchema)
    def post(self, args, instance_id: int):
        """Resume a suspended instance (reason optional); timers that fell due meanwhile fire
        on the next sweep (centre admins)."""
        return unit_of_work(lambda: instances.resume(instance_id, actor(), args["reason"]))


@blp.route(f"/<{ID}:instance_id>/terminate")
class InstanceTerminate(MethodView):
    decorators = [token_required(write_scope="admin")]  # noqa: RUF012

    @blp.arguments(InstanceActionSchema)
    @blp.response(200, InstanceSchema)
    def post(self, args, instance_id: int):
        """Terminate an instance with a reason: its open tasks are cancelled and it never runs
        again (centre admins)."""
        return unit_of_work(lambda: instances.terminate(instance_id, actor(), args["reason"]))
