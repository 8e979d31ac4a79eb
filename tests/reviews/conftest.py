"""Vocabulary of the quarterly-review, data-verification and year-end scoring tests: an
instance of the small `quarter_and_year_end` process for 预算科 (CZ-YS) with a signed letter
written straight into the database, actuals by source and period, and a handler context."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import (
    Actual,
    HumanTask,
    Indicator,
    LetterLine,
    ProcessInstance,
    ResponsibilityLetter,
)
from app.services import definitions, instances
from app.services.transactions import unit_of_work
from handlers import HandlerContext
from tests.conftest import person
from tests.engine.helpers import fixture

PROCESS = "quarter_and_year_end"
D = Decimal

# Two lines of the seed's finance library (财务报表差错率 ≤0.5 %, threshold 1.0 %, weight 20;
# 资金支付及时率 ≥100 %, threshold 90 %) and the common 出勤 line, counted in 次.
FINANCE_LINES = (
    ("FIN-ERR", "财务报表差错率", "individual", "lower", "0.5", "1.0", "%", "20"),
    ("FIN-PAY", "资金支付及时率", "individual", "higher", "100", "90", "%", "80"),
)


@dataclass
class Setup:
    instance: ProcessInstance
    lines: dict[str, LetterLine]

    @property
    def ctx(self) -> HandlerContext:
        i = self.instance
        data = {"instance_id": i.id, "department_id": i.department_id, "year": 2026}
        return HandlerContext(i.id, i.department_id, i.campaign_id, data)

    def task(self, form_key: str) -> HumanTask:
        db.session.expire_all()
        return db.session.scalars(
            sa.select(HumanTask).where(
                HumanTask.instance_id == self.instance.id, HumanTask.form_key == form_key
            )
        ).one()


def signed_letter(instance: ProcessInstance, lines=FINANCE_LINES) -> dict[str, LetterLine]:
    def write():
        letter = ResponsibilityLetter(
            instance_id=instance.id,
            department_id=instance.department_id,
            campaign_id=instance.campaign_id,
            revision=1,
            status="locked",
            submitted_by_id=person("head_fin").id,
            submitted_at=clock.now(),
            locked_at=clock.now(),
            lines=[
                LetterLine(
                    position=i,
                    indicator_code=code,
                    name=name,
                    kind=kind,
                    direction=direction,
                    target=D(target),
                    threshold=D(threshold) if threshold else None,
                    unit=unit,
                    weight=D(weight),
                )
                for i, (code, name, kind, direction, target, threshold, unit, weight) in enumerate(
                    lines
                )
            ],
        )
        db.session.add(letter)
        db.session.flush()
        return {line.indicator_code or line.name: line.id for line in letter.lines}

    ids = unit_of_work(write)
    return {key: db.session.get(LetterLine, line_id) for key, line_id in ids.items()}


def put_actual(department_id: int, code: str, period: str, source: str, value: str) -> None:
    """The current value of one source (a later call for the same key supersedes)."""

    def write():
        indicator = db.session.scalars(
            sa.select(Indicator).where(Indicator.year == 2026, Indicator.code == code)
        ).one()
        current = db.session.scalars(
            sa.select(Actual).where(
                Actual.department_id == department_id,
                Actual.indicator_id == indicator.id,
                Actual.period == period,
                Actual.source == source,
                Actual.superseded_at.is_(None),
            )
        ).first()
        campaign_id = db.session.scalars(
            sa.select(ProcessInstance.campaign_id).where(
                ProcessInstance.department_id == department_id
            )
        ).first()
        actual = Actual(
            campaign_id=campaign_id,
            department_id=department_id,
            indicator_id=indicator.id,
            period=period,
            source=source,
            origin="test",
            value=D(value),
            revision=current.revision + 1 if current else 1,
            recorded_at=clock.now(),
        )
        db.session.add(actual)
        db.session.flush()
        if current is not None:
            current.superseded_at = clock.now()
            current.superseded_by_id = actual.id

    unit_of_work(write)


@pytest.fixture
def setup(org) -> Setup:
    unit_of_work(lambda: definitions.upload(f"{PROCESS}.bpmn", fixture(f"{PROCESS}.bpmn"), None))
    started = unit_of_work(
        lambda: instances.start(org["CZ-YS"].id, 2026, person("admin"), process_key=PROCESS)
    )
    instance = db.session.get(ProcessInstance, started.id)
    return Setup(instance, signed_letter(instance))
