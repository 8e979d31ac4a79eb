"""The campaign settings document: defaults, per-field errors, normalisation."""

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rules.aggregation import RaterGroup, redistribute
from app.rules.campaign_settings import DEFAULTS, SettingsInvalid, parse
from app.rules.grading import Grade, QuotaRounding, quota_count


def errors_of(doc) -> dict[str, list[str]]:
    with pytest.raises(SettingsInvalid) as caught:
        parse(doc)
    return caught.value.fields


def test_an_empty_document_is_the_documented_defaults():
    settings = parse({})
    assert settings.document == DEFAULTS
    assert dict(settings.aggregation.group_weights) == {
        RaterGroup.LEADER: D(40),
        RaterGroup.PEER: D(30),
        RaterGroup.SERVICE_RECIPIENT: D(30),
    }
    assert (settings.composition.indicator_weight, settings.composition.evaluation_weight) == (
        D(70),
        D(30),
    )
    assert (settings.quota.share, settings.quota.rounding) == (D(20), QuotaRounding.FLOOR)
    assert settings.quota_approval is None and settings.quarterly_rule is True
    assert settings.outcomes.bonus_rate[Grade.EXCELLENT] == D("0.15")
    assert (settings.outcomes.reserve_years, settings.outcomes.bottom_count) == (3, 1)
    assert (settings.outcomes.head_threshold, settings.outcomes.head_deduction) == (D(80), D(2))
    assert (settings.grade_decision, settings.grade_decision_version) == ("grade_bands", None)
    assert (settings.appeal_window_days, settings.appeal_decision_days) == (7, 7)
    assert parse(None).document == DEFAULTS


def test_given_keys_replace_defaults_and_numbers_are_normalised():
    settings = parse(
        {
            "rater_weights": {"leader": 50, "peer": "25.50", "service_recipient": 24.5},
            "composition": {"indicators": "60", "evaluation": "40"},
            "quota": {"rounding": "half_up"},
            "outcomes": {"bonus_percent": {"excellent": "20"}, "bottom_share": "10"},
            "appeal": {"window_days": 30},
        }
    )
    doc = settings.document
    assert doc["rater_weights"] == {"leader": "50", "peer": "25.5", "service_recipient": "24.5"}
    assert doc["composition"] == {"indicators": "60", "evaluation": "40"}
    assert doc["quota"] == {"share": "20", "rounding": "half_up", "approval": None}
    assert doc["outcomes"]["bonus_percent"]["excellent"] == "20"
    assert doc["outcomes"]["bottom_share"] == "10" and doc["appeal"]["window_days"] == 30
    assert doc["appeal"]["decision_days"] == 7  # untouched key of a given section
    assert settings.outcomes.bonus_rate[Grade.EXCELLENT] == D("0.2")
    assert settings.composition.indicator_weight == D(60)


def test_every_bad_field_is_reported_by_its_path():
    fields = errors_of(
        {
            "rater_weights": {"leader": 50},
            "composition": {"indicators": "abc", "extra": 1},
            "ballots": {"void_if_all_full": "yes", "trim_above": 1},
            "quota": {"share": 21, "rounding": "up"},
            "quarterly_rule": 1,
            "outcomes": {
                "bonus_percent": {"excellent": 25, "outstanding": 1},
                "reserve_years": 0,
                "bottom_share": 101,
                "head_deduction": -1,
            },
            "grade_table": {"decision": "1 bad id", "version": 0},
            "appeal": {"window_days": 31, "decision_days": "7"},
            "colour": "blue",
        }
    )
    assert set(fields) == {
        "rater_weights",
        "composition.indicators",
        "composition.extra",
        "ballots.void_if_all_full",
        "ballots.trim_above",
        "quota.share",
        "quota.rounding",
        "quarterly_rule",
        "outcomes.bonus_percent.excellent",
        "outcomes.bonus_percent.outstanding",
        "outcomes.reserve_years",
        "outcomes.bottom_share",
        "outcomes.head_deduction",
        "grade_table.decision",
        "grade_table.version",
        "appeal.window_days",
        "appeal.decision_days",
        "colour",
    }
    assert fields["rater_weights"] == ["各项权重之和须为100（现为110）。"]
    assert fields["outcomes.bonus_percent.excellent"] == ["须在10至20之间。"]


@pytest.mark.parametrize(
    "value", [True, None, [], {}, "1e999999", "NaN", "Infinity", "9" * 50, "33.333", 1e300]
)
def test_odd_numbers_are_refused(value):
    fields = errors_of({"composition": {"indicators": value, "evaluation": "30"}})
    assert "composition.indicators" in fields


def test_sections_must_be_objects():
    assert errors_of({"quota": [1]}) == {"quota": ["须为对象。"]}
    assert errors_of([1, 2]) == {"_schema": ["设置须为对象。"]}


def test_quota_above_twenty_percent_only_with_a_recorded_approval_up_to_25():
    approved = parse(
        {"quota": {"approval": {"share": "25", "approved_by": "市考核委", "reason": "文号 7"}}}
    )
    assert approved.quota_approval.share == D(25)
    assert approved.quota_approval.approved_by == "市考核委"
    assert approved.quota_approval.reference == "文号 7"
    assert quota_count(12, approved.quota, approved.quota_approval) == 3
    assert quota_count(12, approved.quota) == 2
    assert "quota.approval.share" in errors_of(
        {"quota": {"approval": {"share": "26", "approved_by": "x", "reason": "y"}}}
    )
    assert "quota.approval.share" in errors_of(
        {"quota": {"approval": {"share": "20", "approved_by": "x", "reason": "y"}}}
    )
    fields = errors_of({"quota": {"approval": {"share": "22", "approved_by": " ", "by": 1}}})
    assert set(fields) == {
        "quota.approval.approved_by",
        "quota.approval.reason",
        "quota.approval.by",
    }


weight = st.decimals(min_value=0, max_value=100, places=2)


@given(leader=weight, peer=weight)
def test_weights_summing_to_100_are_accepted_and_redistribution_keeps_the_total(leader, peer):
    rest = D(100) - leader - peer
    doc = {
        "rater_weights": {"leader": str(leader), "peer": str(peer), "service_recipient": str(rest)}
    }
    if rest < 0:
        assert "rater_weights.service_recipient" in errors_of(doc)
        return
    weights = parse(doc).aggregation.group_weights
    assert sum(weights.values()) == 100
    for present in ({"leader"}, {"leader", "peer"}, {"peer", "service_recipient"}):
        kept = redistribute(weights, present)
        if any(weights[g] for g in present):
            assert sum(kept.values()) == 100


leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["40", "30", "floor", "grade_bands", "12.5"]),
)
document = st.dictionaries(
    st.sampled_from([*DEFAULTS, "other"]),
    st.one_of(leaf, st.dictionaries(st.text(max_size=12), leaf, max_size=4)),
    max_size=6,
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(doc=document)
def test_any_document_parses_or_reports_fields_and_normalising_is_stable(doc):
    try:
        settings = parse(doc)
    except SettingsInvalid as exc:
        assert exc.fields and all(messages for messages in exc.fields.values())
        return
    assert parse(settings.document).document == settings.document
