"""Every task form shares one frame (forms/_task_form.html): the title, the task's facts, the
error banner, one POST form with its CSRF token, and the submit and cancel buttons. Rendered
here for each form key of the catalog (the ballot form included, which no page test reaches)
with a task that has nothing to show, so a form template that forgets to extend the frame, or
loses a block, fails."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import render_template
from jinja2 import nodes

from app.forms import FORMS

TASK = SimpleNamespace(
    id=1,
    instance_id=7,
    instance=SimpleNamespace(campaign=SimpleNamespace(year=2026)),
    department=SimpleNamespace(name="预算科", unit=SimpleNamespace(name="市财政局")),
    role="department_head",
    status="ready",
    escalation=None,
    due_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def _render(app, key: str, errors: dict) -> str:
    form = FORMS[key]
    with app.test_request_context(f"/tasks/{TASK.id}"):
        return render_template(
            form.template,
            task=TASK,
            form=form,
            values={},
            errors=errors,
            letter=None,
            library=[],
            now=datetime(2026, 1, 5, tzinfo=UTC),
        )


def test_each_form_has_the_shared_frame(app):
    for key in FORMS:
        _check_frame(key, _render(app, key, {}))


def _check_frame(key: str, page: str) -> None:
    title = str(FORMS[key].title)
    assert f"<title>{title}" in page
    assert re.search(rf"<h1>\s*{re.escape(title)}\s*</h1>", page)
    assert "市财政局预算科" in page and "2026" in page
    assert 'class="badge overdue"' in page  # due before now, still ready
    assert f'href="/instances/{TASK.instance_id}"' in page
    assert 'id="form-errors"' not in page
    if key == "spot_check_verify":  # nothing sampled: a note instead of the form
        assert '<form method="post"' not in page.split("</nav>", 1)[-1].split("<footer")[0]
        return
    forms = re.findall(r'<form method="post"[^>]*>(.*?)</form>', page, re.S)
    form_html = forms[-1]
    assert re.search(r'name="csrf_token" value="[^"]+"', form_html)
    assert re.search(r'<button type="submit" class="primary">[^<]+</button>', form_html), key
    assert '<a href="/">' in form_html  # cancel: back to the inbox


def test_errors_show_the_banner_above_the_form(app):
    for key in set(FORMS) - {"spot_check_verify"}:
        page = _render(app, key, {"_schema": ["x"]})
        banner = page.index('id="form-errors"')
        assert 'role="alert"' in page[banner - 40 : banner], key
        assert banner < page.rindex('<form method="post"'), key


def test_every_form_template_extends_the_frame(app):
    env = app.jinja_env
    for form in FORMS.values():
        source = env.loader.get_source(env, form.template)[0]
        [extends] = env.parse(source).find_all(nodes.Extends)
        assert extends.template.value == "forms/_task_form.html", form.template
