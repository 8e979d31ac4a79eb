"""A small city with overdue steps, for the overdue board's tests (page, API, browser).

Instances start on different days, 预算科's draft is claimed, 会计科's draft is sent so its
leader's review is waiting, Friday 16 January 2026 is a public holiday; then the clock stands
at Tuesday 20 January 2026, 10:00 in Beijing, and one escalation sweep has run:

| department | step | due (Beijing) | state | card | days | working days | holder (—: none) |
|---|---|---|---|---|---|---|---|
| 预算科 CZ-YS | 起草绩效责任书 | Thu 15 Jan 09:00 | overdue | red | 5 | 2 (19th, 20th) | 陈晓 |
| 会计科 CZ-KJ | 分管领导审核责任书 | Sat 17 Jan 09:00 | overdue | red | 3 | 2 | — (分管领导) |
| 人事科 RS-RS | 起草绩效责任书 | Mon 19 Jan 09:00 | overdue | yellow | 1 | 1 | — (科室负责人) |
| 督查科 DC-DC | 起草绩效责任书 | Wed 21 Jan 09:00 | due soon | (reminder) | 0 | 0 | — |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Department, HumanTask
from app.services import assignments, calendar, escalation, instances
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person, start_instance

NOW = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing
HOLIDAY = date(2026, 1, 16)


@dataclass(frozen=True)
class OverdueCity:
    departments: dict[str, int]
    instances: dict[str, int]
    tasks: dict[str, int]  # the waiting step of each department, by department code
    swept: dict[str, int]


def _ready(instance_id: int) -> HumanTask:
    return db.session.scalars(
        sa.select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "ready"
        )
    ).one()


def _at(clock, day: int) -> None:
    clock.set(datetime(2026, 1, day, 1, 0, tzinfo=UTC))  # 09:00 in Beijing


def build(clock, holiday: bool = True) -> OverdueCity:
    started = {}
    _at(clock, 5)
    started["CZ-YS"] = start_instance("CZ-YS").id
    started["CZ-KJ"] = start_instance("CZ-KJ").id
    unit_of_work(lambda: assignments.claim(_ready(started["CZ-YS"]).id, person("head_fin")))
    _at(clock, 9)
    started["RS-RS"] = start_instance("RS-RS").id
    _at(clock, 11)
    started["DC-DC"] = start_instance("DC-DC").id
    _at(clock, 12)
    draft = _ready(started["CZ-KJ"]).id
    unit_of_work(lambda: instances.complete_task(draft, person("head_kj"), VALID_LETTER))
    if holiday:
        admin = person("admin")
        unit_of_work(
            lambda: calendar.replace_year(
                admin, 2026, [{"day": HOLIDAY, "working": False, "note": "测试假日"}]
            )
        )
    clock.set(NOW)
    swept = escalation.sweep()
    db.session.expire_all()
    return OverdueCity(
        departments={d.code: d.id for d in db.session.scalars(sa.select(Department))},
        instances=started,
        tasks={code: _ready(instance_id).id for code, instance_id in started.items()},
        swept=swept,
    )
