"""The yearly indicator library (指标库): read, edit, retire, roll over to the next year, review.

Rows are converted to the pure `IndicatorDefinition` of `app.rules.indicators`, whose
`validate_indicator` is the one place the rules of a definition live; this module adds what
needs the database: unique codes per year, and refusing to change an indicator that a locked
(signed) letter of its year already measures against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (
    Campaign,
    DepartmentResult,
    Indicator,
    IndicatorTemplate,
    LetterLine,
    Person,
    ResponsibilityLetter,
    TemplateLine,
)
from app.rules import templates as seed
from app.rules.indicators import (
    Band,
    BarsLevel,
    Dimension,
    Direction,
    IndicatorDefinition,
    Kind,
    Method,
    Nature,
    validate_indicator,
)
from app.rules.review import fully_met
from app.services import audit, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

FIELDS = (
    "name", "name_en", "kind", "dimension", "nature", "method", "direction", "unit",
    "categories", "tags", "target", "threshold", "cap", "tolerance", "per_unit", "floor",
    "bands", "anchors", "data_source", "evidence",
)  # fmt: skip


def require_admin(actor: Person) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre edits the indicator library")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def to_definition(row: Indicator, target: Decimal | None = None) -> IndicatorDefinition:
    """The pure definition of a row; `target` overrides the library's (a letter's own)."""
    return IndicatorDefinition(
        code=row.code,
        name=row.name,
        name_en=row.name_en or "",
        kind=Kind(row.kind),
        nature=Nature(row.nature),
        method=Method(row.method),
        direction=Direction(row.direction),
        dimension=Dimension(row.dimension) if row.dimension else None,
        unit=row.unit or "",
        categories=frozenset(row.categories or ()),
        tags=frozenset(row.tags or ()),
        target=target if target is not None else _decimal(row.target),
        threshold=_decimal(row.threshold),
        cap=_decimal(row.cap) or Decimal(1),
        tolerance=_decimal(row.tolerance) or Decimal(0),
        per_unit=_decimal(row.per_unit),
        floor=_decimal(row.floor) or Decimal(0),
        bands=tuple(
            Band(_decimal(b.get("lower")), _decimal(b.get("upper")), Decimal(str(b["ratio"])))
            for b in row.bands or ()
        ),
        anchors=tuple(
            BarsLevel(int(a["level"]), a.get("description", ""), Decimal(str(a["ratio"])))
            for a in row.anchors or ()
        ),
        data_source=row.data_source or "",
        evidence=row.evidence or "",
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def columns_of(ind: IndicatorDefinition) -> dict[str, Any]:
    """The column values of a definition (bands and anchors as JSON with exact decimals)."""
    return {
        "name": ind.name,
        "name_en": ind.name_en,
        "kind": ind.kind.value,
        "dimension": ind.dimension.value if ind.dimension else None,
        "nature": ind.nature.value,
        "method": ind.method.value,
        "direction": ind.direction.value,
        "unit": ind.unit,
        "categories": sorted(ind.categories),
        "tags": sorted(ind.tags),
        "target": ind.target,
        "threshold": ind.threshold,
        "cap": ind.cap,
        "tolerance": ind.tolerance,
        "per_unit": ind.per_unit,
        "floor": ind.floor,
        "bands": [
            {"lower": _text(b.lower), "upper": _text(b.upper), "ratio": _text(b.ratio)}
            for b in ind.bands
        ],
        "anchors": [
            {"level": a.level, "description": a.description, "ratio": _text(a.ratio)}
            for a in ind.anchors
        ],
        "data_source": ind.data_source,
        "evidence": ind.evidence,
    }


def _definition_from(code: str, data: Mapping[str, Any]) -> IndicatorDefinition:
    """A definition from validated API data (enums already checked by the schema)."""
    return IndicatorDefinition(
        code=code,
        name=data["name"],
        name_en=data.get("name_en") or "",
        kind=Kind(data["kind"]),
        nature=Nature(data["nature"]),
        method=Method(data["method"]),
        direction=Direction(data["direction"]),
        dimension=Dimension(data["dimension"]) if data.get("dimension") else None,
        unit=data.get("unit") or "",
        categories=frozenset(data.get("categories") or ()),
        tags=frozenset(data.get("tags") or ()),
        target=data.get("target"),
        threshold=data.get("threshold"),
        cap=data.get("cap") if data.get("cap") is not None else Decimal(1),
        tolerance=data.get("tolerance") or Decimal(0),
        per_unit=data.get("per_unit"),
        floor=data.get("floor") or Decimal(0),
        bands=tuple(
            Band(b.get("lower"), b.get("upper"), b["ratio"]) for b in data.get("bands", ())
        ),
        anchors=tuple(
            BarsLevel(a["level"], a["description"], a["ratio"]) for a in data.get("anchors", ())
        ),
        data_source=data.get("data_source") or "",
        evidence=data.get("evidence") or "",
    )


def _validated(code: str, data: Mapping[str, Any]) -> IndicatorDefinition:
    definition = _definition_from(code, data)
    problems = validate_indicator(definition)
    if problems:
        fields: dict[str, list[str]] = {}
        for problem in problems:
            fields.setdefault(problem.field, []).append(problem.message)
        raise Invalid("the indicator has errors", fields=fields)
    return definition


# --- reading ---------------------------------------------------------------------------------


def listing(
    year: int,
    *,
    kind: str | None = None,
    category: str | None = None,
    include_retired: bool = False,
) -> list[Indicator]:
    query = select(Indicator).where(Indicator.year == year).order_by(Indicator.code)
    if kind:
        query = query.where(Indicator.kind == kind)
    if not include_retired:
        query = query.where(Indicator.retired.is_(False))
    rows = list(db.session.scalars(query))
    if category:  # JSON membership differs per database; the library is small
        rows = [r for r in rows if not r.categories or category in r.categories]
    return rows


def get(indicator_id: int) -> Indicator:
    row = db.session.get(Indicator, indicator_id)
    if row is None:
        raise NotFound(f"indicator {indicator_id} not found")
    return row


def by_code(year: int, codes: Iterable[str]) -> dict[str, Indicator]:
    wanted = set(codes)
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(Indicator).where(Indicator.year == year, Indicator.code.in_(wanted))
    )
    return {row.code: row for row in rows}


def years() -> list[int]:
    return list(db.session.scalars(select(Indicator.year).distinct().order_by(Indicator.year)))


# --- writing ---------------------------------------------------------------------------------


def create(actor: Person, year: int, code: str, data: Mapping[str, Any]) -> Indicator:
    require_admin(actor)
    definition = _validated(code, data)
    if by_code(year, [code]):
        raise Conflict(f"indicator {code} already exists in {year}")
    row = Indicator(year=year, code=code, **columns_of(definition))
    db.session.add(row)
    db.session.flush()
    audit.record("indicator.create", actor, "indicator", row.id, year=year, code=code)
    return row


def _locked_letters_use(row: Indicator) -> bool:
    return (
        db.session.scalar(
            select(LetterLine.id)
            .join(ResponsibilityLetter, ResponsibilityLetter.id == LetterLine.letter_id)
            .join(Campaign, Campaign.id == ResponsibilityLetter.campaign_id)
            .where(
                Campaign.year == row.year,
                ResponsibilityLetter.status == "locked",
                LetterLine.indicator_code == row.code,
            )
            .limit(1)
        )
        is not None
    )


def update(actor: Person, indicator_id: int, data: Mapping[str, Any]) -> Indicator:
    require_admin(actor)
    row = get(indicator_id)
    if _locked_letters_use(row):
        raise Conflict(
            f"{row.code} is measured by a signed letter of {row.year}; change next year's version"
        )
    definition = _validated(row.code, data)
    before = {field: _jsonable(getattr(row, field)) for field in FIELDS}
    for field, value in columns_of(definition).items():
        setattr(row, field, value)
    row.updated_at = clock.now()
    db.session.flush()
    after = {field: _jsonable(getattr(row, field)) for field in FIELDS}
    changed = {f: {"from": before[f], "to": after[f]} for f in FIELDS if before[f] != after[f]}
    audit.record("indicator.update", actor, "indicator", row.id, code=row.code, changed=changed)
    return row


def _jsonable(value: Any) -> Any:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else value


def set_retired(actor: Person, indicator_id: int, retired: bool) -> Indicator:
    """Retire (or restore) an indicator; rows are never deleted, letters name them."""
    require_admin(actor)
    row = get(indicator_id)
    in_templates = db.session.scalar(
        select(TemplateLine.id).where(TemplateLine.indicator_id == row.id).limit(1)
    )
    if retired and in_templates is not None:
        raise Conflict(f"{row.code} is used by a template; take it out of the template first")
    row.retired = retired
    row.updated_at = clock.now()
    db.session.flush()
    audit.record("indicator.retire" if retired else "indicator.restore", actor, "indicator", row.id)
    return row


def roll_over(
    actor: Person, from_year: int, to_year: int, drop: Iterable[str] = ()
) -> dict[str, Any]:
    """Make `to_year`'s library and templates as copies of `from_year`'s, leaving out the codes
    in `drop` (the yearly review's candidates) and retired indicators."""
    require_admin(actor)
    if to_year <= from_year:
        raise Invalid("bad year", fields={"to_year": ["新年度必须晚于来源年度"]})
    if db.session.scalar(select(Indicator.id).where(Indicator.year == to_year).limit(1)):
        raise Conflict(f"the {to_year} library already exists")
    dropped = set(drop)
    source = [r for r in listing(from_year) if r.code not in dropped]
    if not source:
        raise NotFound(f"no indicator library for {from_year}")
    copies = {}
    for row in source:
        copy = Indicator(year=to_year, code=row.code, **{f: getattr(row, f) for f in FIELDS})
        db.session.add(copy)
        copies[row.id] = copy
    db.session.flush()
    for template in db.session.scalars(
        select(IndicatorTemplate).where(IndicatorTemplate.year == from_year)
    ):
        db.session.add(
            IndicatorTemplate(
                year=to_year,
                category=template.category,
                name=template.name,
                lines=[
                    TemplateLine(
                        indicator_id=copies[line.indicator_id].id,
                        position=line.position,
                        weight=line.weight,
                        target=line.target,
                    )
                    for line in template.lines
                    if line.indicator_id in copies
                ],
            )
        )
    db.session.flush()
    audit.record(
        "indicator.roll_over",
        actor,
        "indicator_library",
        to_year,
        from_year=from_year,
        dropped=sorted(dropped),
        copied=len(copies),
    )
    return {"year": to_year, "copied": len(copies), "dropped": sorted(dropped)}


def review(year: int) -> dict[str, Any]:
    """The yearly review: indicators every department that carried them fully met (candidates
    for removal), from the per-line ratios stored with each department's result."""
    ratios: dict[int, dict[str, Decimal]] = {}
    results = db.session.scalars(
        select(DepartmentResult).join(Campaign).where(Campaign.year == year)
    )
    for result in results:
        lines = (result.detail or {}).get("lines", [])
        ratios[result.department_id] = {
            line["code"]: Decimal(str(line["ratio"]))
            for line in lines
            if line.get("code") and line.get("ratio") is not None
        }
    flagged = fully_met(ratios)
    kept = [row.code for row in listing(year) if row.code not in flagged]
    return {"year": year, "departments": len(ratios), "flagged": sorted(flagged), "kept": kept}


# --- seeding ---------------------------------------------------------------------------------


def seed_year(year: int) -> int:
    """Load the seed library and templates (`app.rules.templates`) for a year that has none;
    returns the number of indicators added. Used by the demo data and `flask seed-library`."""
    if db.session.scalar(select(Indicator.id).where(Indicator.year == year).limit(1)):
        return 0
    rows = {
        code: Indicator(year=year, code=code, **columns_of(ind))
        for code, ind in seed.LIBRARY.items()
    }
    db.session.add_all(rows.values())
    db.session.flush()
    for category, template in seed.TEMPLATES.items():
        db.session.add(
            IndicatorTemplate(
                year=year,
                category=str(category),
                name=template.name,
                lines=[
                    TemplateLine(
                        indicator_id=rows[line.indicator.code].id, position=i, weight=line.weight
                    )
                    for i, line in enumerate(template.lines)
                ],
            )
        )
    db.session.flush()
    return len(rows)
