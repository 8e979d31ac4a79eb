"""The data the page sweep visits: a campaign year of a small synthetic city, simulated
(app/simulation.py) until every kind of task page has a task waiting on it.

The simulation plays every person; this one "holds" an instance as soon as it offers a task
of a form (and variant) not held yet: nobody acts on that instance any more, so its task
stays ready for the sweep to open. The others run on — through publication to the appeals —
until every variant is held. Held instances count as "not to be scored" for the publication.
Appeals are always filed and each spot check finds something, so the conditional steps
(rectify, confirm, decide) happen for certain.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select

from app import clock, simulation
from app.demo import _demo_hash
from app.engine.definitions import parse_xml
from app.extensions import db
from app.forms.catalog import FORMS, is_anonymous_ballot
from app.models import (
    Actual,
    HumanTask,
    Indicator,
    IndicatorTemplate,
    Person,
    ProcessDefinition,
    ProcessInstance,
)
from app.services import actuals, ballots, definitions, results
from app.services.transactions import unit_of_work
from tests.engine.helpers import fixture

YEAR = 2026
DEPARTMENTS = 12
SEED = 5
NEVER = datetime(9999, 1, 1, tzinfo=clock.LOCAL_ZONE)


def variant_of(task: HumanTask) -> str:
    """A task page kind: its form key, and for the ballot whether it is the anonymous peer one."""
    if task.form_key == "ballot":
        return "ballot:peer" if is_anonymous_ballot(task.form_key, task.role) else "ballot:leader"
    return task.form_key or ""


# Forms whose tasks come only after the appeal window closed (when every held appeal task is
# gone): their pages are visited, filled in and submitted by their own browser test.
SWEPT_ELSEWHERE = {
    "improvement_plan": "tests/browser/test_improvement_plan_browser.py",
    "improvement_check": "tests/browser/test_improvement_plan_browser.py",
}
WANTED = tuple(
    v
    for key in FORMS
    if key not in SWEPT_ELSEWHERE
    for v in ((f"{key}:leader", f"{key}:peer") if key == "ballot" else (key,))
)


class _AllHeld(Exception):
    """Every wanted variant has a ready task: stop before timers cancel any of them."""


class _SweepPeople(simulation.People):
    def _spot_check_verify(self, task: HumanTask) -> dict[str, Any]:
        payload = super()._spot_check_verify(task)
        first = payload["entries"][0]
        if first["verdict"] == "ok":
            first |= {"verdict": "finding", "description": "凭证缺失。", "points": "1"}
        return payload

    def _appeal_file(self, task: HumanTask) -> dict[str, Any]:
        return {"decision": "appeal", "reasons": "部分扣分依据不足，请求复核。"}


class HoldingSimulation(simulation.YearSimulation):
    def __init__(self, wanted: tuple[str, ...] = WANTED) -> None:
        super().__init__(YEAR, seed=SEED)
        self.wanted = wanted
        self.held: dict[str, int] = {}  # variant -> ready task id
        self.held_instances: set[int] = set()

    def _plan(self, task: HumanTask, now: datetime) -> datetime:
        """The first ready task of each wanted variant holds its instance: nobody acts on
        that instance again, so the task stays open for the sweep."""
        variant = variant_of(task)
        if variant in self.wanted and variant not in self.held:
            self.held[variant] = task.id
            self.held_instances.add(task.instance_id)
        if task.instance_id in self.held_instances:
            return NEVER
        return super()._plan(task, now)

    def _complete(self, task_id: int, people, summary) -> None:
        # a task planned before its instance was held
        if db.session.get(HumanTask, task_id).instance_id not in self.held_instances:
            super()._complete(task_id, people, summary)

    def _people_work(self, people, summary) -> None:
        super()._people_work(people, summary)
        if set(self.wanted) <= set(self.held):
            raise _AllHeld

    def _import_pulled_year(self) -> None:
        """The year's "pulled" figures, each 3 % below the reported one, so data verification
        happens (figures that such a change makes invalid, e.g. counts, are left out)."""
        reported = db.session.scalars(
            select(Actual).where(
                Actual.source == "reported",
                Actual.period == str(YEAR),
                Actual.superseded_at.is_(None),
            )
        )
        rows = [
            actuals.SourceRow(
                n,
                a.department.code,
                a.indicator.code,
                str(YEAR),
                (a.value * Decimal("0.97")).quantize(Decimal("0.01")),
            )
            for n, a in enumerate(reported, start=1)
        ]
        checked, _ = actuals.check_rows(rows)
        actuals.record_rows(checked, "file", "sweep", None)

    def _centre(self, total: int, summary) -> None:
        """Once the others are scored, the centre records a result by hand for each held
        department (publication wants every department's), then publishes as usual."""
        waiting = db.session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.status == "waiting_message")
        )
        others = total - len(self.held_instances)
        if not self.published and waiting >= others:
            for instance_id in sorted(self.held_instances):
                department_id = db.session.get(ProcessInstance, instance_id).department_id
                unit_of_work(
                    lambda d=department_id: results.record_result(
                        simulation._centre(), YEAR, d, "80"
                    )
                )
        super()._centre(others, summary)


def hold_year_at(wanted: tuple[str, ...], departments: int) -> HoldingSimulation:
    """A simulated year of a small city, run until a task of each `wanted` variant is ready;
    everyone gets the demo password. Leaves the simulation's clock installed (the caller puts
    the previous one back)."""
    unit_of_work(lambda: definitions.load_directory(current_app.config["BPMN_DIR"]))
    sim = HoldingSimulation(wanted=wanted)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simulation, "People", _SweepPeople)
        with contextlib.suppress(_AllHeld):
            sim.run(lambda: simulation.synthetic_city(departments, YEAR))
    assert set(wanted) <= set(sim.held), f"the year never offered {wanted}"
    for someone in db.session.scalars(select(Person)):
        someone.password_hash = _demo_hash()
    db.session.commit()
    clock.install(sim.clock)
    return sim


@dataclass
class Scenario:
    """What the sweep's URLs are built from."""

    tasks: dict[str, int]  # variant -> ready task id
    actors: dict[str, str]  # variant -> username of a person who may act on it
    centre: str
    head: str  # the head of a department that has a published result
    scored_department: int
    survey_token: str
    year: int = YEAR
    ids: dict[str, int] = field(default_factory=dict)


def build() -> Scenario:
    """Run the held simulation, give everyone the demo password, and pick the URL args."""
    unit_of_work(lambda: definitions.load_directory(current_app.config["BPMN_DIR"]))
    sim = HoldingSimulation()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simulation, "People", _SweepPeople)
        with contextlib.suppress(_AllHeld):
            sim.run(lambda: simulation.synthetic_city(DEPARTMENTS, YEAR))
    missing = [v for v in WANTED if v not in sim.held]
    assert not missing, f"the simulation never offered a task of {missing}"
    closed = {
        v: t.status
        for v, i in sim.held.items()
        if (t := db.session.get(HumanTask, i)).status != "ready"
    }
    failed = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.error_message).where(
            ProcessInstance.status == "error"
        )
    ).all()
    assert not closed and not failed, f"held tasks no longer ready: {closed}; failed: {failed}"
    clock.install(sim.clock)  # the pages see the moment the simulation stopped at

    def finish() -> Scenario:
        for someone in db.session.scalars(select(Person)):
            someone.password_hash = _demo_hash()
        tasks = {v: db.session.get(HumanTask, i) for v, i in sim.held.items()}
        actors = {v: simulation._actor_for(t).username for v, t in tasks.items()}
        appeal = tasks["appeal_file"]
        head = actors["appeal_file"]
        [(_, token)] = ballots.issue_links_for(appeal.instance.campaign, appeal.department, 1)
        for name in ("versioned_v1.bpmn", "versioned_v2.bpmn"):  # a version with a previous
            newer, _ = definitions.upload(name, fixture(name), None)
        return Scenario(
            tasks=sim.held,
            actors=actors,
            centre=simulation._centre().username,
            head=head,
            scored_department=appeal.department_id,
            survey_token=token,
            ids={
                "instance": appeal.instance_id,
                "definition": newer.id,
                "indicator": db.session.scalars(select(Indicator.id)).first(),
                "template": db.session.scalars(select(IndicatorTemplate.id)).first(),
            },
        )

    return unit_of_work(finish)


# Columns the app itself writes Chinese into (not data people or the demo entered): their text
# must not excuse Chinese on an English page.
SYSTEM_WRITTEN = {"notice.message", "department_result.detail"}


def data_text(longest: int = 1000) -> str:
    """Every text value stored in the database (string columns and the strings inside JSON
    columns; of a text of several lines, each line), one a line: what pages may show
    untranslated in English because people or the demo data wrote it. Long values (diagram
    sources) are left out."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(value) <= longest:
                found.update(line.strip() for line in value.splitlines() if line.strip())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for table in db.metadata.sorted_tables:
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, sa.String | sa.Text | sa.JSON)
            and f"{table.name}.{c.name}" not in SYSTEM_WRITTEN
        ]
        if columns:
            for row in db.session.execute(select(*columns).select_from(table)):
                walk(list(row))
    # what diagrams and decision tables say (names, labels, rule annotations) is theirs too
    for source in db.session.scalars(select(ProcessDefinition.source)):
        root, _ = parse_xml(source.encode())
        for element in root.iter():
            walk([element.text or "", element.get("name") or "", element.get("label") or ""])
    return "\n".join(sorted(found))
