"""The permission matrix: every /api/v1 endpoint, called as anonymous and as each role, against
real objects of the caller's own department (预算科, CZ-YS) and of another one (督查科, DC-DC).

Each cell names the exact status expected. A new endpoint without a row here fails
`test_matrix_covers_every_api_endpoint`. Every response of a caller who may not see 督查科 is
searched for its name, code and people: a denied cell must not leak what it denies.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, Indicator, IndicatorTemplate, ProcessDefinition, RoleAssignment
from app.rules import templates as seed_templates
from app.services import accounts, assignments, definitions, instances, library, modeler, plans
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person
from tests.org.conftest import DC_DC_SECRETS, PASSWORD, City, readable

ROLES = ("admin", "leader_li", "head_fin", "staff_fin", "kh_chen", "fy_he", "expert_gao")
ACTORS = ("anonymous", *ROLES)
# Who may see 督查科 at all: the centre, and the city-wide assessment group and review panel.
SEES_DC_DC = {"admin", "kh_chen", "fy_he"}
PROJECT = Path(__file__).resolve().parents[2]


def row(admin, leader_li, head_fin, staff_fin, kh_chen, fy_he, expert_gao) -> dict[str, int]:
    return dict(
        zip(ROLES, (admin, leader_li, head_fin, staff_fin, kh_chen, fy_he, expert_gao), strict=True)
    )


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def admin_only(status: int) -> dict[str, int]:
    return row(status, 403, 403, 403, 403, 403, 403)


# Visibility of an object of CZ-YS and of DC-DC, when the caller only reads it.
SEE_CZ_YS = row(200, 200, 200, 200, 200, 200, 404)
SEE_DC_DC = row(200, 404, 404, 404, 200, 200, 404)
# Acting on the draft task (lane department_head): head_fin only, on CZ-YS only.
ACT_CZ_YS = row(403, 403, 200, 403, 403, 403, 404)
ACT_DC_DC = row(403, 404, 404, 404, 403, 403, 404)


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    expect: dict[str, int]
    path: Callable[[City, str], str] | None = None  # default: the rule itself
    json: Callable[[City, str], dict] | None = None
    upload: tuple[str, Path] | None = None  # (query string, file) for multipart uploads
    form: Callable[[City, str], dict] | None = None  # multipart form fields
    xml: Path | None = None  # a raw XML request body
    setup: Callable[[City], None] | None = None
    anonymous: int = 401
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}{' ' + self.label if self.label else ''}"


def _claim_cz_ys(city: City) -> None:
    unit_of_work(lambda: assignments.claim(city.drafts["CZ-YS"], person("head_fin")))


def _suspend_cz_ys(city: City) -> None:
    unit_of_work(lambda: instances.suspend(city.instances["CZ-YS"], person("admin"), "核查"))


def _token_of_head_insp(city: City) -> None:
    unit_of_work(lambda: accounts.issue_token(person("head_insp"), "theirs"))


def _newest_token_id(username: str) -> int:
    return db.session.scalars(
        sa.select(ApiToken.id)
        .where(ApiToken.person_id == person(username).id)
        .order_by(ApiToken.id.desc())
    ).first()


def _staff_dc_role(city: City) -> int:
    return db.session.scalars(
        sa.select(RoleAssignment.id).where(RoleAssignment.person_id == city.people["staff_dc"])
    ).first()


def _definition_id() -> int:
    return db.session.scalars(sa.select(ProcessDefinition.id)).first()


def _bpmn_definition_id() -> int:
    return db.session.scalars(
        sa.select(ProcessDefinition.id).where(ProcessDefinition.kind == "bpmn")
    ).first()


SHIPPED_BPMN = PROJECT / "workflows" / "bpmn" / "annual_cycle.bpmn"


def _draft_of_annual_cycle(city: City) -> None:
    unit_of_work(
        lambda: modeler.save_draft("annual_cycle", SHIPPED_BPMN.read_bytes(), person("admin"))
    )


def _second_version(city: City) -> None:
    """A second version of the annual cycle, so its first may be rolled back to."""
    renamed = SHIPPED_BPMN.read_bytes().replace(
        'name="锁定责任书"'.encode(), 'name="锁定"'.encode()
    )
    unit_of_work(lambda: definitions.upload("annual_cycle.bpmn", renamed, person("admin")))


def _token_of_admin(city: City) -> None:
    unit_of_work(lambda: accounts.issue_token(person("admin"), "mine"))


def _self_id(city: City, actor: str) -> int:
    return city.people["admin" if actor == "anonymous" else actor]


def _fresh_indicator(city: City) -> None:
    def make():
        admin = person("admin")
        data = library.columns_of(
            library.to_definition(library.by_code(2026, ["DYN-AI"])["DYN-AI"])
        )
        return library.create(admin, 2026, "DYN-NEW", data)

    unit_of_work(make)


def _fresh_indicator_id() -> int:
    return db.session.scalars(sa.select(Indicator.id).where(Indicator.code == "DYN-NEW")).one()


def _indicator_id(code: str) -> int:
    return db.session.scalars(
        sa.select(Indicator.id).where(Indicator.year == 2026, Indicator.code == code)
    ).one()


def _template_id(category: str) -> int:
    return db.session.scalars(
        sa.select(IndicatorTemplate.id).where(
            IndicatorTemplate.year == 2026, IndicatorTemplate.category == category
        )
    ).one()


def _assign_plans(city: City) -> None:
    admin = person("admin")
    for code, category in (("CZ-YS", "finance"), ("DC-DC", "inspection")):
        unit_of_work(
            lambda c=code, k=category: plans.assign(admin, _template_id(k), [city.departments[c]])
        )


FINANCE_LINES = [
    {"indicator": line.indicator.code, "weight": f"{line.weight:f}"}
    for line in seed_templates.TEMPLATES["finance"].lines
]


V1 = "/api/v1"
CASES = [
    Case("GET", f"{V1}/audit", admin_only(200)),
    Case(
        "POST",
        f"{V1}/ballots",
        row(403, 201, 403, 403, 403, 403, 403),
        json=lambda c, a: {
            "year": 2026,
            "department_id": c.departments["CZ-YS"],
            "rater_group": "leader",
            "score": "91.5",
        },
        label="leader ballot for CZ-YS",
    ),
    Case(
        "POST",
        f"{V1}/ballots",
        row(403, 403, 201, 201, 403, 403, 403),
        json=lambda c, a: {
            "year": 2026,
            "department_id": c.departments["DC-DC"],
            "rater_group": "peer",
            "score": "80",
        },
        label="peer ballot for DC-DC",
    ),
    Case("GET", f"{V1}/definitions", admin_only(200)),
    Case(
        "POST",
        f"{V1}/definitions",
        admin_only(200),  # 200: the shipped file again, unchanged
        upload=("", PROJECT / "workflows" / "bpmn" / "annual_cycle.bpmn"),
    ),
    Case(
        "POST",
        f"{V1}/definitions/import",
        admin_only(201),
        upload=("", PROJECT / "tests" / "fixtures" / "import" / "camunda7_letter.bpmn"),
    ),
    Case(
        "GET",
        f"{V1}/definitions/<int:definition_id>",
        admin_only(200),
        path=lambda c, a: f"{V1}/definitions/{_definition_id()}",
    ),
    Case(
        "GET",
        f"{V1}/definitions/<int:definition_id>/source",
        admin_only(200),
        path=lambda c, a: f"{V1}/definitions/{_definition_id()}/source",
    ),
    Case(
        "GET",
        f"{V1}/definitions/<int:definition_id>/compare",
        admin_only(200),
        path=lambda c, a: f"{V1}/definitions/{_bpmn_definition_id()}/compare",
    ),
    Case(
        "POST",
        f"{V1}/definitions/<int:definition_id>/rollback",
        admin_only(201),
        path=lambda c, a: f"{V1}/definitions/{_bpmn_definition_id()}/rollback",
        setup=_second_version,
    ),
    Case("GET", f"{V1}/modeler/catalog", admin_only(200)),
    Case("GET", f"{V1}/modeler/drafts", admin_only(200), setup=_draft_of_annual_cycle),
    Case(
        "GET",
        f"{V1}/modeler/drafts/<key>",
        admin_only(200),
        path=lambda c, a: f"{V1}/modeler/drafts/annual_cycle",
        setup=_draft_of_annual_cycle,
    ),
    Case(
        "PUT",
        f"{V1}/modeler/drafts/<key>",
        admin_only(200),
        path=lambda c, a: f"{V1}/modeler/drafts/annual_cycle",
        xml=SHIPPED_BPMN,
    ),
    Case(
        "DELETE",
        f"{V1}/modeler/drafts/<key>",
        admin_only(204),
        path=lambda c, a: f"{V1}/modeler/drafts/annual_cycle",
        setup=_draft_of_annual_cycle,
    ),
    Case(
        "POST",
        f"{V1}/modeler/drafts/<key>/validate",
        admin_only(200),
        path=lambda c, a: f"{V1}/modeler/drafts/annual_cycle/validate",
        setup=_draft_of_annual_cycle,
    ),
    Case(
        "POST",
        f"{V1}/modeler/drafts/<key>/publish",
        admin_only(200),  # 200: the shipped content again, unchanged
        path=lambda c, a: f"{V1}/modeler/drafts/annual_cycle/publish",
        setup=_draft_of_annual_cycle,
    ),
    Case(
        "GET",
        f"{V1}/modeler/drafts/<key>/compare",
        admin_only(200),
        path=lambda c, a: f"{V1}/modeler/drafts/annual_cycle/compare",
        setup=_draft_of_annual_cycle,
    ),
    Case("GET", f"{V1}/departments", everyone(200)),
    Case(
        "GET",
        f"{V1}/departments/<int:department_id>/ballot-summary",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/departments/{c.departments['CZ-YS']}/ballot-summary?year=2026",
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/departments/<int:department_id>/ballot-summary",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/departments/{c.departments['DC-DC']}/ballot-summary?year=2026",
        label="DC-DC",
    ),
    Case(
        "POST",
        f"{V1}/instances",
        admin_only(201),
        json=lambda c, a: {"department_id": c.departments["XF-JD"], "year": 2026},
    ),
    Case(
        "GET",
        f"{V1}/instances/<int:instance_id>",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/instances/{c.instances['CZ-YS']}",
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/instances/<int:instance_id>",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/instances/{c.instances['DC-DC']}",
        label="DC-DC",
    ),
    Case(
        "GET",
        f"{V1}/instances/<int:instance_id>/diagram",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/instances/{c.instances['CZ-YS']}/diagram",
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/instances/<int:instance_id>/diagram",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/instances/{c.instances['DC-DC']}/diagram",
        label="DC-DC",
    ),
    Case(
        "GET",
        f"{V1}/instances/<int:instance_id>/diagram/source",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/instances/{c.instances['CZ-YS']}/diagram/source",
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/instances/<int:instance_id>/diagram/source",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/instances/{c.instances['DC-DC']}/diagram/source",
        label="DC-DC",
    ),
    Case(
        "POST",
        f"{V1}/instances/<int:instance_id>/retry",
        admin_only(409),  # allowed, but the instance is not in error
        path=lambda c, a: f"{V1}/instances/{c.instances['CZ-YS']}/retry",
    ),
    Case(
        "POST",
        f"{V1}/instances/<int:instance_id>/suspend",
        admin_only(200),
        path=lambda c, a: f"{V1}/instances/{c.instances['CZ-YS']}/suspend",
        json=lambda c, a: {"reason": "核查数据"},
    ),
    Case(
        "POST",
        f"{V1}/instances/<int:instance_id>/resume",
        admin_only(200),
        path=lambda c, a: f"{V1}/instances/{c.instances['CZ-YS']}/resume",
        json=lambda c, a: {},
        setup=_suspend_cz_ys,
    ),
    Case(
        "POST",
        f"{V1}/instances/<int:instance_id>/terminate",
        admin_only(200),
        path=lambda c, a: f"{V1}/instances/{c.instances['DC-DC']}/terminate",
        json=lambda c, a: {"reason": "科室撤并"},
    ),
    Case("GET", f"{V1}/me", everyone(200)),
    Case(
        "POST",
        f"{V1}/me/password",
        everyone(204),
        json=lambda c, a: {"current_password": PASSWORD, "new_password": "kaohe-2026-new"},
    ),
    Case("POST", f"{V1}/me/sign-out-everywhere", everyone(204)),
    Case("GET", f"{V1}/openapi.json", everyone(200), anonymous=200),
    Case(
        "POST",
        f"{V1}/org/import",
        admin_only(200),  # a dry run of the demo organisation
        upload=("?kind=org", PROJECT / "app" / "demo_data" / "org.csv"),
    ),
    Case("GET", f"{V1}/people", everyone(200)),
    Case(
        "GET",
        f"{V1}/people/<int:person_id>",
        admin_only(200) | dict.fromkeys(ROLES[1:], 404),
        path=lambda c, a: f"{V1}/people/{c.people['head_insp']}",
        label="someone of DC-DC",
    ),
    Case(
        "GET",
        f"{V1}/people/<int:person_id>",
        everyone(200),
        path=lambda c, a: f"{V1}/people/{_self_id(c, a)}",
        label="myself",
    ),
    Case(
        "POST",
        f"{V1}/people/<int:person_id>/move",
        admin_only(201),
        path=lambda c, a: f"{V1}/people/{c.people['staff_dc']}/move",
        json=lambda c, a: {"to_department_id": c.departments["DC-DB"], "reason": "工作需要"},
    ),
    Case(
        "POST",
        f"{V1}/people/<int:person_id>/password",
        admin_only(204),
        path=lambda c, a: f"{V1}/people/{c.people['staff_dc']}/password",
        json=lambda c, a: {"new_password": "reset-2026-abc"},
    ),
    Case(
        "POST",
        f"{V1}/people/<int:person_id>/roles",
        admin_only(201),
        path=lambda c, a: f"{V1}/people/{c.people['staff_dc']}/roles",
        json=lambda c, a: {"role": "staff", "department_id": c.departments["DC-DB"]},
    ),
    Case(
        "POST",
        f"{V1}/roles/<int:assignment_id>/end",
        admin_only(204),
        path=lambda c, a: f"{V1}/roles/{_staff_dc_role(c)}/end",
        json=lambda c, a: {"reason": "岗位调整"},
    ),
    Case(
        "POST",
        f"{V1}/survey-links",
        admin_only(201),
        json=lambda c, a: {"year": 2026, "department_id": c.departments["CZ-YS"], "count": 1},
    ),
    Case("GET", f"{V1}/tasks", everyone(200)),
]
for _code, _see, _act in (("CZ-YS", SEE_CZ_YS, ACT_CZ_YS), ("DC-DC", SEE_DC_DC, ACT_DC_DC)):
    _other = "staff_ys2" if _code == "CZ-YS" else "staff_dc"
    CASES += [
        Case(
            "GET",
            f"{V1}/tasks/<int:task_id>",
            _see,
            path=lambda c, a, code=_code: f"{V1}/tasks/{c.drafts[code]}",
            label=f"{_code} draft",
        ),
        Case(
            "POST",
            f"{V1}/tasks/<int:task_id>/claim",
            _act,
            path=lambda c, a, code=_code: f"{V1}/tasks/{c.drafts[code]}/claim",
            label=f"{_code} draft",
        ),
        Case(
            "POST",
            f"{V1}/tasks/<int:task_id>/complete",
            _act,
            path=lambda c, a, code=_code: f"{V1}/tasks/{c.drafts[code]}/complete",
            json=lambda c, a: {"data": VALID_LETTER},
            label=f"{_code} draft",
        ),
        Case(
            "POST",
            f"{V1}/tasks/<int:task_id>/delegate",
            _act,
            path=lambda c, a, code=_code: f"{V1}/tasks/{c.drafts[code]}/delegate",
            json=lambda c, a, other=_other: {"to_person_id": c.people[other], "reason": "出差"},
            label=f"{_code} draft",
        ),
        Case(
            "POST",
            f"{V1}/tasks/<int:task_id>/reassign",
            admin_only(200),
            path=lambda c, a, code=_code: f"{V1}/tasks/{c.drafts[code]}/reassign",
            json=lambda c, a, other=_other: {"to_person_id": c.people[other], "reason": "请假"},
            label=f"{_code} draft",
        ),
    ]
CASES += [
    Case(
        "POST",
        f"{V1}/tasks/<int:task_id>/unclaim",
        ACT_CZ_YS,
        path=lambda c, a: f"{V1}/tasks/{c.drafts['CZ-YS']}/unclaim",
        setup=_claim_cz_ys,
        label="CZ-YS draft held by head_fin",
    ),
    Case("GET", f"{V1}/tokens", everyone(200)),
    Case(
        "POST",
        f"{V1}/tokens",
        everyone(201),
        anonymous=201,  # signing in needs no token
        json=lambda c, a: {"username": "admin" if a == "anonymous" else a, "password": PASSWORD},
        label="own credentials",
    ),
    Case(
        "DELETE",
        f"{V1}/tokens/<int:token_id>",
        everyone(204),
        path=lambda c, a: f"{V1}/tokens/{_newest_token_id('admin' if a == 'anonymous' else a)}",
        setup=_token_of_admin,
        label="my own",
    ),
    Case(
        "DELETE",
        f"{V1}/tokens/<int:token_id>",
        everyone(404),
        path=lambda c, a: f"{V1}/tokens/{_newest_token_id('head_insp')}",
        setup=_token_of_head_insp,
        label="head_insp's",
    ),
    Case("GET", f"{V1}/units", everyone(200)),
    Case("GET", f"{V1}/indicators", everyone(200), path=lambda c, a: f"{V1}/indicators?year=2026"),
    Case(
        "POST",
        f"{V1}/indicators",
        admin_only(201),
        json=lambda c, a: dict(
            library.columns_of(library.to_definition(library.by_code(2026, ["DYN-AI"])["DYN-AI"])),
            year=2026,
            code="DYN-X",
            target="100",
            cap="1",
            tolerance="0",
            floor="0",
            threshold=None,
            per_unit=None,
        ),
    ),
    Case(
        "GET",
        f"{V1}/indicators/<int:indicator_id>",
        everyone(200),
        path=lambda c, a: f"{V1}/indicators/{_indicator_id('FIN-ERR')}",
    ),
    Case(
        "PUT",
        f"{V1}/indicators/<int:indicator_id>",
        admin_only(200),
        path=lambda c, a: f"{V1}/indicators/{_indicator_id('INS-LATE')}",
        json=lambda c, a: {
            "name": "督查件超期办理",
            "kind": "individual",
            "nature": "quantitative",
            "method": "deduction",
            "direction": "lower",
            "target": "0",
            "per_unit": "2",
            "unit": "天",
        },
    ),
    Case(
        "POST",
        f"{V1}/indicators/<int:indicator_id>/retire",
        admin_only(200),
        path=lambda c, a: f"{V1}/indicators/{_fresh_indicator_id()}/retire",
        setup=_fresh_indicator,
    ),
    Case(
        "POST",
        f"{V1}/indicators/<int:indicator_id>/restore",
        admin_only(200),
        path=lambda c, a: f"{V1}/indicators/{_fresh_indicator_id()}/restore",
        setup=_fresh_indicator,
    ),
    Case(
        "GET",
        f"{V1}/indicator-years/<int:year>/review",
        admin_only(200),
        path=lambda c, a: f"{V1}/indicator-years/2026/review",
    ),
    Case(
        "POST",
        f"{V1}/indicator-years/<int:year>/roll-over",
        admin_only(201),
        path=lambda c, a: f"{V1}/indicator-years/2026/roll-over",
        json=lambda c, a: {"to_year": 2027},
    ),
    Case("GET", f"{V1}/templates", everyone(200), path=lambda c, a: f"{V1}/templates?year=2026"),
    Case(
        "PUT",
        f"{V1}/templates",
        admin_only(200),
        json=lambda c, a: {
            "year": 2026,
            "category": "finance",
            "name": "财务部门",
            "lines": FINANCE_LINES,
        },
    ),
    Case(
        "GET",
        f"{V1}/templates/<int:template_id>",
        everyone(200),
        path=lambda c, a: f"{V1}/templates/{_template_id('finance')}",
    ),
    Case(
        "POST",
        f"{V1}/templates/<int:template_id>/assign",
        admin_only(200),
        path=lambda c, a: f"{V1}/templates/{_template_id('finance')}/assign",
        json=lambda c, a: {"department_ids": [c.departments["CZ-YS"]]},
    ),
    Case(
        "GET",
        f"{V1}/plans/<int:year>",
        everyone(200),
        path=lambda c, a: f"{V1}/plans/2026",
        setup=_assign_plans,
    ),
    Case(
        "GET",
        f"{V1}/plans/<int:year>/<int:department_id>",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/plans/2026/{c.departments['CZ-YS']}",
        setup=_assign_plans,
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/plans/<int:year>/<int:department_id>",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/plans/2026/{c.departments['DC-DC']}",
        setup=_assign_plans,
        label="DC-DC",
    ),
    Case(
        "PUT",
        f"{V1}/plans/<int:year>/<int:department_id>",
        admin_only(200),
        path=lambda c, a: f"{V1}/plans/2026/{c.departments['CZ-YS']}",
        json=lambda c, a: {"lines": FINANCE_LINES},
    ),
]


def _results_2026(city: City) -> None:
    from app.services import results

    for code, score in (("CZ-YS", "92"), ("DC-DC", "85")):
        unit_of_work(
            lambda c=code, s=score: results.record_result(
                person("admin"), 2026, city.departments[c], s
            )
        )


def _calibrated_2026(city: City) -> None:
    from app.services import results

    _results_2026(city)
    unit_of_work(lambda: results.calibrate(person("admin"), 2026))


CAMPAIGN = f"{V1}/campaigns/<int:year>"


def _in_2026(rest: str) -> Callable[[City, str], str]:
    return lambda c, a: f"{V1}/campaigns/2026/{rest}"


CASES += [
    Case("GET", f"{CAMPAIGN}/settings", admin_only(200), path=_in_2026("settings")),
    Case(
        "PUT",
        f"{CAMPAIGN}/settings",
        admin_only(200),
        path=_in_2026("settings"),
        json=lambda c, a: {"quarterly_rule": False},
    ),
    Case(
        "GET", f"{CAMPAIGN}/results", everyone(200), path=_in_2026("results"), setup=_results_2026
    ),
    Case(
        "POST",
        f"{CAMPAIGN}/calibrate",
        admin_only(200),
        path=_in_2026("calibrate"),
        json=lambda c, a: {},
        setup=_results_2026,
    ),
    Case(
        "POST",
        f"{CAMPAIGN}/results/<int:department_id>/grade",
        admin_only(200),
        path=lambda c, a: f"{V1}/campaigns/2026/results/{c.departments['DC-DC']}/grade",
        json=lambda c, a: {
            "grade": "basically_competent",
            "reason": "核查",
            "approved_by": "市绩效考核委员会",
            "approval_ref": "纪要5号",
        },
        setup=_calibrated_2026,
        label="DC-DC",
    ),
    Case(
        "GET",
        f"{CAMPAIGN}/calibration-log",
        admin_only(200),
        path=_in_2026("calibration-log"),
        setup=_calibrated_2026,
    ),
    Case(
        "GET",
        f"{CAMPAIGN}/outcomes",
        admin_only(200),
        path=_in_2026("outcomes"),
        setup=_calibrated_2026,
    ),
]


CASES += [
    Case(
        "GET", f"{V1}/calendar/<int:year>", everyone(200), path=lambda c, a: f"{V1}/calendar/2026"
    ),
    Case(
        "PUT",
        f"{V1}/calendar/<int:year>",
        admin_only(200),
        path=lambda c, a: f"{V1}/calendar/2026",
        json=lambda c, a: {"days": [{"date": "2026-10-01", "working": False, "note": "国庆节"}]},
    ),
]


def _reported_cz_ys(city: City) -> None:
    from app.services import actuals

    unit_of_work(
        lambda: actuals.report(
            person("head_fin"),
            city.departments["CZ-YS"],
            "FIN-ERR",
            "2026-03",
            "0.3",
            upload=("核对.pdf", b"%PDF-1.4 evidence"),
        )
    )


def _newest_actual_id() -> int:
    from app.models import Actual

    return db.session.scalars(sa.select(Actual.id).order_by(Actual.id.desc())).first()


def _closed_source(city: City) -> None:
    """A data source nobody answers at (a pull fails at once, and is recorded)."""
    from app.services import actuals

    data = {
        "description": "",
        "url": "http://127.0.0.1:9/stats",
        "mapping": {},
        "timeout_seconds": 0.2,
        "retries": 0,
        "active": True,
    }
    unit_of_work(lambda: actuals.save_source(person("admin"), "hotline", data))


def _failed_run(city: City) -> None:
    from handlers.sources import runs

    _closed_source(city)
    unit_of_work(lambda: runs.trigger_pull(person("admin"), "hotline"))


def _newest_run_id() -> int:
    from app.models import PullRun

    return db.session.scalars(sa.select(PullRun.id).order_by(PullRun.id.desc())).first()


def _report_form(code: str) -> Callable[[City, str], dict]:
    return lambda c, a: {
        "department_id": str(c.departments[code]),
        "indicator": "FIN-ERR" if code == "CZ-YS" else "INS-PETITION",
        "period": "2026-03",
        "value": "0.3",
    }


# Reporting actuals: the department's own head and staff; others who see it get 403.
REPORT_CZ_YS = row(403, 403, 201, 201, 403, 403, 404)
REPORT_DC_DC = row(403, 404, 404, 404, 403, 403, 404)
CASES += [
    Case(
        "GET",
        f"{V1}/actuals",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/actuals?department_id={c.departments['CZ-YS']}&year=2026",
        setup=_reported_cz_ys,
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/actuals",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/actuals?department_id={c.departments['DC-DC']}&year=2026",
        label="DC-DC",
    ),
    Case("POST", f"{V1}/actuals", REPORT_CZ_YS, form=_report_form("CZ-YS"), label="CZ-YS"),
    Case("POST", f"{V1}/actuals", REPORT_DC_DC, form=_report_form("DC-DC"), label="DC-DC"),
    Case(
        "GET",
        f"{V1}/actuals/<int:actual_id>/evidence",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/actuals/{_newest_actual_id()}/evidence",
        setup=_reported_cz_ys,
        label="CZ-YS",
    ),
    Case(
        "POST",
        f"{V1}/actuals/import",
        admin_only(200),  # a dry run
        upload=("?dry_run=true", PROJECT / "tests" / "fixtures" / "actuals_2026.csv"),
    ),
    Case("GET", f"{V1}/data-sources", admin_only(200), setup=_closed_source),
    Case(
        "PUT",
        f"{V1}/data-sources/<name>",
        admin_only(200),
        path=lambda c, a: f"{V1}/data-sources/hotline",
        json=lambda c, a: {"url": "http://127.0.0.1:9/stats", "retries": 0},
    ),
    Case(
        "POST",
        f"{V1}/data-sources/<name>/pull",
        admin_only(201),  # the pull fails (nobody answers) and is recorded
        path=lambda c, a: f"{V1}/data-sources/hotline/pull",
        setup=_closed_source,
    ),
    Case("GET", f"{V1}/pull-runs", admin_only(200), setup=_failed_run),
    Case(
        "POST",
        f"{V1}/pull-runs/<int:run_id>/retry",
        admin_only(201),
        path=lambda c, a: f"{V1}/pull-runs/{_newest_run_id()}/retry",
        setup=_failed_run,
    ),
]


def _spot_checks_drawn(city: City) -> None:
    """March's spot check of 预算科 and of 督查科, on their demo ledgers."""
    from app.models import Department, ProcessInstance
    from app.services import ledger, spot_checks

    def draw():
        codes = ("CZ-YS", "DC-DC")
        ledger.seed_demo(2026, [db.session.get(Department, city.departments[c]) for c in codes])
        for code in codes:
            spot_checks.draw(db.session.get(ProcessInstance, city.instances[code]), 3)

    unit_of_work(draw)


# Spot checks: whoever may see the department (the assessment group and the centre: all).
CASES += [
    Case(
        "GET",
        f"{V1}/spot-checks",
        SEE_CZ_YS,
        path=lambda c, a: f"{V1}/spot-checks?department_id={c.departments['CZ-YS']}&year=2026",
        setup=_spot_checks_drawn,
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/spot-checks",
        SEE_DC_DC,
        path=lambda c, a: f"{V1}/spot-checks?department_id={c.departments['DC-DC']}&year=2026",
        setup=_spot_checks_drawn,
        label="DC-DC",
    ),
]

# Quarterly reviews (季度反馈): read by whoever may see the department.
CASES += [
    Case(
        "GET",
        f"{V1}/quarterly-reviews",
        _see,
        path=lambda c, a, code=_code: (
            f"{V1}/quarterly-reviews?department_id={c.departments[code]}&year=2026"
        ),
        label=_code,
    )
    for _code, _see in (("CZ-YS", SEE_CZ_YS), ("DC-DC", SEE_DC_DC))
]


def _approved_2026(city: City) -> None:
    from app.services import publications

    _calibrated_2026(city)
    unit_of_work(lambda: publications.approve(person("admin"), 2026))


def _published_2026(city: City) -> None:
    from app.services import publications

    _approved_2026(city)
    publications.publish(person("admin"), 2026)


# Approval and publication (公示): the centre; the publication, once published, everyone.
# Appeals of a department: the centre, the review panel and the department's own people.
APPEALS_CZ_YS = row(200, 403, 200, 200, 403, 200, 404)
APPEALS_DC_DC = row(200, 404, 404, 404, 403, 200, 404)
CASES += [
    Case(
        "POST",
        f"{CAMPAIGN}/approve",
        admin_only(201),
        path=_in_2026("approve"),
        setup=_calibrated_2026,
    ),
    Case(
        "POST",
        f"{CAMPAIGN}/publish",
        admin_only(200),
        path=_in_2026("publish"),
        setup=_approved_2026,
    ),
    Case(
        "GET",
        f"{CAMPAIGN}/publication",
        everyone(200),
        path=_in_2026("publication"),
        setup=_published_2026,
    ),
    Case("GET", f"{V1}/appeals", everyone(200), path=lambda c, a: f"{V1}/appeals?year=2026"),
    Case(
        "GET",
        f"{V1}/appeals",
        APPEALS_CZ_YS,
        path=lambda c, a: f"{V1}/appeals?department_id={c.departments['CZ-YS']}",
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/appeals",
        APPEALS_DC_DC,
        path=lambda c, a: f"{V1}/appeals?department_id={c.departments['DC-DC']}",
        label="DC-DC",
    ),
]


def _drafts_due_soon(city: City) -> None:
    """A day before the drafts of CZ-YS and DC-DC fall due: both are on the overdue board."""
    from datetime import UTC, datetime

    from app import clock as app_clock

    app_clock.current().set(datetime(2026, 1, 14, 1, 0, tzinfo=UTC))


# The overdue board (督办看板): the centre, supervising leaders and department heads, each over
# the departments they track; DC-DC is neither leader_li's nor head_fin's.
OVERDUE = row(200, 200, 200, 403, 403, 403, 403)
CASES += [
    Case("GET", f"{V1}/overdue", OVERDUE, setup=_drafts_due_soon),
    Case(
        "GET",
        f"{V1}/overdue",
        OVERDUE,
        path=lambda c, a: f"{V1}/overdue?level=due_soon&department_id={c.departments['CZ-YS']}",
        setup=_drafts_due_soon,
        label="CZ-YS",
    ),
    Case(
        "GET",
        f"{V1}/overdue",
        row(200, 404, 404, 403, 403, 403, 403),
        path=lambda c, a: f"{V1}/overdue?department_id={c.departments['DC-DC']}",
        setup=_drafts_due_soon,
        label="DC-DC",
    ),
]


# The dashboards (统计分析): whoever tracks overdue steps, over the same departments; with
# both departments' results published, leader_li and head_fin must still get none of DC-DC's.
CASES += [
    Case("GET", f"{V1}/statistics", OVERDUE, path=lambda c, a: f"{V1}/statistics?year=2026",
         setup=_published_2026),
    Case("GET", f"{V1}/statistics", row(404, 404, 404, 403, 403, 403, 403),
         path=lambda c, a: f"{V1}/statistics?year=2031", label="no such campaign"),
]  # fmt: skip


def test_matrix_covers_every_api_endpoint(app):
    api_rules = {
        (method, re.sub(r"<int\([^)]*\):", "<int:", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(V1)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert {(case.method, case.rule) for case in CASES} == api_rules


def _call(client, api_as, city: City, case: Case, actor: str):
    headers = {} if actor == "anonymous" else api_as(actor).headers
    if case.setup:
        case.setup(city)
    url = case.path(city, actor) if case.path else case.rule
    kwargs: dict = {}
    if case.json:
        kwargs["json"] = case.json(city, actor)
    if case.form:
        kwargs["data"] = case.form(city, actor)
        kwargs["content_type"] = "multipart/form-data"
    if case.xml:
        kwargs["data"] = case.xml.read_bytes()
        kwargs["content_type"] = "application/xml"
    if case.upload:
        query, file = case.upload
        url += query
        kwargs["data"] = {"file": (io.BytesIO(file.read_bytes()), file.name)}
        kwargs["content_type"] = "multipart/form-data"
    return client.open(url, method=case.method, headers=headers, **kwargs)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cell(client, api_as, city, case: Case, actor: str):
    response = _call(client, api_as, city, case, actor)
    expected = case.anonymous if actor == "anonymous" else case.expect[actor]
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if response.status_code >= 400 and case.rule != f"{V1}/openapi.json":
        assert response.get_json()["error"]["status"] == expected
    if actor not in SEES_DC_DC and not (case.rule.endswith("/openapi.json")):
        body = readable(response)
        leaked = [secret for secret in DC_DC_SECRETS if secret in body]
        assert not leaked, f"{actor} received {leaked}: {body[:300]}"
