"""The script engine every loaded workflow gets: safe expressions, no scripts, named handlers.

SpiffWorkflow's default environment is Python `eval`/`exec`. Ours evaluates through
`app.engine.expressions`, refuses to execute scripts at all, and sends service tasks to a
caller supplied by the service layer (which looks the name up in `handlers/`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from app.engine import expressions, run_values

# (handler name, evaluated parameters, task data) -> JSON-serialisable result
ServiceCaller = Callable[[str, dict[str, Any], Mapping[str, Any]], Any]


class ScriptsForbidden(Exception):
    pass


class ValueRefused(WorkflowTaskException):
    """An evaluated timer or loop count the engine cannot run (`app.engine.run_values`)."""

    def __init__(self, code: str, reason: str, task) -> None:
        super().__init__(reason, task=task)
        self.code = code


class HandlerFailed(Exception):
    """A service-task handler raised; keeps the handler's name and the original exception."""

    def __init__(self, handler: str, cause: BaseException) -> None:
        super().__init__(f"{handler}: {type(cause).__name__}: {cause}")
        self.handler = handler
        self.cause = cause


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    def evaluate(self, expression, context, external_context=None):
        names = {**context, **(external_context or {})}
        return expressions.evaluate(expression, names)

    def execute(self, script, context, external_context=None):
        raise ScriptsForbidden("script execution is disabled")


def _no_services(name: str, params: dict[str, Any], data: Mapping[str, Any]) -> Any:
    raise LookupError(f"no service caller configured for handler {name!r}")


class SafeScriptEngine(PythonScriptEngine):
    def __init__(self, call_service: ServiceCaller | None = None) -> None:
        super().__init__(environment=SafeEnvironment())
        self._call_service = call_service or _no_services

    def evaluate(self, task, expression, external_context=None):
        value = super().evaluate(task, expression, external_context)
        refused = run_values.evaluated_problem(task.task_spec, expression, value)
        if refused is not None:
            raise ValueRefused(*refused, task=task)
        return value

    def validate(self, expression):
        refused = expressions.problems(expression)
        if refused:
            # DMN's parser probes cells this way; a SyntaxError makes it try "v <cell>".
            raise SyntaxError("; ".join(refused))

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        # SpiffWorkflow's own call_service loses the cause (`NameError: script`): keep it.
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            result = self._call_service(operation_name, params, task.data)
        except Exception as exc:
            failure = HandlerFailed(operation_name, exc)
            failure.__cause__ = exc
            # WorkflowTaskException keeps no reference to `exception`: chain it explicitly so
            # the runner finds the handler's name and the original error.
            raise WorkflowTaskException(str(failure), task=task, exception=failure) from failure
        return json.dumps(result, default=str)
