"""Fixtures of the spot-check tests: the one-month round diagram (tests/fixtures/
spot_check_round.bpmn: draw the March sample → verify → findings? → rectify → confirm), the
demo ledger of 预算科 (CZ-YS), and a signed letter measuring FIN-ERR and COM-JI."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Department,
    Finding,
    HumanTask,
    LetterLine,
    ProcessInstance,
    ResponsibilityLetter,
    SpotCheck,
)
from app.services import definitions, instances, ledger
from app.services.transactions import unit_of_work
from tests.conftest import person
from tests.engine.helpers import fixture

PROCESS = "spot_check_round"
# two findings of a verification: the first sampled entry against FIN-ERR, the third the total
TWO_FINDINGS_PAYLOAD = {
    0: {"description": "调整审批缺少分管领导签字", "points": "1.5", "indicator": "FIN-ERR"},
    2: {"description": "凭证附件不全", "points": "2", "evidence_note": "现场照片3张"},
}
LETTER_CODES = ("FIN-ERR", "COM-JI")


@dataclass(frozen=True)
class Round:
    department_id: int
    instance_id: int

    def check(self) -> SpotCheck:
        db.session.expire_all()
        return db.session.scalars(
            sa.select(SpotCheck).where(SpotCheck.instance_id == self.instance_id)
        ).one()

    def task(self, bpmn_id: str) -> HumanTask:
        db.session.expire_all()
        return db.session.scalars(
            sa.select(HumanTask).where(
                HumanTask.instance_id == self.instance_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.status == "ready",
            )
        ).one()

    def instance(self) -> ProcessInstance:
        db.session.expire_all()
        return db.session.get(ProcessInstance, self.instance_id)


def department(code: str) -> Department:
    return db.session.scalars(sa.select(Department).where(Department.code == code)).one()


def finding_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Finding))


@pytest.fixture
def round_diagram(org):
    unit_of_work(
        lambda: definitions.upload("spot_check_round.bpmn", fixture("spot_check_round.bpmn"), None)
    )


def seed_ledger(code: str = "CZ-YS", per_month: int = 12, year: int = 2026) -> None:
    unit_of_work(lambda: ledger.seed_demo(year, [department(code)], per_month=per_month))


def sign_letter(instance_id: int, code: str = "CZ-YS") -> None:
    """A locked (signed) letter of the department, measuring LETTER_CODES."""

    def make():
        dept = department(code)
        instance = db.session.get(ProcessInstance, instance_id)
        letter = ResponsibilityLetter(
            instance_id=instance_id,
            department_id=dept.id,
            campaign_id=instance.campaign_id,
            revision=1,
            status="locked",
            submitted_by_id=person("head_fin").id,
            lines=[
                LetterLine(
                    position=i,
                    indicator_code=indicator,
                    name=indicator,
                    kind="individual",
                    direction="higher",
                    weight=50,
                )
                for i, indicator in enumerate(LETTER_CODES)
            ],
        )
        db.session.add(letter)

    unit_of_work(make)


def start_round(code: str = "CZ-YS") -> Round:
    dept = department(code)
    instance = unit_of_work(
        lambda: instances.start(dept.id, 2026, person("admin"), process_key=PROCESS)
    )
    return Round(dept.id, instance.id)


@pytest.fixture
def spot_round(round_diagram) -> Round:
    """预算科's round with 12 ledger entries in March and a signed letter, started: the sample
    of five is drawn and the verification waits for the assessment group."""
    seed_ledger()
    started = start_round()
    sign_letter(started.instance_id)
    return started


def verdicts(check: SpotCheck, findings: dict[int, dict] | None = None) -> dict:
    """A verification payload: every sampled entry ok, except those in `findings` (by index
    in the sample), which get the given finding fields."""
    findings = findings or {}
    entries = []
    for i, entry_id in enumerate(check.sample_ids):
        if i in findings:
            entries.append({"entry_id": entry_id, "verdict": "finding", **findings[i]})
        else:
            entries.append({"entry_id": entry_id, "verdict": "ok"})
    return {"entries": entries}
