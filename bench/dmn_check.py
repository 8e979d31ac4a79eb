"""How long the upload check of a decision table takes as the table grows (issue 13: the cell
check's regex made it quadratic: an 11 KB table took 2.5 s, a 31 KB one 22 s).

    .venv/bin/python bench/dmn_check.py [--repeat 5]

Prints, per table size, the median seconds of `validate_dmn` and the seconds per KB; a linear
check keeps the last column flat. Also times one 200 KB cell full of quotes and `?` (refused by
the length limit before anything else reads it).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.definitions import validate_dmn

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "grade_bands.dmn"


def table(rules: int) -> bytes:
    """The fixture's table with its first rule repeated, each cell long and full of quotes."""
    source = FIXTURE.read_text()
    rule = re.search(r"<rule .*?</rule>", source, re.S).group(0)
    cell = "&gt;= 90 and " + " and ".join(f"? != 'a\"{n}\"b'" for n in range(8))
    copies = "".join(
        rule.replace('id="', f'id="r{n}_').replace("&gt;= 90", cell) for n in range(rules)
    )
    return source.replace(rule, copies).encode()


def timed(data: bytes, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        validate_dmn("bench.dmn", data)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'rules':>6} {'KB':>8} {'median s':>10} {'s per KB':>10}")
    for rules in (25, 100, 400, 1600):
        data = table(rules)
        seconds = timed(data, args.repeat)
        kb = len(data) / 1024
        print(f"{rules:>6} {kb:>8.1f} {seconds:>10.4f} {seconds / kb:>10.5f}")
    cell = "? == '&quot;' and " * 12_000
    huge = FIXTURE.read_text().replace("&gt;= 90", cell, 1).encode()
    print(f"one {len(cell) // 1024} KB cell: {timed(huge, args.repeat):.4f} s (refused by length)")


if __name__ == "__main__":
    main()
