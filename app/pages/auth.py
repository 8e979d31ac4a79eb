"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.pages.forms import LoginForm
from app.pages.views import actor, bp
from app.services import accounts, audit
from app.services.transactions import unit_of_work

LANGUAGES = ("zh", "en")


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//host` or `/\\host` tricks."""
    fallback = url_for("pages.inbox")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    failed, throttled = False, None
    if form.validate_on_submit():
        username, password = form.username.data.strip(), form.password.data
        try:
            person = unit_of_work(
                lambda: accounts.authenticate(username, password, request.remote_addr)
            )
        except accounts.Throttled as exc:
            throttled = exc.extra["retry_after_minutes"]
            return render_template("login.html", form=form, throttled=throttled), 429
        if person is not None:
            login_user(person)
            flash(_("欢迎，%(name)s。", name=person.display_name), "success")
            return redirect(safe_next(request.args.get("next")))
        failed = True
    return render_template("login.html", form=form, failed=failed, throttled=throttled)


@bp.post("/logout")
@login_required
def logout():
    person = actor()
    unit_of_work(lambda: audit.record("auth.signed_out", person, "person", person.id))
    logout_user()
    flash(_("你已退出登录。"), "info")
    return redirect(url_for("pages.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language for this browser session."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
