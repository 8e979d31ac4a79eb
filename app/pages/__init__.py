"""Server-rendered pages (Simplified Chinese by default, English through Flask-Babel)."""

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import refresh

from app.extensions import login_manager


def register(app: Flask) -> None:
    from app.pages import auth, display, survey, tasks, views  # noqa: F401  (routes register on bp)

    login_manager.login_view = "pages.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    display.register_filters(app)
    # Flask-Babel caches the locale on `g`, which lives as long as the app context; where one
    # app context serves several requests (tests, CLI), each request must choose again.
    app.before_request(refresh)
    app.register_blueprint(views.bp)
    app.register_blueprint(survey.bp)
