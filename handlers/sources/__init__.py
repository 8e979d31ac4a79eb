"""Data-source adapters: where actuals (实际值) come from besides a person reporting them.

Every adapter is a `Source`: it has a `name` and `fetch()` returns the rows it found, each a
`SourceRow` (department code, indicator code, period, value, as the source spells them). It
never writes: `app.services.actuals` checks all the rows together and records them, or
nothing. A source that cannot deliver raises `SourceError` with a kind an admin can act on.

- `files.FileSource`: a CSV (UTF-8 or GB18030) or XLSX file the centre imports, e.g. the 12345
  hotline's monthly completion statistics, attendance exports, finance and audit figures.
- `http.HttpJsonSource`: a JSON document pulled over HTTP from a configured `DataSource`, with
  a timeout and bounded retries with backoff.

`runs` ties them to the services (import a file, pull a source, retry a failed pull), and
registers the service-task handler `sources.pull`.
"""

from __future__ import annotations

from typing import Protocol

from app.services.actuals import SourceRow
from app.services.org_import import RowError


class SourceError(Exception):
    """A source could not deliver. `kind`: http_status, timeout, connection, bad_json,
    bad_shape, too_large, header; `transient` ones are retried."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        http_status: int | None = None,
        transient: bool = False,
        row_errors: list[RowError] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.http_status = http_status
        self.transient = transient
        self.row_errors = row_errors or []
        self.attempts = 1


class Source(Protocol):
    name: str

    def fetch(self) -> list[SourceRow]: ...


from handlers.sources import runs  # noqa: E402,F401  (registers the service-task handler)

__all__ = ["Source", "SourceError", "SourceRow"]
