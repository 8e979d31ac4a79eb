"""Service-task handlers: a failing handler stops the instance in error with its real cause and
none of its writes; the centre admin retries it once the handler works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Campaign, InstanceEvent, ProcessInstance
from app.services import definitions, instances
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.transactions import unit_of_work
from handlers import REGISTRY, HandlerContext
from tests.conftest import person
from tests.engine.helpers import fixture, registered


class Probe:
    """The `test.probe` handler: writes a row, then fails while `failure` is set."""

    def __init__(self) -> None:
        self.failure: str | None = "印章服务不可用"
        self.calls: list[dict[str, Any]] = []

    def __call__(self, ctx: HandlerContext, **params: Any) -> dict[str, Any]:
        self.calls.append({"instance_id": ctx.instance_id, **params})
        db.session.add(Campaign(year=1900 + len(self.calls), name="half-written"))
        db.session.flush()
        if self.failure:
            raise RuntimeError(self.failure)
        return {"ok": True, "label": params["label"]}


@pytest.fixture
def probe(org) -> Iterator[Probe]:
    handler = Probe()
    with registered("test.probe", handler):
        unit_of_work(
            lambda: definitions.upload("handler_probe.bpmn", fixture("handler_probe.bpmn"), None)
        )
        yield handler
    assert "test.probe" not in REGISTRY


def _start() -> ProcessInstance:
    instance = unit_of_work(
        lambda: instances.start(1, 2026, person("admin"), process_key="handler_probe")
    )
    return _fresh(instance.id)


def _fresh(instance_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


def _events(instance: ProcessInstance) -> list[InstanceEvent]:
    return db.session.scalars(
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance.id)
        .order_by(InstanceEvent.id)
    ).all()


def _half_written() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.name == "half-written")
    )


def test_a_failing_handler_puts_the_instance_in_error_with_its_real_cause(probe):
    instance = _start()
    assert instance.status == "error"
    assert instance.error_task == "call_probe"
    assert instance.error_message == "test.probe: RuntimeError: 印章服务不可用"
    assert "NameError" not in instance.error_message and "script" not in instance.error_message
    [error] = [e for e in _events(instance) if e.kind == "error"]
    assert (error.bpmn_id, error.name) == ("call_probe", "调用测试处理器")
    assert error.detail == {"message": instance.error_message, "code": "handler_failed"}
    assert instance.error_code == "handler_failed"
    # the handler got its evaluated parameters, and its write was rolled back
    assert probe.calls == [{"instance_id": instance.id, "label": "第一次", "amount": 26}]
    assert _half_written() == 0
    assert instance.next_timer_at is None


def test_the_admin_retries_until_the_handler_succeeds(probe):
    instance = _start()
    admin = person("admin")

    unit_of_work(lambda: instances.retry(instance.id, admin))  # still failing
    instance = _fresh(instance.id)
    assert instance.status == "error"
    assert [e.kind for e in _events(instance)].count("error") == 2
    assert _half_written() == 0

    probe.failure = None
    unit_of_work(lambda: instances.retry(instance.id, admin))
    instance = _fresh(instance.id)
    assert instance.status == "completed", instance.error_message
    assert (instance.status, instance.error_message, instance.error_task) == (
        "completed",
        None,
        None,
    )
    assert instance.completed_at is not None
    kinds = [(e.kind, e.bpmn_id) for e in _events(instance)]
    assert kinds[-2:] == [("service_task", "call_probe"), ("event", "done")]
    retried = [e for e in _events(instance) if e.kind == "retried"]
    assert [e.actor_id for e in retried] == [admin.id, admin.id]
    assert retried[0].detail == {"previous_error": "test.probe: RuntimeError: 印章服务不可用"}
    assert len(probe.calls) == 3
    assert _half_written() == 1  # only the successful call's write stays


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "staff_fin"])
def test_only_the_centre_admin_may_retry(probe, username):
    instance = _start()
    with pytest.raises(Forbidden):
        unit_of_work(lambda: instances.retry(instance.id, person(username)))
    instance = _fresh(instance.id)
    assert instance.status == "error"
    assert [e.kind for e in _events(instance)].count("retried") == 0
    assert len(probe.calls) == 1


def test_retrying_an_instance_not_in_error_is_a_conflict(probe):
    probe.failure = None
    instance = _start()
    assert instance.status == "completed"
    with pytest.raises(Conflict):
        unit_of_work(lambda: instances.retry(instance.id, person("admin")))
    with pytest.raises(NotFound):
        unit_of_work(lambda: instances.retry(987_654, person("admin")))
    assert [e.kind for e in _events(_fresh(instance.id))].count("retried") == 0
    assert len(probe.calls) == 1
