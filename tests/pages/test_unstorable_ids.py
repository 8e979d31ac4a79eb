"""An id no INTEGER column holds (≥ 2³¹) in a page's URL is no page (404): PostgreSQL refused
it with "integer out of range", which answered 500."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from app.safe_input import INT_MAX, StorableInt

HUGE = INT_MAX + 1


def test_every_int_in_every_route_is_bounded(app):
    converters = [
        (rule.rule, converter)
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if isinstance(converter, IntegerConverter)
    ]
    assert converters, "no route takes an int"
    assert [r for r, c in converters if not isinstance(c, StorableInt) or c.max > INT_MAX] == []


@pytest.mark.parametrize(
    "url",
    [
        f"/tasks/{HUGE}",
        f"/instances/{HUGE}",
        f"/admin/indicators/{HUGE}",
        f"/admin/plans/2026/{HUGE}",
        f"/scorecard/{HUGE}/2026",
        f"/api/v1/tasks/{HUGE}",
    ],
)
def test_a_huge_id_is_404(client, login_as, org, url):
    login_as("admin")
    assert client.get(url).status_code == 404
    assert client.get(url.replace(str(HUGE), str(INT_MAX))).status_code in (401, 403, 404)
