"""The monthly spot check's random sample (抽检), reproducible from its recorded seed.

Decisions:
- Each ledger entry id is ranked by SHA-256 of `"<seed>:<id>"`; the sample is the `size`
  lowest-ranked ids. It depends only on the seed and the population, not on Python's `random`
  (whose algorithms may change between versions), so anyone can redraw a recorded sample, with
  any SHA-256 tool, years later.
- The population is given as ids and is treated as a set: its order does not matter.
- Fewer entries than `size`: all of them. No entries: an empty sample.
- The result is sorted by id, so a recorded sample compares equal to a redraw.
- Seeds are drawn once per spot check from the system's CSPRNG (63 bits, to fit a signed
  64-bit column); nobody chooses them, so nobody can steer the sample.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

DEFAULT_SIZE = 5
MAX_SIZE = 100
SEED_BITS = 63


def new_seed() -> int:
    return secrets.randbits(SEED_BITS)


def rank(seed: int, entry_id: int) -> bytes:
    return hashlib.sha256(f"{seed}:{entry_id}".encode()).digest()


def sample_ids(seed: int, population: Iterable[int], size: int = DEFAULT_SIZE) -> list[int]:
    """The ids drawn from `population` by `seed`: `size` of them (all when fewer), by id."""
    if not 0 <= size <= MAX_SIZE:
        raise ValueError(f"sample size must be 0..{MAX_SIZE}, not {size}")
    if not 0 <= seed < 2**SEED_BITS:
        raise ValueError("seed out of range")
    ids = set(population)
    return sorted(sorted(ids, key=lambda entry_id: rank(seed, entry_id))[:size])
