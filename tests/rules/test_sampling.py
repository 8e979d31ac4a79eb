"""The spot check's sample rule (app.rules.sampling): reproducible from the seed alone."""

import hashlib

import pytest

from app.rules.sampling import DEFAULT_SIZE, SEED_BITS, new_seed, sample_ids

POPULATION = list(range(101, 113))  # twelve ledger entries


def test_the_same_seed_draws_the_same_sample_whatever_the_order():
    seed = 8_123_456_789_012_345
    first = sample_ids(seed, POPULATION)
    assert len(first) == DEFAULT_SIZE == 5
    assert first == sorted(first) and set(first) <= set(POPULATION)
    assert sample_ids(seed, reversed(POPULATION)) == first
    assert sample_ids(seed, POPULATION + POPULATION[:3]) == first  # a set: duplicates ignored


def test_the_rule_is_sha256_ranking_so_anyone_can_redraw_it():
    seed = 42
    by_hand = sorted(POPULATION, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).digest())
    assert sample_ids(seed, POPULATION, 4) == sorted(by_hand[:4])


def test_different_seeds_draw_different_samples():
    samples = {tuple(sample_ids(seed, POPULATION)) for seed in range(20)}
    assert len(samples) > 15  # C(12, 5) = 792 possible samples


def test_a_larger_sample_contains_the_smaller_one():
    assert set(sample_ids(7, POPULATION, 3)) <= set(sample_ids(7, POPULATION, 6))


@pytest.mark.parametrize(
    ("population", "size", "expected"),
    [([], 5, []), ([3, 1, 2], 5, [1, 2, 3]), (POPULATION, 0, []), (POPULATION, 12, POPULATION)],
)
def test_fewer_entries_than_the_size_or_none(population, size, expected):
    assert sample_ids(99, population, size) == expected


@pytest.mark.parametrize(("seed", "size"), [(-1, 5), (2**SEED_BITS, 5), (1, -1), (1, 101)])
def test_out_of_range_seed_or_size_is_refused(seed, size):
    with pytest.raises(ValueError):
        sample_ids(seed, POPULATION, size)


def test_new_seeds_are_random_and_fit_a_signed_64_bit_column():
    seeds = {new_seed() for _ in range(50)}
    assert len(seeds) == 50
    assert all(0 <= s < 2**63 for s in seeds)
