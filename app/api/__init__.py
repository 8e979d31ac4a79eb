"""REST API under /api/v1 (flask-smorest; the OpenAPI document is /api/v1/openapi.json).

The API authenticates with personal bearer tokens only, so it is exempt from CSRF (no cookie
is ever accepted as API credentials).
"""

from flask import Flask
from flask_smorest import Api

from app.api.blueprint import numeric_bounds
from app.extensions import csrf


def register(app: Flask, api: Api) -> None:
    from app.api import (
        actuals,
        appeals,
        audit,
        ballots,
        calendar,
        campaigns,
        definition_import,
        definitions,
        instances,
        library,
        modeler,
        org,
        overdue,
        quarterly,
        spot_checks,
        statistics,
        tasks,
        tokens,
    )

    modules = (
        tokens,
        org,
        definitions,
        definition_import,
        instances,
        tasks,
        ballots,
        audit,
        library,
        campaigns,
        calendar,
        actuals,
        appeals,
        quarterly,
        spot_checks,
        overdue,
        statistics,
        modeler,
    )
    api.ma_plugin.converter.add_attribute_function(numeric_bounds)
    for module in modules:
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.blp.url_prefix or ''}")
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
