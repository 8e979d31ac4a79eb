"""The yearly indicator review flags indicators every department met in full."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.rules.review import fully_met


def test_an_indicator_everyone_met_is_flagged_and_one_someone_missed_is_kept():
    ratios = {
        1: {"FIN-ERR": D("1"), "COM-JI": D("1.2")},
        2: {"FIN-ERR": D("0.99"), "COM-JI": D("1")},
        3: {"COM-JI": D("1")},
    }
    assert fully_met(ratios) == {"COM-JI"}


def test_an_indicator_carried_by_one_department_is_not_judged():
    assert fully_met({1: {"DYN-AI": D("1")}}) == set()
    assert fully_met({1: {"DYN-AI": D("1")}}, min_departments=1) == {"DYN-AI"}


def test_no_results_flag_nothing():
    assert fully_met({}) == set()


ratio = st.decimals(min_value=0, max_value=2, places=2)


@given(st.dictionaries(st.integers(0, 20), st.dictionaries(st.sampled_from("ABCDE"), ratio)))
def test_a_flagged_code_is_met_by_every_department_that_carries_it(ratios):
    for code in fully_met(ratios):
        carriers = [lines[code] for lines in ratios.values() if code in lines]
        assert len(carriers) >= 2
        assert all(r >= 1 for r in carriers)
