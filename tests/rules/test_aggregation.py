"""Ballots → evaluation score; final score composition."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.aggregation import (
    AggregationConfig,
    Ballot,
    BallotRules,
    Composition,
    RaterGroup,
    evaluate,
    exposed_mean,
    final_score,
    group_mean,
    redistribute,
    void_reasons,
)

LEADER, PEER, SERVICE = RaterGroup.LEADER, RaterGroup.PEER, RaterGroup.SERVICE_RECIPIENT


def ballot(group, **marks) -> Ballot:
    return Ballot(group, {k: D(v) for k, v in marks.items()})


def test_void_ballots():
    assert void_reasons(ballot(PEER, a="100", b="100")) == ["全部打满分，视为无效票"]
    assert void_reasons(ballot(PEER, a="85", b="85")) == ["全部打同一分数，视为无效票"]
    assert void_reasons(ballot(PEER, a="85", b="86")) == []
    assert void_reasons(ballot(LEADER, a="100")) == []  # one ratee cannot be "uniform"
    assert void_reasons(ballot(PEER, a="101", b="90")) == ["分数必须在 0 到 100 之间"]
    assert void_reasons(ballot(PEER)) == ["空票"]
    assert void_reasons(Ballot(PEER, {"a": 90.0, "b": 80})) == ["分数必须在 0 到 100 之间"]
    lenient = BallotRules(void_if_all_full=False, void_if_all_same=False)
    assert void_reasons(ballot(PEER, a="100", b="100"), lenient) == []


def test_mean_and_trimmed_mean_above_five_ballots():
    five = [D(v) for v in ("60", "70", "80", "90", "100")]
    assert group_mean(five) == D(80)  # 5 ballots: plain mean
    six = [*five, D(0)]
    assert group_mean(six) == D(75)  # drop 0 and 100: (60+70+80+90)/4
    with pytest.raises(ValueError):
        group_mean([])


def test_weighted_evaluation_40_30_30():
    ballots = [
        ballot(LEADER, a="90"),
        ballot(PEER, a="80", b="70"),
        ballot(PEER, a="70", b="60"),
        ballot(SERVICE, a="100", b="90"),
    ]
    result = evaluate("a", ballots)
    # 0.4 x 90 + 0.3 x 75 + 0.3 x 100 = 36 + 22.5 + 30
    assert result.score == D("88.50")
    assert result.redistributed_from == () and result.notes == ()
    assert [(g.group, g.ballots, g.mean, g.weight) for g in result.groups] == [
        (LEADER, 1, D("90.00"), D("40.00")),
        (PEER, 2, D("75.00"), D("30.00")),
        (SERVICE, 1, D("100.00"), D("30.00")),
    ]


def test_group_without_valid_ballot_has_its_weight_redistributed_and_says_so():
    ballots = [
        ballot(LEADER, a="90"),
        ballot(PEER, a="80", b="70"),
        ballot(SERVICE, a="100", b="100"),  # void: all full marks
    ]
    result = evaluate("a", ballots)
    # leader 40 → 40 x 100/70 = 57.142857…, peers 30 → 42.857142…
    assert result.score == D("85.71")  # (40 x 90 + 30 x 80) / 70
    assert result.redistributed_from == (SERVICE,)
    assert result.void_ballots == 1
    assert result.notes == ("service_recipient 组无有效评价票，其权重按比例分配给其他组",)
    assert [g.weight for g in result.groups] == [D("57.14"), D("42.86"), D("0.00")]


def test_no_valid_ballot_at_all_gives_no_score():
    result = evaluate("a", [ballot(PEER, a="100", b="100")])
    assert result.score is None and result.notes == ("没有任何有效评价票",)
    assert evaluate("zzz", [ballot(PEER, a="90", b="80")]).score is None


def test_unknown_group_and_bad_weights_are_refused():
    with pytest.raises(ValueError, match="unknown rater group"):
        evaluate("a", [ballot("auditors", a="90")])
    with pytest.raises(ValueError, match="sum to exactly 100"):
        AggregationConfig(group_weights={LEADER: D(50), PEER: D(30)})
    with pytest.raises(ValueError, match="negative"):
        AggregationConfig(group_weights={LEADER: D(110), PEER: D(-10)})


def test_anonymity_hides_a_group_mean_under_three_ballots():
    two = evaluate("a", [ballot(PEER, a="80", b="1"), ballot(PEER, a="70", b="2")])
    peer = two.groups[1]
    assert peer.mean == D("75.00") and exposed_mean(peer) is None
    three = [*[ballot(PEER, a=v, b="1") for v in ("70", "80", "90")]]
    assert exposed_mean(evaluate("a", three).groups[1]) == D("80.00")
    assert exposed_mean(peer, min_ballots=2) == D("75.00")


def test_final_score_composition_and_floor():
    assert final_score(D(90), D(80)) == D("87.00")  # 0.7 x 90 + 0.3 x 80
    assert final_score(D(90), D(80), D("2.5")) == D("84.50")
    assert final_score(D(10), D(10), D(50)) == D("0.00")  # floored at 0
    assert final_score(D(90), None) == D("90.00")  # no evaluation: indicators count 100 %
    half = Composition(indicator_weight=D(50), evaluation_weight=D(50))
    assert final_score(D(90), D(80), composition=half) == D("85.00")
    with pytest.raises(ValueError):
        Composition(indicator_weight=D(70), evaluation_weight=D(20))
    with pytest.raises(ValueError):
        final_score(D(90), D(80), D(-1))


# --- properties -------------------------------------------------------------------------

marks = st.decimals(min_value=0, max_value=100, places=1)
ballot_st = st.builds(
    lambda g, a, b: ballot(g, a=str(a), b=str(b)), st.sampled_from(RaterGroup), marks, marks
)


@given(ballots=st.lists(ballot_st, max_size=15), seed=st.randoms())
def test_permutation_invariance(ballots, seed):
    shuffled = list(ballots)
    seed.shuffle(shuffled)
    assert evaluate("a", ballots) == evaluate("a", shuffled)


@given(ballots=st.lists(ballot_st, max_size=15))
def test_score_between_lowest_and_highest_counted_mark(ballots):
    result = evaluate("a", ballots)
    counted = [b.marks["a"] for b in ballots if not void_reasons(b)]
    if counted:
        assert min(counted) - D("0.01") <= result.score <= max(counted) + D("0.01")
    else:
        assert result.score is None


@given(
    weights=st.lists(st.integers(min_value=1, max_value=100), min_size=3, max_size=3),
    present=st.sets(st.sampled_from(["x", "y", "z"]), min_size=1),
)
def test_redistributed_weights_still_sum_to_the_total(weights, present):
    table = dict(zip(["x", "y", "z"], (D(w) for w in weights), strict=True))
    new = redistribute(table, present)
    assert set(new) == present
    assert abs(sum(new.values()) - sum(table.values())) < D("1e-20")
    ratios = {g: new[g] / table[g] for g in present}  # proportional: one common factor
    assert max(ratios.values()) - min(ratios.values()) < D("1e-20")
