"""Responsibility-letter policy: each violation with the lines concerned."""

from dataclasses import replace
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.rules.indicators import FunctionCategory
from app.rules.letter_policy import (
    DEFAULT_POLICY,
    LetterLine,
    LetterPolicy,
    ShareRange,
    letter_violations,
    policy_for,
)
from app.rules.templates import LIBRARY, TEMPLATES

FIN = FunctionCategory.FINANCE
ADM = FunctionCategory.ADMIN_SUPPORT
FINANCE_LINES = TEMPLATES[FIN].lines  # 0-4 common (6 each), 5 FIN-ERR 20, 6 FIN-COST 10, …


def codes(violations) -> dict[str, tuple[int, ...]]:
    return {v.code: v.lines for v in violations}


def reweigh(lines, **weights):
    """Lines with new weights by index: reweigh(lines, l5="25")."""
    new = {int(k[1:]): D(v) for k, v in weights.items()}
    return tuple(replace(ln, weight=new.get(i, ln.weight)) for i, ln in enumerate(lines))


def test_every_template_passes_its_own_category_policy():
    for category, template in TEMPLATES.items():
        assert letter_violations(template.lines, category) == [], category
        assert sum(ln.weight for ln in template.lines) == D(100)


def test_weights_must_sum_to_exactly_100():
    lines = reweigh(FINANCE_LINES, l5="19.99")
    found = codes(letter_violations(lines, FIN))
    assert found == {"weight_total": tuple(range(len(lines)))}
    assert "99.99" in letter_violations(lines, FIN)[0].message


def test_non_decimal_or_non_positive_weights_name_their_lines_and_stop_there():
    lines = list(FINANCE_LINES)
    lines[2] = replace(lines[2], weight=6.0)
    lines[7] = replace(lines[7], weight=D(0))
    assert codes(letter_violations(lines, FIN)) == {"weight_invalid": (2, 7)}


def test_empty_letter():
    assert codes(letter_violations([], FIN)) == {"no_lines": ()}


def test_common_share_outside_30_to_40_names_the_common_lines():
    # common 5 x 5 = 25, FIN-ERR 25: total still 100, individual 75
    lines = reweigh(FINANCE_LINES, l0="5", l1="5", l2="5", l3="5", l4="5", l5="25")
    found = codes(letter_violations(lines, FIN))
    assert found == {"common_share": (0, 1, 2, 3, 4), "individual_share": (5, 6, 7, 8, 9)}


def test_dynamic_counts_as_individual_unless_switched_off():
    lines = reweigh(FINANCE_LINES, l7="10", l9="15")  # individual 55 + dynamic 15
    assert letter_violations(lines, FIN) == []
    policy = replace(DEFAULT_POLICY, dynamic_counts_as_individual=False)
    assert codes(letter_violations(lines, FIN, policy)) == {"individual_share": (5, 6, 7, 8)}


HR_LINES = TEMPLATES[FunctionCategory.HR].lines  # line 8: QUAL-SERVICE 10 (qualitative)


def test_quantitative_under_70_names_the_qualitative_lines():
    innovation = LetterLine(LIBRARY["QUAL-INNOVATION"], D(15))
    lines = (*reweigh(HR_LINES, l5="10", l7="10"), innovation)  # qualitative 25 → quant 75
    assert letter_violations(lines, "hr") == []
    lines = (*reweigh(HR_LINES, l5="5", l7="5", l8="20"), innovation)  # quant 65
    assert codes(letter_violations(lines, "hr")) == {"quantitative_share": (8, 10)}


def test_a_qualitative_line_without_five_anchors_is_named():
    service = HR_LINES[8].indicator
    lines = list(HR_LINES)
    lines[8] = replace(lines[8], indicator=replace(service, anchors=service.anchors[:3]))
    found = letter_violations(lines, "hr")
    assert codes(found) == {"bars_anchors": (8,)}
    assert found[0].message.startswith("服务态度：")


def test_invalid_definition_duplicate_and_wrong_category_are_per_line():
    lines = list(FINANCE_LINES)
    bad = replace(lines[5].indicator, threshold=D("0.1"))
    lines[5] = replace(lines[5], indicator=bad)
    lines[8] = LetterLine(LIBRARY["FIN-COST"], D(15))  # FIN-COST again (line 6)
    found = codes(letter_violations(lines, FIN))
    assert found == {"indicator_invalid": (5,), "duplicate": (6, 8)}
    misplaced = letter_violations(TEMPLATES[FIN].lines, "hr")
    assert [(v.code, v.lines) for v in misplaced] == [("category", (i,)) for i in (5, 6, 7, 8)]


def test_admin_support_limits_economic_and_requires_satisfaction_weight():
    lines = TEMPLATES[ADM].lines  # 5 ADM-SAT 25 (satisfaction), 7 ADM-COST 10 (economic)
    heavy = reweigh(lines, l5="15", l7="20")  # satisfaction 15 + 10 = 25 still ≥ 20
    assert codes(letter_violations(heavy, ADM)) == {"max_economic": (7,)}
    thin = reweigh(lines, l5="5", l6="40", l8="5", l9="10")  # satisfaction 10
    assert codes(letter_violations(thin, ADM)) == {"min_satisfaction": (5, 8)}
    # the same letters pass the default policy, which has no tag rules
    assert letter_violations(heavy, ADM, DEFAULT_POLICY) == []
    assert letter_violations(thin, ADM, DEFAULT_POLICY) == []


def test_policy_lookup_falls_back_to_the_default_and_overrides_are_data():
    assert policy_for("unknown-category") is DEFAULT_POLICY
    strict = LetterPolicy(common_share=ShareRange(D(35), D(40)))
    found = codes(letter_violations(FINANCE_LINES, FIN, strict))
    assert found == {"common_share": (0, 1, 2, 3, 4)}
    assert policy_for(ADM).max_tag_share["economic"] == D(10)


@given(
    weights=st.lists(st.decimals(min_value="0.01", max_value=100, places=2), min_size=10,
                     max_size=10)
)  # fmt: skip
def test_weight_total_violation_iff_weights_do_not_sum_to_100(weights):
    lines = tuple(replace(ln, weight=w) for ln, w in zip(FINANCE_LINES, weights, strict=True))
    found = codes(letter_violations(lines, FIN))
    assert ("weight_total" in found) == (sum(weights) != D(100))
    assert all(i < len(lines) for idx in found.values() for i in idx)
