"""What the quarterly review, the data verification and the year-end scoring measure: the lines
of an instance's signed (locked) letter, each with its pure indicator definition and its
current actuals by source and period.

Library lines take the year's library definition with the letter's target; a department's own
lines (自定义指标) are defined as the letter policy defines them. Actuals exist only for library
indicators (`app.services.actuals`), so a department's own line has no values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Actual, Campaign, Indicator, LetterLine, ProcessInstance
from app.rules import quarterly
from app.rules.indicators import IndicatorDefinition
from app.rules.letter_policy import adhoc_definition
from app.services import letters, library
from app.services.errors import Conflict, NotFound

PULLED_SOURCES = ("pull", "file")  # in order of preference: a system's figure over a file's


@dataclass(frozen=True)
class Measure:
    line: LetterLine
    definition: IndicatorDefinition
    # source -> period key -> current value
    values: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    year: int = 0

    @property
    def key(self) -> str:
        return self.line.indicator_code or f"line-{self.line.position + 1}"

    @property
    def cumulative(self) -> bool:
        return quarterly.accumulates(self.definition)

    def merged(self) -> dict[str, Decimal]:
        """One value per period: pulled over imported over reported."""
        out: dict[str, Decimal] = {}
        for source in ("reported", "file", "pull"):
            out.update(self.values.get(source, {}))
        return out

    def year_value(self, source: str) -> Decimal | None:
        return quarterly.year_value(self.values.get(source, {}), self.year, self.cumulative)

    def pulled_year_value(self) -> tuple[Decimal | None, str | None]:
        for source in PULLED_SOURCES:
            value = self.year_value(source)
            if value is not None:
                return value, source
        return None, None


def instance(instance_id: int) -> ProcessInstance:
    found = db.session.get(ProcessInstance, instance_id)
    if found is None:
        raise NotFound(f"instance {instance_id} not found")
    return found


def measures(process: ProcessInstance) -> list[Measure]:
    """Every line of the instance's locked letter with its definition and current actuals."""
    letter = letters.current(process.id)
    if letter is None or letter.status != "locked":
        raise Conflict("the department's responsibility letter is not signed and locked yet")
    year = process.campaign.year
    rows = library.by_code(year, [ln.indicator_code for ln in letter.lines if ln.indicator_code])
    values = _values(process.department_id, year, [r.id for r in rows.values()])
    found = []
    for line in letter.lines:
        row = rows.get(line.indicator_code) if line.indicator_code else None
        if row is not None:
            definition = library.to_definition(row, line.target)
            line_values = values.get(row.id, {})
        else:
            definition = adhoc_definition(
                line.position, line.name, line.kind, line.direction,
                line.target, line.threshold, line.unit,
            )  # fmt: skip
            line_values = {}
        found.append(Measure(line, definition, line_values, year))
    return found


def _values(
    department_id: int, year: int, indicator_ids: list[int]
) -> dict[int, dict[str, dict[str, Decimal]]]:
    if not indicator_ids:
        return {}
    rows = db.session.execute(
        select(Actual.indicator_id, Actual.source, Actual.period, Actual.value)
        .join(Campaign, Campaign.id == Actual.campaign_id)
        .join(Indicator, Indicator.id == Actual.indicator_id)
        .where(
            Actual.department_id == department_id,
            Campaign.year == year,
            Actual.indicator_id.in_(indicator_ids),
            Actual.superseded_at.is_(None),
        )
    )
    out: dict[int, dict[str, dict[str, Decimal]]] = {}
    for indicator_id, source, period, value in rows:
        out.setdefault(indicator_id, {}).setdefault(source, {})[period] = value
    return out
