"""Actuals (实际值) with evidence, the centre's file import, data sources and their pulls.

A department's head and staff report its actuals (multipart, optional evidence file); anyone
who may see the department lists them. Importing files, configuring sources, pulling and
retrying are the centre's (tokens with the `admin` scope).
"""

import io
import re

from flask import request, send_file
from flask.views import MethodView

from app.api.actual_schemas import (
    SOURCE_NAME,
    ActualImportQuerySchema,
    ActualQuerySchema,
    ActualSchema,
    DataSourceInSchema,
    DataSourceSchema,
    ImportFileSchema,
    PullRunQuerySchema,
    PullRunSchema,
    ReportActualSchema,
)
from app.api.auth import actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import ID, ImportReportSchema
from app.services import actuals
from app.services.errors import Invalid, NotFound
from app.services.transactions import unit_of_work
from handlers.sources import runs

blp = Blueprint("api_actuals", __name__, url_prefix="", description="Actuals and data sources")
ADMIN = [token_required(write_scope="admin")]
MAX_FILENAME = 200


def _source_name(name: str) -> str:
    if not re.match(SOURCE_NAME, name):
        raise NotFound(f"data source {name!r} not found")
    return name


def _upload(files) -> tuple[str, bytes] | None:
    upload = files.get("file")
    if upload is None:
        return None
    filename = upload.filename or ""
    if not filename or len(filename) > MAX_FILENAME:
        raise Invalid(
            "the file needs a name of at most 200 characters",
            fields={"file": [f"文件名须为1至{MAX_FILENAME}个字符。"]},
        )
    return filename, upload.read()


@blp.route("/actuals")
class Actuals(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.arguments(ActualQuerySchema, location="query")
    @blp.response(200, ActualSchema(many=True))
    def get(self, query):
        """A department's actuals of a year: the current value of every source, or every
        revision with `history=true`. The centre, the assessment group and the review panel
        see every department; supervising leaders theirs; a department's people their own."""
        department_id, year = query.pop("department_id"), query.pop("year")
        return actuals.listing(actor(), department_id, year, **query)

    @blp.arguments(ReportActualSchema, location="form", content_type="multipart/form-data")
    @blp.response(201, ActualSchema)
    def post(self, form):
        """Report an actual of my own department (head or staff), with an optional evidence
        file. A new report supersedes my department's previous report of the same indicator
        and period (both are kept); pulled and imported values are kept beside it."""
        upload = _upload(request.files)
        return unit_of_work(
            lambda: actuals.report(
                actor(),
                form["department_id"],
                form["indicator"],
                form["period"],
                form["value"],
                form["note"],
                upload,
            )
        )


@blp.route(f"/actuals/<{ID}:actual_id>/evidence")
class ActualEvidence(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.doc(responses={"200": {"description": "the evidence file, as an attachment"}})
    def get(self, actual_id: int):
        """Download the evidence of an actual (anyone who may see its department)."""
        evidence, data = actuals.evidence_of(actor(), actual_id)
        response = send_file(
            io.BytesIO(data),
            mimetype=evidence.content_type,
            as_attachment=True,
            download_name=evidence.filename,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@blp.route("/actuals/import")
class ActualImport(MethodView):
    decorators = ADMIN

    @blp.arguments(ActualImportQuerySchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportReportSchema)
    def post(self, query, files):
        """Import actuals from .csv (UTF-8 or GB18030) or .xlsx: 科室编码, 指标编码, 期间,
        实际值 (备注). Dry run by default; a real run with any row error writes nothing (422
        with the report); importing the same file again changes nothing."""
        filename, data = _upload(files) or ("", b"")
        return unit_of_work(
            lambda: runs.import_file(actor(), filename, data, query["dry_run"])
        ).as_dict()


@blp.route("/data-sources")
class DataSources(MethodView):
    decorators = ADMIN

    @blp.response(200, DataSourceSchema(many=True))
    def get(self):
        """The configured data sources (centre)."""
        return actuals.sources(actor())


@blp.route("/data-sources/<name>")
class DataSourceItem(MethodView):
    decorators = ADMIN

    @blp.arguments(DataSourceInSchema)
    @blp.response(200, DataSourceSchema)
    def put(self, data, name: str):
        """Create or replace a data source (centre): URL, timeout, retries and the mapping of
        its JSON answer (see handlers/sources/http.py)."""
        if not re.match(SOURCE_NAME, name):
            raise Invalid(
                "bad source name", fields={"name": ["小写字母、数字、'_'、'-'、'.'，最多64位。"]}
            )
        return unit_of_work(lambda: actuals.save_source(actor(), name, data))


@blp.route("/data-sources/<name>/pull")
class DataSourcePull(MethodView):
    decorators = ADMIN

    @blp.response(201, PullRunSchema)
    def post(self, name: str):
        """Pull a source now (centre). The run is recorded either way: `status` is
        `succeeded`, or `failed` with `error_kind`, `http_status` and `error`, and then no
        actual was written or changed."""
        source = _source_name(name)
        return unit_of_work(lambda: runs.trigger_pull(actor(), source))


@blp.route("/pull-runs")
class PullRuns(MethodView):
    decorators = ADMIN

    @blp.arguments(PullRunQuerySchema, location="query")
    @blp.response(200, PullRunSchema(many=True))
    def get(self, query):
        """Recent pull runs, newest first (centre); `status=failed` lists what to retry."""
        return actuals.runs(actor(), **query)


@blp.route(f"/pull-runs/<{ID}:run_id>/retry")
class PullRunRetry(MethodView):
    decorators = ADMIN

    @blp.response(201, PullRunSchema)
    def post(self, run_id: int):
        """Pull the source of a failed run again (centre); 409 for a run that succeeded."""
        return unit_of_work(lambda: runs.retry(actor(), run_id))
