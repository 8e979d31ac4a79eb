"""Monthly spot checks (月度督查): draw the sample, verify it, rectify and confirm findings.

The stage in a diagram: `spot_checks.draw_sample` (service task) → `spot_check_verify`
(assessment group) → when there are findings, `finding_rectify` (department head) →
`finding_confirm` (assessment group). Each step runs inside the task completion's transaction
(the form effect) and flushes only; every write is audited.

Which spot check a form acts on: the one named by `spot_check_id` in the submission (pages send
the one they showed), else the instance's oldest spot check waiting for that step. A diagram
that checks months one after another has exactly one.

A sample is drawn once per instance and month: running the draw again for that month (a
retried instance, a diagram that loops back) returns the recorded sample, so nobody can redraw
until the sample suits them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.i18n import N_, Message
from app.models import (
    Campaign,
    Department,
    Evidence,
    Finding,
    LedgerEntry,
    Person,
    ProcessInstance,
    Rectification,
    ResponsibilityLetter,
    SpotCheck,
)
from app.models.spot_checks import FINDING_UNDECIDED
from app.rules import sampling
from app.rules.deductions import Deduction
from app.services import audit, ledger, permissions, score_texts
from app.services.errors import Conflict, Invalid, NotFound
from app.services.storage import storage

# -- drawing the sample ------------------------------------------------------------------------


def sample_size() -> int:
    return int(current_app.config.get("SPOT_CHECK_SAMPLE_SIZE", sampling.DEFAULT_SIZE))


def draw(
    instance: ProcessInstance, month: int, size: int | None = None, seed: int | None = None
) -> SpotCheck:
    """Draw (once) the sample of the instance's department's ledger for `month` of its year."""
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"month must be an integer 1..12, not {month!r}")
    size = sample_size() if size is None else size
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValueError(f"sample size must be an integer, not {size!r}")
    existing = db.session.scalars(
        select(SpotCheck).where(SpotCheck.instance_id == instance.id, SpotCheck.month == month)
    ).first()
    if existing is not None:
        return existing
    year = instance.campaign.year
    population = ledger.month_ids(instance.department_id, year, month)
    seed = sampling.new_seed() if seed is None else seed
    check = SpotCheck(
        instance_id=instance.id,
        department_id=instance.department_id,
        year=year,
        month=month,
        seed=seed,
        sample_size=size,
        population_ids=population,
        sample_ids=sampling.sample_ids(seed, population, size),
        drawn_at=clock.now(),
        status="drawn",
    )
    db.session.add(check)
    db.session.flush()
    audit.record(
        "spot_check.draw",
        None,
        "spot_check",
        check.id,
        instance_id=instance.id,
        department_id=instance.department_id,
        year=year,
        month=month,
        seed=str(seed),
        sample_ids=check.sample_ids,
        population=len(population),
    )
    return check


SKIP_REASONS = {
    "before_letter": N_("该月结束时绩效责任书尚未签订，无法督查。"),
    "no_working_day": N_("该月没有工作日，无法督查。"),
}


def record_skipped(instance: ProcessInstance, month: int, reason: str) -> SpotCheck:
    """A month that cannot be checked keeps a row saying why (status `skipped`), so that
    every month February to December has its check or its reason, where the centre looks."""
    existing = db.session.scalars(
        select(SpotCheck).where(SpotCheck.instance_id == instance.id, SpotCheck.month == month)
    ).first()
    if existing is not None:
        return existing
    check = SpotCheck(
        instance_id=instance.id,
        department_id=instance.department_id,
        year=instance.campaign.year,
        month=month,
        seed=0,
        sample_size=0,
        drawn_at=clock.now(),
        status="skipped",
        comment=SKIP_REASONS[reason],
    )
    db.session.add(check)
    db.session.flush()
    audit.record(
        "spot_check.skip", None, "spot_check", check.id, instance_id=instance.id, reason=reason
    )
    return check


def months_accounted(instance_id: int) -> set[int]:
    """Months of the instance with a drawn check or a recorded skip."""
    return set(
        db.session.scalars(select(SpotCheck.month).where(SpotCheck.instance_id == instance_id))
    )


def redraw(check: SpotCheck) -> list[int]:
    """The sample the recorded seed draws from the recorded population (equals `sample_ids`
    unless the row was tampered with)."""
    return sampling.sample_ids(check.seed, check.population_ids, check.sample_size)


def sample_entries(check: SpotCheck) -> list[LedgerEntry]:
    return ledger.by_ids(check.sample_ids)


# -- which spot check a form acts on -----------------------------------------------------------

_STEPS = {
    "verify": Message("没有等待核查的抽检"),
    "rectify": Message("没有等待整改的问题"),
    "confirm": Message("没有等待认定的问题"),
}


def _waits_for(check: SpotCheck, step: str) -> bool:
    if step == "verify":
        return check.status == "drawn"
    if check.status != "verified":
        return False
    wanted = ("open",) if step == "rectify" else FINDING_UNDECIDED
    return any(f.status in wanted for f in check.findings)


def pending(instance_id: int, step: str, spot_check_id: int | None = None) -> SpotCheck | None:
    """The spot check of the instance waiting for `step` (verify, rectify, confirm)."""
    checks = db.session.scalars(
        select(SpotCheck).where(SpotCheck.instance_id == instance_id).order_by(SpotCheck.id)
    ).all()
    if spot_check_id is not None:
        named = [c for c in checks if c.id == spot_check_id]
        if not named or not _waits_for(named[0], step):
            raise Invalid(
                "that spot check is not waiting for this step",
                fields={"spot_check_id": [_STEPS[step]]},
            )
        return named[0]
    return next((c for c in checks if _waits_for(c, step)), None)


def letter_codes(department_id: int, year: int) -> list[str]:
    """Indicator codes of the department's signed (locked) letter of the year, in its order."""
    letter = db.session.scalars(
        select(ResponsibilityLetter)
        .join(Campaign, Campaign.id == ResponsibilityLetter.campaign_id)
        .where(
            ResponsibilityLetter.department_id == department_id,
            Campaign.year == year,
            ResponsibilityLetter.status == "locked",
        )
        .order_by(ResponsibilityLetter.id.desc())
        .limit(1)
    ).first()
    if letter is None:
        return []
    return [line.indicator_code for line in letter.lines if line.indicator_code]


def _evidence(actor: Person, evidence_id: int | None, path: str, errors: dict) -> int | None:
    """An evidence file the actor uploaded (app.services.storage), by id."""
    if evidence_id is None:
        return None
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.uploaded_by_id != actor.id:
        errors[path] = [Message("佐证材料不存在")]
        return None
    return evidence.id


def _each_once(
    items: Sequence[Mapping[str, Any]],
    key: str,
    list_name: str,
    expected: Iterable[int],
    unknown: str,
    missing: str,
    errors: dict[str, list[str]],
) -> None:
    """Every id of `expected` answered exactly once, no other id: errors by field path."""
    wanted = set(expected)
    seen: set[int] = set()
    for i, item in enumerate(items):
        ident = item[key]
        if ident not in wanted:
            errors[f"{list_name}.{i}.{key}"] = [unknown]
        elif ident in seen:
            errors[f"{list_name}.{i}.{key}"] = [Message("同一项只能填写一次")]
        seen.add(ident)
    if wanted - seen:
        errors[list_name] = [missing]


# -- the three forms ---------------------------------------------------------------------------


def verify(instance: ProcessInstance, actor: Person, data: Mapping[str, Any]) -> int:
    """The assessment group's verdict on every sampled entry; returns the number of findings."""
    check = pending(instance.id, "verify", data.get("spot_check_id"))
    if check is None:
        raise Conflict(_STEPS["verify"])
    entries = data["entries"]
    errors: dict[str, list[str]] = {}
    numbers = {e.id: e.number for e in sample_entries(check)}
    _each_once(
        entries,
        "entry_id",
        "entries",
        check.sample_ids,
        Message("该台账不在本次抽检样本中"),
        Message("每条抽检台账都须填写核查结论"),
        errors,
    )
    codes = set(letter_codes(check.department_id, check.year))
    findings = []
    for i, item in enumerate(entries):
        if item["verdict"] != "finding":
            continue
        code = (item.get("indicator") or "").strip() or None
        if code is not None and code not in codes:
            errors[f"entries.{i}.indicator"] = [Message("责任书中没有指标 %(code)s", code=code)]
        evidence_id = _evidence(actor, item.get("evidence_id"), f"entries.{i}.evidence_id", errors)
        findings.append((item, code, evidence_id))
    if errors:
        raise Invalid("the verification has errors", fields=errors)

    now = clock.now()
    for item, code, evidence_id in findings:
        finding = Finding(
            spot_check_id=check.id,
            ledger_entry_id=item["entry_id"],
            description=item["description"].strip(),
            indicator_code=code,
            proposed_points=item["points"],
            status="open",
            evidence_note=(item.get("evidence_note") or "").strip() or None,
            evidence_id=evidence_id,
            found_by_id=actor.id,
            found_at=now,
        )
        db.session.add(finding)
        db.session.flush()
        audit.record(
            "finding.record",
            actor,
            "finding",
            finding.id,
            spot_check_id=check.id,
            entry=numbers.get(item["entry_id"]),
            indicator=code,
            points=f"{finding.proposed_points:f}",
        )
    check.status = "verified" if findings else "closed"
    check.verified_by_id = actor.id
    check.verified_at = now
    check.comment = (data.get("comment") or "").strip() or None
    db.session.flush()
    db.session.refresh(check, ["findings"])
    audit.record(
        "spot_check.verify",
        actor,
        "spot_check",
        check.id,
        checked=len(entries),
        findings=len(findings),
    )
    return len(findings)


def rectify(instance: ProcessInstance, actor: Person, data: Mapping[str, Any]) -> int:
    """The department's rectification of every open finding; returns how many it answered."""
    items = data["rectifications"]
    check = pending(instance.id, "rectify", data.get("spot_check_id"))
    open_findings = {f.id: f for f in check.findings if f.status == "open"} if check else {}
    errors: dict[str, list[str]] = {}
    _each_once(
        items,
        "finding_id",
        "rectifications",
        open_findings,
        Message("该问题不在待整改之列"),
        Message("每个问题都须填写整改情况"),
        errors,
    )
    evidence_ids = [
        _evidence(actor, item.get("evidence_id"), f"rectifications.{i}.evidence_id", errors)
        for i, item in enumerate(items)
    ]
    if errors:
        raise Invalid("the rectification has errors", fields=errors)
    now = clock.now()
    for item, evidence_id in zip(items, evidence_ids, strict=True):
        finding = open_findings[item["finding_id"]]
        rectification = Rectification(
            finding_id=finding.id,
            text=item["text"].strip(),
            evidence_note=(item.get("evidence_note") or "").strip() or None,
            evidence_id=evidence_id,
            by_id=actor.id,
            at=now,
        )
        db.session.add(rectification)
        finding.status = "rectified"
        db.session.flush()
        audit.record(
            "finding.rectify", actor, "finding", finding.id, rectification_id=rectification.id
        )
    return len(items)


def confirm(instance: ProcessInstance, actor: Person, data: Mapping[str, Any]) -> int:
    """The assessment group confirms (points kept or lowered) or dismisses every undecided
    finding; returns the number confirmed. The spot check is then closed."""
    items = data["decisions"]
    check = pending(instance.id, "confirm", data.get("spot_check_id"))
    undecided = {f.id: f for f in check.findings if f.status in FINDING_UNDECIDED} if check else {}
    errors: dict[str, list[str]] = {}
    _each_once(
        items,
        "finding_id",
        "decisions",
        undecided,
        Message("该问题不在待认定之列"),
        Message("每个问题都须作出认定"),
        errors,
    )
    for i, item in enumerate(items):
        finding = undecided.get(item["finding_id"])
        points = item.get("points")
        raised = points is not None and finding is not None and points > finding.proposed_points
        if item["decision"] == "confirm" and raised:
            errors[f"decisions.{i}.points"] = [
                Message(
                    "认定扣分不得高于拟扣分值 %(points)s", points=f"{finding.proposed_points:f}"
                )
            ]
    if errors:
        raise Invalid("the confirmation has errors", fields=errors)
    now = clock.now()
    confirmed = 0
    for item in items:
        finding = undecided[item["finding_id"]]
        if item["decision"] == "confirm":
            points = item.get("points")
            finding.confirmed_points = finding.proposed_points if points is None else points
            finding.status = "confirmed"
            confirmed += 1
        else:
            finding.confirmed_points = None
            finding.status = "dismissed"
        finding.decided_by_id = actor.id
        finding.decided_at = now
        finding.decision_comment = item["comment"].strip()
        audit.record(
            f"finding.{item['decision']}",
            actor,
            "finding",
            finding.id,
            proposed=f"{finding.proposed_points:f}",
            confirmed=None if finding.confirmed_points is None else f"{finding.confirmed_points:f}",
        )
    if check is not None and not any(f.status in FINDING_UNDECIDED for f in check.findings):
        check.status = "closed"
    db.session.flush()
    return confirmed


# -- reading -----------------------------------------------------------------------------------


def confirmed_deductions(
    department_id: int, year: int, include_pending: bool = False
) -> list[Deduction]:
    """The deductions of the department's year for `app.rules.deductions.apply_deductions`:
    every confirmed finding at its confirmed points. With `include_pending`, findings still
    open or under rectification come too, as unconfirmed (the rule lists them as skipped).
    Dismissed findings never count."""
    statuses = ("confirmed", *FINDING_UNDECIDED) if include_pending else ("confirmed",)
    rows = db.session.execute(
        select(Finding, SpotCheck.month, LedgerEntry.number)
        .join(SpotCheck, SpotCheck.id == Finding.spot_check_id)
        .join(LedgerEntry, LedgerEntry.id == Finding.ledger_entry_id)
        .where(
            SpotCheck.department_id == department_id,
            SpotCheck.year == year,
            Finding.status.in_(statuses),
        )
        .order_by(SpotCheck.month, Finding.id)
    ).all()
    deductions = []
    for finding, month, number in rows:
        confirmed = finding.status == "confirmed"
        points: Decimal = finding.confirmed_points if confirmed else finding.proposed_points
        params = score_texts.spot_check_params(year, month, number, finding.description)
        deductions.append(
            Deduction(
                points=points,
                reason=score_texts.deduction_text(params, translate=False),
                indicator=finding.indicator_code,
                confirmed=confirmed,
                source="spot_check",
                params=params,
            )
        )
    return deductions


def listing(actor: Person, department_id: int, year: int) -> list[SpotCheck]:
    """A department's spot checks of a year, by month (whoever may see the department)."""
    department = db.session.get(Department, department_id)
    if department is None or not permissions.may_view_department(actor, department):
        raise NotFound(f"department {department_id} not found")
    return list(
        db.session.scalars(
            select(SpotCheck)
            .where(SpotCheck.department_id == department_id, SpotCheck.year == year)
            .order_by(SpotCheck.month, SpotCheck.id)
        )
    )


def evidence_of(actor: Person, finding_id: int, rectification_id: int | None = None):
    """(Evidence, bytes) of a finding, or of one of its rectifications: for whoever may see the
    spot check's department (as the evidence of an actual); NotFound otherwise."""
    finding = db.session.get(Finding, finding_id)
    if finding is None or not permissions.may_view_department(actor, finding.spot_check.department):
        raise NotFound(f"finding {finding_id} not found")
    holder: Finding | Rectification | None = finding
    if rectification_id is not None:
        holder = next((r for r in finding.rectifications if r.id == rectification_id), None)
    if holder is None or holder.evidence is None:
        raise NotFound(f"finding {finding_id} has no such evidence")
    return holder.evidence, storage().read(holder.evidence.storage_key)
