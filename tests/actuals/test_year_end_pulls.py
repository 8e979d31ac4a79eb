"""Year-end pulls from government systems as a step of the year (`sources.pull_year`, the
shipped cycle's 采集政务系统数据 before verification): the first instance pulls every source,
the others reuse the runs; a failing source is recorded, does not stop any instance, is not
asked again by every instance, and shows on the centre's overdue board until a retry works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from lxml import etree

from app.extensions import db
from app.models import Department, ProcessInstance, PullRun
from app.services import definitions, instances
from app.services.transactions import unit_of_work
from tests.actuals.conftest import Reply, hotline, make_source
from tests.conftest import PROJECT_ROOT, person
from tests.engine.helpers import bpmn

PROBE = """
<bpmn:startEvent id="start" />
<bpmn:serviceTask id="pull_sources" name="采集政务系统数据">
  <bpmn:extensionElements>
    <spiffworkflow:serviceTaskOperator id="sources.pull_year" resultVariable="pulls">
      <spiffworkflow:parameters />
    </spiffworkflow:serviceTaskOperator>
  </bpmn:extensionElements>
</bpmn:serviceTask>
<bpmn:endEvent id="done" />
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pull_sources" />
<bpmn:sequenceFlow id="f2" sourceRef="pull_sources" targetRef="done" />
"""
AFTER_THE_YEAR = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)


def _start(code: str) -> ProcessInstance:
    department = db.session.scalars(sa.select(Department).where(Department.code == code)).one()
    return unit_of_work(lambda: instances.start(department.id, 2026, person("admin"), "pull_probe"))


def _runs() -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(PullRun).order_by(PullRun.id))
    return [(r.source.name, r.status) for r in rows]


def test_the_first_instance_pulls_the_others_reuse_and_a_failure_is_shown(
    app, org, clock, source_server, fast_backoff, client, login_as
):
    unit_of_work(lambda: definitions.upload("pull_probe.bpmn", bpmn(PROBE, "pull_probe"), None))
    make_source(
        "hotline", source_server.serve("/hotline", Reply(body=hotline(("DC-DC", "2026-12", 97))))
    )
    make_source(
        "finance",
        source_server.serve("/finance", Reply(500, {"error": "down"})),
        description="财政一体化系统",
    )
    clock.set(AFTER_THE_YEAR)

    first = _start("CZ-YS")
    assert first.status == "completed"  # a failed pull never stops the instance
    assert _runs() == [("finance", "failed"), ("hotline", "succeeded")]
    second = _start("DC-DC")
    assert second.status == "completed"
    assert _runs() == [("finance", "failed"), ("hotline", "succeeded")]  # nobody asked again
    assert source_server.script.hits == {"/hotline": 1, "/finance": 3}  # 1 + 2 retries

    login_as("admin")
    board = client.get("/supervise/overdue").get_data(as_text=True)
    assert "数据采集失败" in board and "财政一体化系统" in board
    assert "数据源返回了错误状态（HTTP 500）" in board
    client.delete_cookie("session")  # signed out
    login_as("head_fin")
    assert "数据采集失败" not in client.get("/supervise/overdue").get_data(as_text=True)
    client.delete_cookie("session")  # signed out

    clock.advance(timedelta(hours=2))  # the quiet hour is over: the next arrival asks again
    source_server.serve("/finance", Reply(body=hotline(("DC-DC", "2026-12", 88))))
    third = _start("RS-RS")
    assert third.status == "completed"
    assert _runs()[-1] == ("finance", "succeeded")
    login_as("admin")
    assert "数据采集失败" not in client.get("/supervise/overdue").get_data(as_text=True)


def test_the_shipped_cycle_pulls_before_it_compares():
    tree = etree.parse(str(PROJECT_ROOT / "workflows" / "bpmn" / "annual_cycle.bpmn"))
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    flows = {
        f.get("sourceRef"): f.get("targetRef") for f in tree.iterfind(".//bpmn:sequenceFlow", ns)
    }
    assert flows["monitoring_join"] == "pull_sources" and flows["pull_sources"] == "compare_data"
