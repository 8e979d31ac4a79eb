"""What the modeler's pickers offer: the same catalogs the server validates diagrams against
(handlers, form keys, roles, messages), with labels, plus the due-time choices and the
escalation rule that applies to every step with a due time.

Escalation is not a diagram property: `app.services.escalation` escalates every user task
with a due time by the campaign's policy. The modeler therefore lets an admin pick the due
time (`dueIn`) and shows the campaign's rule read-only beside it.
"""

from __future__ import annotations

import inspect
from typing import Any

from flask_babel import gettext as _

import handlers
from app import clock
from app.forms import FORMS
from app.i18n import N_, ROLE_NAMES, label
from app.models import Person
from app.models.org import ROLES
from app.models.process import MESSAGES
from app.rules.campaign_settings import parse
from app.services import campaigns
from app.services.modeler import require_admin

# Chinese names of the handlers (msgids); a handler missing here shows its key.
HANDLER_NAMES = {
    "appeals.open_window": N_("开启申诉期"),
    "evaluation.open": N_("开启年终测评"),
    "evaluation.raters": N_("列出测评人"),
    "letters.lock": N_("锁定绩效责任书"),
    "notices.remind": N_("发送办理提醒"),
    "outcomes.record": N_("记录考核结果应用"),
    "quarterly.compare": N_("季度指标比对"),
    "quarterly.rate": N_("季度评级"),
    "schedule.next_quarter_review": N_("安排下次季度反馈"),
    "schedule.next_spot_check": N_("安排下次月度督查"),
    "scoring.compute": N_("计算年终得分"),
    "sources.pull": N_("从业务系统拉取数据"),
    "spot_checks.draw_sample": N_("抽取督查样本"),
    "verification.compare": N_("年终数据比对"),
}
MESSAGE_NAMES = {"results_published": N_("考核结果公示")}
DUE_DAYS = (1, 2, 3, 5, 7, 10, 15, 20, 30)


def _parameters(fn: Any) -> list[dict[str, Any]]:
    """The handler's keyword parameters (the first one is the context)."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    return [
        {
            "name": p.name,
            "required": p.default is inspect.Parameter.empty,
            "type": p.annotation
            if isinstance(p.annotation, str)
            else getattr(p.annotation, "__name__", ""),
        }
        for p in params
    ]


def _description(fn: Any) -> str:
    return " ".join((inspect.getdoc(fn) or "").split())


def _escalation() -> dict[str, Any]:
    year = clock.now().astimezone(clock.LOCAL_ZONE).year
    campaign = campaigns.find(year)
    policy = parse(campaign.settings if campaign is not None else {}).escalation
    hours = int(policy.remind_before.total_seconds() // 3600)
    days = policy.red_after_working_days
    return {
        "year": year,
        "remind_hours": hours,
        "red_after_working_days": days,
        "note": _(
            "到期前%(hours)s小时提醒，到期未办黄牌，超期%(days)s个工作日红牌"
            "（%(year)s年度考核设置，对所有设有办理时限的步骤生效）",
            hours=hours,
            days=days,
            year=year,
        ),
    }


def describe(actor: Person) -> dict[str, Any]:
    """The catalogs, labelled in the current language."""
    require_admin(actor)
    return {
        "handlers": [
            {
                "key": name,
                "label": _(HANDLER_NAMES[name]) if name in HANDLER_NAMES else name,
                "description": _description(fn),
                "parameters": _parameters(fn),
            }
            for name, fn in sorted(handlers.REGISTRY.items())
        ],
        "forms": [{"key": key, "label": str(form.title)} for key, form in FORMS.items()],
        "roles": [{"key": key, "label": label(ROLE_NAMES, key)} for key in ROLES],
        "messages": [
            {
                "key": key,
                "label": _(MESSAGE_NAMES[key]) if key in MESSAGE_NAMES else key,
                "description": text,
            }
            for key, text in MESSAGES.items()
        ],
        "due": [{"value": f"P{n}D", "label": _("%(n)s天", n=n)} for n in DUE_DAYS],
        "escalation": _escalation(),
    }
