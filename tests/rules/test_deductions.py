"""Confirmed deductions applied to a line or to the total, as configured."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.deductions import Deduction, DeductionScope, apply_deductions

LINES = {"FIN-ERR": D("16.00"), "FIN-COST": D("10.00")}


def test_indicator_scope_reduces_the_named_line_and_floors_it_at_zero():
    result = apply_deductions(
        LINES,
        [
            Deduction(D(3), "台账缺失", indicator="FIN-ERR"),
            Deduction(D(25), "重大差错", indicator="FIN-COST"),
            Deduction(D("1.5"), "会议缺席"),
        ],
    )
    assert result.lines == {"FIN-ERR": D("13.00"), "FIN-COST": D("0.00")}
    assert result.total == D("1.50")  # the unnamed one; the excess 15 is not carried over
    assert len(result.applied) == 3 and result.skipped == ()


def test_total_scope_sends_everything_to_the_total():
    result = apply_deductions(
        LINES,
        [Deduction(D(3), "台账缺失", indicator="FIN-ERR"), Deduction(D("0.5"), "迟报")],
        DeductionScope.TOTAL,
    )
    assert result.lines == LINES
    assert result.total == D("3.50")


def test_unconfirmed_deductions_are_skipped_with_a_reason():
    pending = Deduction(D(2), "整改中", indicator="FIN-ERR", confirmed=False)
    result = apply_deductions(LINES, [pending])
    assert result.lines == LINES and result.total == D("0.00")
    assert result.skipped == ((pending, "未确认的扣分不计入"),)


def test_unknown_indicator_and_negative_points_are_refused():
    with pytest.raises(ValueError, match="not on the letter"):
        apply_deductions(LINES, [Deduction(D(1), "x", indicator="NOPE")])
    with pytest.raises(ValueError, match="negative"):
        apply_deductions(LINES, [Deduction(D(-1), "x")])


points = st.decimals(min_value=0, max_value=50, places=2)


@given(
    found=st.lists(
        st.tuples(points, st.sampled_from([None, "FIN-ERR", "FIN-COST"]), st.booleans()),
        max_size=8,
    ),
    scope=st.sampled_from(DeductionScope),
)
def test_lines_never_negative_never_higher_and_nothing_created(found, scope):
    deductions = [Deduction(p, "f", indicator=i, confirmed=c) for p, i, c in found]
    result = apply_deductions(LINES, deductions, scope)
    for code, before in LINES.items():
        assert D(0) <= result.lines[code] <= before
    taken = sum(LINES.values()) - sum(result.lines.values()) + result.total
    assert taken <= sum((d.points for d in deductions if d.confirmed), D(0))
    assert len(result.applied) + len(result.skipped) == len(deductions)
