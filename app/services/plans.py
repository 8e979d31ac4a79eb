"""Templates per function category and the department plans made from them.

The centre keeps one template per category and year (财务部门, 督查部门 …), applies it to many
departments at once, then adjusts a single department where it differs. The result, a
department's plan, is where that department's target-setting form starts. Templates and plans
obey the same letter policy as the letter itself, under the category of the department (or of
the template), so a plan that passes here is a letter that can be signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import (
    Campaign,
    Department,
    DepartmentPlan,
    Indicator,
    IndicatorTemplate,
    Person,
    PlanLine,
    ProcessInstance,
    TemplateLine,
)
from app.rules.letter_policy import (
    LetterLine,
    letter_violations,
    violation_fields,
    weight_total_message,
)
from app.services import audit, library, permissions
from app.services.errors import Invalid, NotFound
from app.services.instances import campaign_for


@dataclass(frozen=True)
class ResolvedLine:
    indicator: Indicator
    weight: Decimal
    target: Decimal | None  # None: the indicator's own


def resolve(year: int, category: str, lines: Sequence[Mapping[str, Any]]) -> list[ResolvedLine]:
    """Library lines `{indicator: code, weight, target?}` checked against the year's library
    and the category's letter policy; raises Invalid with every problem by field path."""
    rows = library.by_code(year, [line["indicator"] for line in lines])
    errors: dict[str, list[str]] = {}
    resolved = []
    for i, line in enumerate(lines):
        row = rows.get(line["indicator"])
        if row is None or row.retired:
            errors[f"lines.{i}.indicator"] = [
                Message("%(year)s 年度指标库中没有指标 %(code)s", year=year, code=line["indicator"])
            ]
            continue
        resolved.append(ResolvedLine(row, line["weight"], line.get("target")))
    if not errors:
        policy_lines = [
            LetterLine(library.to_definition(r.indicator, r.target), r.weight) for r in resolved
        ]
        errors = violation_fields(letter_violations(policy_lines, category))
        total = sum((r.weight for r in resolved), Decimal(0))
        if total != Decimal(100):
            errors["weight_total"] = [weight_total_message(100, total)]
    if errors:
        raise Invalid("the lines break the indicator rules", fields=errors)
    return resolved


# --- templates -------------------------------------------------------------------------------


def templates(year: int) -> list[IndicatorTemplate]:
    return list(
        db.session.scalars(
            select(IndicatorTemplate)
            .where(IndicatorTemplate.year == year)
            .order_by(IndicatorTemplate.category)
        )
    )


def template(template_id: int) -> IndicatorTemplate:
    found = db.session.get(IndicatorTemplate, template_id)
    if found is None:
        raise NotFound(f"template {template_id} not found")
    return found


def save_template(
    actor: Person, year: int, category: str, name: str, lines: Sequence[Mapping[str, Any]]
) -> IndicatorTemplate:
    """Create or replace the year's template of a category."""
    library.require_admin(actor)
    resolved = resolve(year, category, lines)
    found = db.session.scalars(
        select(IndicatorTemplate).where(
            IndicatorTemplate.year == year, IndicatorTemplate.category == category
        )
    ).first()
    if found is None:
        found = IndicatorTemplate(year=year, category=category, name=name)
        db.session.add(found)
    found.name = name
    found.updated_at = clock.now()
    found.lines = [
        TemplateLine(indicator_id=r.indicator.id, position=i, weight=r.weight, target=r.target)
        for i, r in enumerate(resolved)
    ]
    db.session.flush()
    audit.record(
        "template.save",
        actor,
        "indicator_template",
        found.id,
        year=year,
        category=category,
        lines=[[r.indicator.code, f"{r.weight:f}"] for r in resolved],
    )
    return found


# --- department plans ------------------------------------------------------------------------


def plan(year: int, department_id: int) -> DepartmentPlan | None:
    return db.session.scalars(
        select(DepartmentPlan)
        .join(Campaign)
        .where(Campaign.year == year, DepartmentPlan.department_id == department_id)
    ).first()


def plan_for(actor: Person, year: int, department_id: int) -> DepartmentPlan:
    department = db.session.get(Department, department_id)
    if department is None or not permissions.may_view_department(actor, department):
        raise NotFound(f"department {department_id} not found")
    found = plan(year, department_id)
    if found is None:
        raise NotFound(f"department {department_id} has no plan for {year}")
    return found


def plans(actor: Person, year: int) -> list[DepartmentPlan]:
    return list(
        db.session.scalars(
            select(DepartmentPlan)
            .join(Campaign)
            .where(
                Campaign.year == year,
                DepartmentPlan.department_id.in_(permissions.visible_departments(actor)),
            )
            .order_by(DepartmentPlan.department_id)
        )
    )


def _departments(ids: Iterable[int]) -> list[Department]:
    wanted = sorted(set(ids))
    rows = db.session.scalars(select(Department).where(Department.id.in_(wanted)))
    found = {d.id: d for d in rows}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(
            "unknown departments",
            fields={
                "department_ids": [Message("没有这些科室：%(ids)s", ids=[str(m) for m in missing])]
            },
        )
    return [found[i] for i in wanted]


def _write_plan(
    actor: Person, year: int, department: Department, resolved: list[ResolvedLine], **attrs: Any
) -> DepartmentPlan:
    campaign = campaign_for(year)
    found = plan(year, department.id)
    if found is None:
        found = DepartmentPlan(campaign_id=campaign.id, department_id=department.id)
        db.session.add(found)
    for key, value in attrs.items():
        setattr(found, key, value)
    found.updated_at = clock.now()
    found.updated_by_id = actor.id
    found.lines = [
        PlanLine(indicator_id=r.indicator.id, position=i, weight=r.weight, target=r.target)
        for i, r in enumerate(resolved)
    ]
    return found


def assign(
    actor: Person,
    template_id: int,
    department_ids: Iterable[int],
    *,
    overwrite: bool = False,
) -> dict[str, list[int]]:
    """Apply a template to many departments at once. A department whose plan was adjusted by
    hand keeps it unless `overwrite`; every department's plan must pass the letter policy
    under its own category, or nothing is written."""
    library.require_admin(actor)
    source = template(template_id)
    departments = _departments(department_ids)
    if not departments:
        raise Invalid("no departments", fields={"department_ids": [Message("请至少选择一个科室")]})
    lines = [
        {"indicator": ln.indicator.code, "weight": ln.weight, "target": ln.target}
        for ln in source.lines
    ]
    assigned, skipped = [], []
    errors: dict[str, list[str]] = {}
    for department in departments:
        existing = plan(source.year, department.id)
        if existing is not None and existing.adjusted and not overwrite:
            skipped.append(department.id)
            continue
        try:
            resolved = resolve(source.year, department.function_category, lines)
        except Invalid as exc:
            for messages in exc.extra["fields"].values():
                errors.setdefault(f"department_ids.{department.id}", []).extend(messages)
            continue
        _write_plan(actor, source.year, department, resolved, template_id=source.id, adjusted=False)
        assigned.append(department.id)
    if errors:
        raise Invalid("the template does not fit some departments", fields=errors)
    db.session.flush()
    audit.record(
        "plan.assign",
        actor,
        "indicator_template",
        source.id,
        year=source.year,
        assigned=assigned,
        skipped=skipped,
    )
    return {"assigned": assigned, "skipped": skipped}


def adjust(
    actor: Person, year: int, department_id: int, lines: Sequence[Mapping[str, Any]]
) -> DepartmentPlan:
    """Replace one department's plan by hand; later bulk assignments leave it alone."""
    library.require_admin(actor)
    [department] = _departments([department_id])
    resolved = resolve(year, department.function_category, lines)
    found = _write_plan(actor, year, department, resolved, adjusted=True)
    db.session.flush()
    audit.record(
        "plan.adjust",
        actor,
        "department_plan",
        found.id,
        year=year,
        department_id=department_id,
        lines=[[r.indicator.code, f"{r.weight:f}"] for r in resolved],
    )
    return found


def draft_lines(instance: ProcessInstance) -> list[dict[str, Any]] | None:
    """The department's plan as target-setting form lines, or None when it has none."""
    found = plan(instance.campaign.year, instance.department_id)
    if found is None or not found.lines:
        return None
    return [
        {
            "indicator": ln.indicator.code,
            "name": ln.indicator.name,
            "kind": ln.indicator.kind,
            "direction": ln.indicator.direction,
            "target": ln.target if ln.target is not None else ln.indicator.target,
            "threshold": ln.indicator.threshold,
            "unit": ln.indicator.unit,
            "weight": ln.weight,
        }
        for ln in found.lines
    ]
