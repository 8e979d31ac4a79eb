"""Pure rules of actuals (实际值): periods and values. No database.

A period is text that sorts in time order within its kind and says what it covers:
- `YYYY-MM`  a month (月度), `2026-03`;
- `YYYY-Qn`  a quarter (季度), `2026-Q1` … `2026-Q4`;
- `YYYY`     the year (年终).
Accepted spellings when reading files: `2026-3`, `2026/03`, `202603`, `2026年3月`, `2026q1`,
`2026年第1季度`, `2026年`, and Excel's date of the month's 1st; they are normalised to the
forms above.

A value is a finite decimal, rounded half up to 4 decimal places (the column is
NUMERIC(18, 4); Excel hands over binary fractions such as 66.66666666666667), not negative
(every indicator counts, rates or times something), at most `MAX_VALUE`; a percentage (`%`)
is at most 100; a behaviourally anchored level (`级`) is a whole number 1–5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.i18n import Message

MAX_VALUE = Decimal("1000000000")  # 10^9: larger is a typo or a unit mistake, not a figure
YEAR_MIN, YEAR_MAX = 2000, 2100

_MONTH = re.compile(r"^(\d{4})\s*(?:-|/|\.|年)?\s*(\d{1,2})\s*月?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:-|/|年)?\s*(?:第)?\s*[Qq]?\s*([1-4])\s*(?:季度)?$")
_YEAR = re.compile(r"^(\d{4})\s*(?:年|年度|年终)?$")


@dataclass(frozen=True)
class Period:
    year: int
    kind: str  # month | quarter | year
    index: int  # 1–12, 1–4, or 0 for the year

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}"


def parse_period(text: object) -> Period | None:
    """The period a text names, or None when it names none (or a year out of range)."""
    if not isinstance(text, str | int):
        return None
    raw = str(text).strip()
    # A month typed into Excel is a date on the 1st (openpyxl: "2026-03-01 00:00:00").
    raw = re.sub(r"^(\d{4}-\d{2})-01(?: 00:00:00)?$", r"\1", raw)
    found: Period | None = None
    if "q" in raw.lower() or "季" in raw:
        match = _QUARTER.match(raw)
        if match:
            found = Period(int(match[1]), "quarter", int(match[2]))
    elif (match := _YEAR.match(raw)) is not None:
        found = Period(int(match[1]), "year", 0)
    elif re.fullmatch(r"\d{6}", raw):
        found = Period(int(raw[:4]), "month", int(raw[4:]))
    elif (match := _MONTH.match(raw)) is not None:
        found = Period(int(match[1]), "month", int(match[2]))
    if found is None or not YEAR_MIN <= found.year <= YEAR_MAX:
        return None
    if found.kind == "month" and not 1 <= found.index <= 12:
        return None
    return found


PERIOD_HELP = Message("期间格式：YYYY-MM（月）、YYYY-Qn（季度）或YYYY（年度）。")


def parse_value(raw: object, unit: str = "") -> tuple[Decimal | None, str | None]:
    """(value, None) or (None, the reason in Chinese) for a raw cell or field."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        return None, Message("实际值须为数字。")
    text = str(raw).strip().replace(",", "").replace("，", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if not text or len(text) > 40:
        return None, Message("实际值须为数字。")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, Message("实际值须为数字。")
    if not value.is_finite():
        return None, Message("实际值须为数字。")
    if value < 0:
        return None, Message("实际值不能为负数。")
    if value > MAX_VALUE:
        return None, Message("实际值不能大于%(most)s。", most=MAX_VALUE)
    value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if (percent or unit == "%") and value > 100:
        return None, Message("百分比须在0至100之间。")
    if unit == "级" and (value != value.to_integral_value() or not 1 <= value <= 5):
        return None, Message("行为锚定等级须为1至5的整数。")
    return value, None


def evidence_required(method: str, evidence: str | None) -> bool:
    """A behaviourally anchored level claims qualitative work (创新工作): when the indicator names
    the evidence it needs (须提交案例佐证材料), a level reported without a file is refused."""
    return method == "bars" and bool((evidence or "").strip())
