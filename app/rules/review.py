"""The yearly indicator review (指标年度评估): which indicators no longer tell departments apart.

An indicator that every department carrying it met in full (score ratio ≥ 1) measured nothing
that year, so it is a candidate for removal from next year's library. Indicators carried by
fewer than `min_departments` departments are not judged: one department's success says
little about the indicator.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal

FULL = Decimal(1)


def fully_met(
    ratios: Mapping[Hashable, Mapping[str, Decimal]], min_departments: int = 2
) -> set[str]:
    """Codes met in full by every department that carried them (ratios per department)."""
    carried: dict[str, list[Decimal]] = {}
    for lines in ratios.values():
        for code, ratio in lines.items():
            carried.setdefault(code, []).append(ratio)
    return {
        code
        for code, values in carried.items()
        if len(values) >= min_departments and all(v >= FULL for v in values)
    }
