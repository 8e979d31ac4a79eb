"""Every server-rendered page, in Chromium on a laptop screen (1366x768), in Chinese and in
English: it loads (200) without console or page errors, says its language, names every form
control, gives every image an alt text, has one h1, does not scroll sideways, and in English
shows no Chinese but data.

The pages come from `app.url_map`: `PAGES` says for each GET page who opens it and how its URL
is built from the sweep's data (tests/browser/sweep_scenario.py: a simulated year held so
that a task of every form waits), `EXCLUDED` says why a GET route is not a page.
`test_every_page_route_is_swept_or_excluded` fails for a new route in neither.

Sideways scrolling: the page itself must fit 1366 px; a table wider than that belongs in a
scrolling container (`.table-wrap`, overflow-x: auto), which keeps the page's own width.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import url_for

from app import clock
from app.clock import MovableClock
from app.extensions import db
from tests.browser import sweep_scenario
from tests.browser.conftest import ARTIFACTS, launch, serving
from tests.browser.sweep_scenario import FORMS, SWEPT_ELSEWHERE, WANTED, Scenario
from tests.conftest import PROJECT_ROOT, START, _empty_tables

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
SHOTS = ARTIFACTS / "sweep"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
ANONYMOUS = None


@dataclass(frozen=True)
class Visit:
    """Who opens a page (a username, or None for nobody signed in) and its URL arguments."""

    who: Callable[[Scenario], str | None]
    args: Callable[[Scenario], dict[str, Any]] = lambda s: {}


def _centre(s: Scenario) -> str:
    return s.centre


def _year(s: Scenario) -> dict[str, Any]:
    return {"year": s.year}


PAGES: dict[str, Visit] = {
    "pages.login": Visit(lambda s: ANONYMOUS),
    "survey.form": Visit(lambda s: ANONYMOUS, lambda s: {"token": s.survey_token}),
    "pages.inbox": Visit(lambda s: s.head),
    "pages.account": Visit(lambda s: s.head),
    "pages.ballot_sheet": Visit(lambda s: s.actors["ballot:leader"]),
    "pages.report_actuals": Visit(lambda s: s.head),
    "pages.scorecard": Visit(
        lambda s: s.head, lambda s: {"department_id": s.scored_department, "year": s.year}
    ),
    "pages.instance": Visit(_centre, lambda s: {"instance_id": s.ids["instance"]}),
    "pages.overdue_board": Visit(_centre),
    "pages.statistics_page": Visit(_centre),
    "pages.audit_trail": Visit(_centre),
    "pages.admin_results": Visit(_centre, _year),
    "pages.admin_current_results": Visit(_centre),
    "pages.admin_reserve_pool": Visit(_centre),
    "pages.admin_campaign_settings": Visit(_centre, _year),
    "pages.admin_current_settings": Visit(_centre),
    "pages.admin_library_review": Visit(_centre, _year),
    "pages.admin_indicators": Visit(_centre),
    "pages.admin_indicator": Visit(_centre, lambda s: {"indicator_id": s.ids["indicator"]}),
    "pages.admin_indicator_new": Visit(_centre),
    "pages.admin_templates": Visit(_centre),
    "pages.admin_template": Visit(_centre, lambda s: {"template_id": s.ids["template"]}),
    "pages.admin_template_assign": Visit(_centre, lambda s: {"template_id": s.ids["template"]}),
    "pages.admin_plans": Visit(_centre, _year),
    "pages.admin_plan": Visit(
        _centre, lambda s: {"year": s.year, "department_id": s.scored_department}
    ),
    "pages.modeler_index": Visit(_centre),
    "pages.modeler_new": Visit(_centre, lambda s: {"key": "sweep_new", "name": "新流程"}),
    "pages.modeler_edit": Visit(_centre, lambda s: {"key": "annual_cycle"}),
    "pages.modeler_compare": Visit(_centre, lambda s: {"definition_id": s.ids["definition"]}),
    "pages.admin_decision_tables": Visit(_centre),
    "pages.admin_decision_table": Visit(_centre, lambda s: {"key": "grade_bands"}),
    "pages.admin_decision_table_version": Visit(
        _centre, lambda s: {"key": "grade_bands", "number": 1}
    ),
}
# the task page once per form (the ballot twice: the leader's, and the anonymous peer one)
TASK_PAGES: dict[str, Visit] = {
    variant: Visit(lambda s, v=variant: s.actors[v], lambda s, v=variant: {"task_id": s.tasks[v]})
    for variant in WANTED
}
EXCLUDED: dict[str, str] = {
    "static": "files",
    "operations.healthz": "JSON for load balancers (tests/operations)",
    "operations.readyz": "JSON for load balancers (tests/operations)",
    "operations.metrics_text": "Prometheus text behind a token (tests/operations)",
    "pages.set_language": "the language switch: sets the session's language and redirects",
    "pages.admin_results_pdf": "a PDF download (tests/pages/test_exports.py)",
    "pages.admin_results_xlsx": "an Excel download (tests/pages/test_exports.py)",
    "pages.scorecard_pdf": "a PDF download (tests/pages/test_exports.py)",
    "pages.scorecard_xlsx": "an Excel download (tests/pages/test_exports.py)",
    "pages.overdue_csv": "a CSV download (tests/pages/test_overdue_board.py)",
    "pages.overdue_xlsx": "an Excel download (tests/pages/test_overdue_board.py)",
    "pages.finding_evidence": "an evidence file download (tests/spot_checks)",
    "pages.rectification_evidence": "an evidence file download (tests/spot_checks)",
    "pages.actual_evidence": "an evidence file download (tests/pages/test_reporting_page.py)",
    "pages.instance_diagram_source": "the instance page's diagram XML, fetched by its script",
    "pages.instance_diagram_states": "the instance page's element states (JSON), for its script",
    "modeler_calls.catalog": "JSON for the modeler's pickers, fetched by its script",
    "modeler_calls.source": "the modeler's diagram XML, fetched by its script",
    "modeler_calls.compare": "JSON for the modeler's compare panel, fetched by its script",
}
CASES = [(endpoint, "") for endpoint in PAGES] + [("pages.task", v) for v in TASK_PAGES]


def _visit(endpoint: str, variant: str) -> Visit:
    return TASK_PAGES[variant] if endpoint == "pages.task" else PAGES[endpoint]


def _case_id(case: tuple[str, str]) -> str:
    endpoint, variant = case
    return f"{endpoint}[{variant}]" if variant else endpoint


# --- coverage ------------------------------------------------------------------------------


def _get_routes(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.rule.startswith("/api/")
    }


def test_every_page_route_is_swept_or_excluded(_migrated_app):
    routes = _get_routes(_migrated_app)
    swept = set(PAGES) | {"pages.task"}
    assert routes - swept - set(EXCLUDED) == set(), "GET routes neither swept nor excluded"
    assert (swept | set(EXCLUDED)) - routes == set(), "stale entries for routes that are gone"
    assert not swept & set(EXCLUDED)
    # every form key has its task page swept, here or by the test SWEPT_ELSEWHERE names
    assert {v.split(":")[0] for v in TASK_PAGES} | set(SWEPT_ELSEWHERE) == set(FORMS)
    assert all((PROJECT_ROOT / path).exists() for path in SWEPT_ELSEWHERE.values())


# --- the sweep -----------------------------------------------------------------------------


@dataclass
class Sweep:
    app: Any
    base: str
    scenario: Scenario
    data: list[str]  # stored text values with Chinese in them, longest first
    contexts: dict[tuple[str | None, str], Any]
    browser: Any

    def url(self, endpoint: str, variant: str) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **_visit(endpoint, variant).args(self.scenario))

    def context(self, who: str | None, lang: str):
        """A browser context signed in as `who` (through the sign-in form's POST, without
        rendering), in `lang` (through the app's language switch)."""
        key = (who, lang)
        if key not in self.contexts:
            context = self.browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="zh-CN"
            )
            if lang != "zh":  # before signing in, as a person would on the sign-in page
                context.request.get(f"{self.base}/lang/{lang}?next=/login", max_redirects=0)
            if who is not None:
                login = context.request.get(f"{self.base}/login").text()
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)
                response = context.request.post(
                    f"{self.base}/login",
                    form={"username": who, "password": "demo-2026", "csrf_token": token[1]},
                    max_redirects=0,
                )
                assert response.status == 302, f"{who} could not sign in"
            self.contexts[key] = context
        return self.contexts[key]


@pytest.fixture(scope="module")
def sweep(_migrated_app) -> Iterator[Sweep]:
    """One simulated year, one live server and one Chromium for the whole module."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    previous = clock.install(MovableClock(START))
    started = time.perf_counter()
    with _migrated_app.app_context():
        try:
            scenario = sweep_scenario.build()
            data = sorted(
                (v for v in sweep_scenario.data_text().splitlines() if CJK.search(v)),
                key=len,
                reverse=True,
            )
            print(f"sweep data built in {time.perf_counter() - started:.1f} s")
            with serving(_migrated_app) as base, sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    yield Sweep(_migrated_app, base, scenario, data, {}, browser)
                finally:
                    browser.close()
        finally:
            clock.install(previous)
            db.session.remove()
            _empty_tables()


# In the page: what the checks need, gathered in one round trip.
INSPECT = """() => {
  const shown = (el) => {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none';
  };
  const describe = (el) => el.outerHTML.slice(0, 160);
  const byIds = (ids) => (ids || '').split(/\\s+/).filter(Boolean)
    .map((id) => document.getElementById(id)).filter(Boolean)
    .map((el) => el.textContent.trim()).join(' ');
  const skipTypes = ['hidden', 'submit', 'button', 'reset', 'image'];
  const unnamed = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.tagName === 'INPUT' && skipTypes.includes(el.type)) continue;
    if (!shown(el)) continue;
    const name = [...(el.labels || [])].map((l) => l.textContent.trim()).join(' ')
      || (el.getAttribute('aria-label') || '').trim()
      || byIds(el.getAttribute('aria-labelledby'))
      || (el.getAttribute('title') || '').trim();
    if (!name) unnamed.push(describe(el));
  }
  const noAlt = [...document.images].filter((img) => !img.hasAttribute('alt')).map(describe);
  const width = window.innerWidth;
  const wide = [];
  if (document.scrollingElement.scrollWidth > width + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && shown(el)) {
        wide.push(`${describe(el).slice(0, 80)} (right ${Math.round(box.right)})`);
      }
    }
  }
  // visible text outside elements marked as Chinese (the language switch's 中文)
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template, svg, body [lang^="zh"]')) continue;
    const owner = parent.closest('option') ? parent.closest('select') : parent;
    if (!shown(owner)) continue;
    if (node.textContent.trim()) texts.push(node.textContent.trim());
  }
  for (const el of document.body.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    if (el.closest('body [lang^="zh"]')) continue;
    for (const attr of ['placeholder', 'title', 'aria-label', 'alt']) {
      const value = el.getAttribute(attr);
      if (value) texts.push(value);
    }
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) {
    if (el.value) texts.push(el.value);
  }
  texts.push(document.title);
  return {
    lang: document.documentElement.lang,
    h1: document.querySelectorAll('h1').length,
    unnamed, noAlt, wide: wide.slice(0, 8),
    scrollWidth: document.scrollingElement.scrollWidth, width,
    texts,
  };
}"""


def _settle(page) -> None:
    """Pages with a bundled script fetch more after load (diagrams, charts): wait for those
    requests; plain pages are done at load."""
    if page.locator('script[src*="/static/build/"]').count():
        page.wait_for_load_state("networkidle")


def _watch(page) -> list[str]:
    """Console errors and uncaught exceptions of `page`, as they happen."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


def _findings(found: dict[str, Any], lang: str, data: list[str]) -> list[str]:
    """What INSPECT found wrong with a page shown in `lang`."""
    wrong = []
    if found["lang"] != HTML_LANG[lang]:
        wrong.append(f"<html lang={found['lang']!r}>")
    wrong += [f"no accessible name: {html}" for html in found["unnamed"]]
    wrong += [f"no alt: {html}" for html in found["noAlt"]]
    if found["h1"] != 1:
        wrong.append(f"{found['h1']} h1 elements")
    if found["scrollWidth"] > found["width"] + 1:
        wrong.append(f"scrolls sideways to {found['scrollWidth']} px: {found['wide']}")
    if lang == "en":
        wrong += [f"Chinese that is not data: {text}" for text in _not_data(found["texts"], data)]
    return wrong


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_page(sweep: Sweep, case: tuple[str, str], lang: str):
    endpoint, variant = case
    url = sweep.url(endpoint, variant)
    who = _visit(endpoint, variant).who(sweep.scenario)
    page = sweep.context(who, lang).new_page()
    problems = _watch(page)
    try:
        response = page.goto(sweep.base + url)
        _settle(page)
        found = page.evaluate(INSPECT)
        if lang == "zh":
            shot = re.sub(r"[^\w.-]+", "-", _case_id(case)).strip("-")
            page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    finally:
        page.close()

    where = f"{url} as {who or 'nobody'} in {lang}"
    assert response is not None and response.status == 200, where
    assert "/login" not in page.url or who is None, f"{where} went to {page.url}"
    assert problems == [], where
    assert _findings(found, lang, sweep.data) == [], where


BAD_PAGE = """<!doctype html><html lang="en"><head><title>坏页面</title></head><body>
<h1>一</h1><h1>二</h1>
<label>有名字 <input name="a"></label>
<input name="b" placeholder="Name"><select name="c"></select><textarea name="d"></textarea>
<input type="hidden" name="e"><input type="submit" value="Send">
<input name="f" aria-labelledby="f-label"><span id="f-label">F</span>
<input name="g" title="G"><input name="h" aria-label="H"><input name="i" style="display:none">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
<div class="table-wrap" style="overflow-x:auto"><table style="width:3000px"><tr><td>宽表</td></tr>
</table></div>
<p>Data: 模拟科1 and a word left in Chinese: 提交</p>
<a lang="zh-CN" href="#">中文</a>
<script>console.error("broken")</script></body></html>"""


def test_the_checks_find_what_they_look_for(sweep: Sweep):
    """A page with each fault once: the sweep names every one, and nothing else (the wide
    table in its scrolling container, the named controls, the data and 中文
    pass)."""
    page = sweep.context(ANONYMOUS, "zh").new_page()
    problems = _watch(page)
    try:
        page.set_content(BAD_PAGE)
        found = page.evaluate(INSPECT)
        page.set_content('<html lang="en"><body><h1>x</h1><div style="width:2000px">w</div>')
        wide = _findings(page.evaluate(INSPECT), "en", [])
    finally:
        page.close()
    faults = [
        'no accessible name: <input name="b" placeholder="Name">',
        'no accessible name: <select name="c"></select>',
        'no accessible name: <textarea name="d"></textarea>',
        f"no alt: {found['noAlt'][0]}",
        "2 h1 elements",
    ]
    assert _findings(found, "zh", ["模拟科1"]) == ["<html lang='en'>", *faults]
    assert _findings(found, "en", ["模拟科1"]) == [
        *faults,
        "Chinese that is not data: 一  «一»",
        "Chinese that is not data: 二  «二»",
        "Chinese that is not data: 坏页面  «坏页面»",
        "Chinese that is not data: 宽表  «宽表»",
        "Chinese that is not data: 提交  «Data: 模拟科1 and a word left in Chinese: 提交»",
        "Chinese that is not data: 有名字  «有名字»",
    ]
    assert len(wide) == 1 and wide[0].startswith("scrolls sideways to 2"), wide
    assert problems == ["console error: broken"]


def _not_data(texts: list[str], data: list[str]) -> list[str]:
    """The texts that still show Chinese once every stored value (longest first) is taken
    out, each with what is left."""
    chinese = [text for text in texts if CJK.search(text)]
    shown = "\n".join(chinese)
    present = [value for value in data if value in shown]  # one pass over the data
    left: set[str] = set()
    for text in chinese:
        rest = text
        for value in present:
            if value in rest:
                rest = rest.replace(value, " ")
        if CJK.search(rest):
            left.add(f"{' '.join(CJK.findall(rest))}  «{text[:100]}»")
    return sorted(left)
