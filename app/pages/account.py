"""The account page: who I am, my password, my sessions, my personal API tokens.

Each form posts to its own URL and every POST carries the CSRF token (CSRFProtect refuses the
rest with 400). A new token's secret is rendered into that one response and stored nowhere.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm

from app import clock
from app.models import TOKEN_SCOPES, ApiToken, Person
from app.pages.display import TOKEN_SCOPE_NAMES, label
from app.pages.forms import PasswordChangeForm, TokenForm
from app.pages.messages import localize
from app.pages.views import actor, bp
from app.rules.passwords import MIN_LENGTH
from app.services import accounts, permissions
from app.services.errors import Invalid, NotFound
from app.services.transactions import unit_of_work


def _token_form(person: Person, **kwargs) -> TokenForm:
    """Offer only the scopes the person may hold (the service refuses `admin` to others)."""
    form = TokenForm(**kwargs)
    form.scopes.choices = [
        (scope, label(TOKEN_SCOPE_NAMES, scope))
        for scope in TOKEN_SCOPES
        if scope != "admin" or permissions.is_centre_admin(person)
    ]
    return form


def _render(
    password_form: PasswordChangeForm | None = None,
    token_form: TokenForm | None = None,
    new_token: tuple[ApiToken, str] | None = None,
    status: int = 200,
):
    person = actor()
    response = render_template(
        "account.html",
        person=person,
        roles=person.current_roles(),
        password_form=password_form or PasswordChangeForm(formdata=None),
        token_form=token_form or _token_form(person, formdata=None),
        tokens=accounts.tokens_of(person),
        new_token=new_token,
        password_min=MIN_LENGTH,
        now=clock.now(),
    )
    return response, status, {"Cache-Control": "no-store"}


def _add_service_errors(form: FlaskForm, exc: Invalid) -> None:
    """The service's field messages beside the form's fields (both use the same names)."""
    for name, messages in exc.extra.get("fields", {}).items():
        form[name].errors = [*form[name].errors, *(localize(name, m) for m in messages)]


@bp.get("/account")
@login_required
def account():
    return _render()


@bp.post("/account/password")
@login_required
def change_password():
    person = actor()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            unit_of_work(
                lambda: accounts.change_password(
                    person, form.current_password.data, form.new_password.data
                )
            )
        except Invalid as exc:
            _add_service_errors(form, exc)
        else:
            # The change signed out every session; this one carries on with the new epoch.
            login_user(person)
            flash(_("密码已修改。其他设备上的登录已失效。"), "success")
            return redirect(url_for(".account"))
    return _render(password_form=form, status=422)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    person = actor()
    unit_of_work(lambda: accounts.sign_out_everywhere(person))
    logout_user()
    flash(_("已在所有设备上退出登录，请重新登录。"), "info")
    return redirect(url_for(".login"))


@bp.post("/account/tokens")
@login_required
def create_token():
    person = actor()
    form = _token_form(person)
    if form.validate_on_submit():
        try:
            issued = unit_of_work(
                lambda: accounts.issue_token(
                    person, form.name.data, form.scopes.data, form.expires_in_days.data
                )
            )
        except Invalid as exc:
            _add_service_errors(form, exc)
        else:
            return _render(new_token=issued, status=201)
    return _render(token_form=form, status=422)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not unit_of_work(lambda: accounts.revoke_token(actor(), token_id)):
        raise NotFound(f"token {token_id} not found")
    flash(_("令牌已撤销。"), "success")
    return redirect(url_for(".account"))
