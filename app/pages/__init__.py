"""Server-rendered pages (Simplified Chinese by default, English through Flask-Babel)."""

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_babel import refresh

from app.extensions import login_manager


def register(app: Flask) -> None:
    from app.pages import (  # noqa: F401  (routes register on bp)
        account,
        admin_campaign,
        admin_decisions,
        admin_library,
        audit_trail,
        auth,
        ballot_sheet,
        display,
        evidence,
        instance_actions,
        instance_diagram,
        modeler,
        overdue_board,
        reporting,
        scorecards,
        statistics,
        survey,
        tasks,
        views,
    )

    login_manager.login_view = "pages.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    display.register_filters(app)
    # Flask-Babel caches the locale on `g`, which lives as long as the app context; where one
    # app context serves several requests (tests, CLI), each request must choose again.
    app.before_request(refresh)
    app.before_request(_forget_cached_session_state)
    app.register_blueprint(views.bp)
    app.register_blueprint(survey.bp)
    app.register_blueprint(modeler.calls)


def _forget_cached_session_state() -> None:
    """Flask-Login (the signed-in person) and Flask-WTF (the CSRF token) cache on `g` as well;
    the same holds: each request reads its own session."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
