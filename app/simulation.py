"""A whole campaign year on a fast clock: `flask simulate-year`, the end-to-end test and the
benchmark's workload.

Every department's instance runs the shipped annual-cycle diagram on the movable clock.
Between wake-ups the simulation plays the people: each ready task gets a planned completion
moment (most before the due time, some late, so escalation happens), and is then completed
through the same service the API and pages call, as one of its candidates, with plausible
input for its form. Department heads report quarterly and year-end actuals; a data file
brings the "pulled" year figures (some differ, so verification has work); service recipients
answer through their survey links; the centre calibrates, approves and publishes once every
department is scored; a few departments appeal. Every random choice comes from one seed.
"""

from __future__ import annotations

import heapq
import json
import random
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from app import clock
from app.clock import LOCAL_ZONE, MovableClock
from app.extensions import db
from app.models import (
    Actual,
    Appeal,
    Department,
    DepartmentResult,
    Finding,
    HumanTask,
    Person,
    ProcessInstance,
    ResponsibilityLetter,
    RoleAssignment,
    SpotCheck,
    SurveyLink,
    Unit,
)
from app.models.process import INSTANCE_STATUSES
from app.rules.quarterly import adds_up
from app.rules.templates import TEMPLATES
from app.services import (
    actuals,
    ballots,
    escalation,
    instances,
    ledger,
    library,
    permissions,
    plans,
    publications,
    quarterly,
    results,
    spot_checks,
    timers,
    verification,
)
from app.services.errors import ServiceError
from app.services.transactions import unit_of_work

CATEGORIES = tuple(str(c) for c in TEMPLATES)  # the categories that have a template
OPEN = tuple(s for s in INSTANCE_STATUSES if s not in ("completed", "terminated"))
LATE_SHARE = 0.12  # tasks finished after their due time
HORIZON_DAYS = 500  # a year, the appeal window and some slack; a stuck run stops here


@dataclass
class Summary:
    departments: int
    year: int
    completed: int = 0
    grades: Counter = field(default_factory=Counter)
    scores: list[Decimal] = field(default_factory=list)
    findings_confirmed: int = 0
    deduction_points: Decimal = Decimal(0)
    appeals_filed: int = 0
    appeals_adjusted: int = 0
    tasks_completed: int = 0
    tasks_late: int = 0
    cards: Counter = field(default_factory=Counter)
    wake_ups: int = 0
    sweeps: int = 0
    survey_ballots: int = 0
    state_kb_max: float = 0.0
    state_kb_mean: float = 0.0
    wall_seconds: float = 0.0
    peak_mb: float = 0.0
    simulated_until: datetime | None = None
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        mean = sum(self.scores, Decimal(0)) / len(self.scores) if self.scores else Decimal(0)
        return [
            f"{self.year} 年度模拟：{self.departments} 个科室，完成 {self.completed} 个",
            "等次：" + "，".join(f"{g} {n}" for g, n in sorted(self.grades.items())),
            f"平均得分 {mean:.2f}；确认扣分 {self.findings_confirmed} 项，"
            f"共 {self.deduction_points} 分",
            f"申诉 {self.appeals_filed} 件，其中调整 {self.appeals_adjusted} 件",
            f"办理任务 {self.tasks_completed} 项，其中超期 {self.tasks_late} 项；"
            f"提醒 {self.cards['reminder']}，黄牌 {self.cards['yellow_card']}，"
            f"红牌 {self.cards['red_card']}",
            f"服务对象评价 {self.survey_ballots} 票；"
            f"定时唤醒 {self.wake_ups} 次（{self.sweeps} 轮）",
            f"年末实例状态 平均 {self.state_kb_mean:.1f} KB，最大 {self.state_kb_max:.1f} KB",
            f"用时 {self.wall_seconds:.1f} 秒，进程内存峰值 {self.peak_mb:.0f} MB，"
            f"模拟至 {self.simulated_until:%Y-%m-%d}"
            if self.simulated_until
            else "",
            *(f"错误：{e}" for e in self.errors),
        ]


# -- the city ---------------------------------------------------------------------------------


def synthetic_city(count: int, year: int) -> list[Department]:
    """`count` departments in bureaus of five, each with a head and a staff member; one
    supervising leader per four departments; a city-wide centre, assessment group and review
    panel. Categories cycle through those with a template."""
    valid_from = datetime(year - 1, 12, 1).date()

    def person(username: str, name: str, department: Department | None = None) -> Person:
        p = Person(username=username, display_name=name, department=department)
        db.session.add(p)
        return p

    def role(p: Person, name: str, department: Department | None = None) -> None:
        db.session.add(
            RoleAssignment(person=p, role=name, department=department, valid_from=valid_from)
        )

    for name, role_name, n in (
        ("centre", "centre_admin", 1),
        ("group", "assessment_group", 3),
        ("panel", "review_panel", 3),
    ):
        for i in range(n):
            role(person(f"sim_{name}_{i}", f"{name}{i}"), role_name)
    departments: list[Department] = []
    leader = None
    for i in range(count):
        if i % 5 == 0:
            unit = Unit(code=f"SIM-U{i // 5:04d}", name=f"模拟局{i // 5 + 1}")
            db.session.add(unit)
        department = Department(
            code=f"SIM-{i:04d}",
            name=f"模拟科{i + 1}",
            unit=unit,
            function_category=CATEGORIES[i % len(CATEGORIES)],
        )
        db.session.add(department)
        if i % 4 == 0:
            leader = person(f"sim_leader_{i // 4}", f"分管领导{i // 4 + 1}")
        role(leader, "supervising_leader", department)
        role(person(f"sim_head_{i}", f"科长{i + 1}", department), "department_head", department)
        role(person(f"sim_staff_{i}", f"科员{i + 1}", department), "staff", department)
        departments.append(department)
    db.session.flush()
    return departments


def _centre() -> Person:
    return next(
        p
        for p in db.session.scalars(select(Person).order_by(Person.id))
        if permissions.is_centre_admin(p)
    )


def prepare(departments: list[Department], year: int) -> None:
    """The year's library, template plans, ledgers, and one instance per department."""
    admin = _centre()
    if not library.listing(year):
        library.seed_year(year)
    for template in plans.templates(year):
        ids = [d.id for d in departments if d.function_category == template.category]
        if ids:
            plans.assign(admin, template.id, ids)
    ledger.seed_demo(year, departments)
    for department in departments:
        instances.start(department.id, year, admin)


# -- playing the people -----------------------------------------------------------------------


class People:
    """Plausible input for each form, drawn from one random generator."""

    def __init__(self, rng: random.Random, summary: Summary) -> None:
        self.rng = rng
        self.summary = summary
        self.quality: dict[int, float] = {}  # department id -> how well it performs
        self.lenient: dict[int, bool] = {}  # voter id -> gives everyone full marks

    def quality_of(self, department_id: int) -> float:
        return self.quality.setdefault(department_id, self.rng.uniform(0.8, 1.0))

    def answer(self, task: HumanTask) -> dict[str, Any]:
        return getattr(self, f"_{task.form_key}")(task)

    def _letter_draft(self, task: HumanTask) -> dict[str, Any]:
        lines = plans.draft_lines(task.instance)
        if lines is None:
            template = TEMPLATES[task.department.function_category]
            lines = [{"indicator": ln.indicator.code, "weight": ln.weight} for ln in template.lines]
        return {
            "lines": [
                {"indicator": ln["indicator"], "weight": f"{ln['weight']:f}"}
                | ({"target": f"{ln['target']:f}"} if ln.get("target") is not None else {})
                for ln in lines
            ],
            "note": None,
        }

    def _letter_review(self, task: HumanTask) -> dict[str, Any]:
        first = db.session.scalar(
            select(func.count())
            .select_from(ResponsibilityLetter)
            .where(ResponsibilityLetter.instance_id == task.instance_id)
        )
        if first == 1 and self.rng.random() < 0.1:
            return {"decision": "return", "comment": "请补充指标的数据来源后重新提交。"}
        return {"decision": "approve", "comment": "同意。"}

    def _letter_sign(self, task: HumanTask) -> dict[str, Any]:
        return {"confirm": True}

    def _spot_check_verify(self, task: HumanTask) -> dict[str, Any]:
        check = spot_checks.pending(task.instance_id, "verify")
        entries = []
        for entry in spot_checks.sample_entries(check):
            if self.rng.random() < 0.08 * (1.5 - self.quality_of(task.department_id)):
                entries.append(
                    {
                        "entry_id": entry.id,
                        "verdict": "finding",
                        "description": "台账记录与原始凭证不一致。",
                        "points": str(self.rng.choice(["0.5", "1", "1.5", "2"])),
                    }
                )
            else:
                entries.append({"entry_id": entry.id, "verdict": "ok"})
        return {"spot_check_id": check.id, "entries": entries}

    def _finding_rectify(self, task: HumanTask) -> dict[str, Any]:
        check = spot_checks.pending(task.instance_id, "rectify")
        return {
            "spot_check_id": check.id,
            "rectifications": [
                {"finding_id": f.id, "text": "已补齐凭证并更正台账。"}
                for f in check.findings
                if f.status == "open"
            ],
        }

    def _finding_confirm(self, task: HumanTask) -> dict[str, Any]:
        check = spot_checks.pending(task.instance_id, "confirm")
        decisions = []
        for finding in check.findings:
            if finding.status in spot_checks.FINDING_UNDECIDED:
                confirm = self.rng.random() < 0.8
                decisions.append(
                    {
                        "finding_id": finding.id,
                        "decision": "confirm" if confirm else "dismiss",
                        "comment": "问题属实，予以扣分。" if confirm else "已整改到位，不予扣分。",
                    }
                )
        return {"spot_check_id": check.id, "decisions": decisions}

    def _quarterly_interview(self, task: HumanTask) -> dict[str, Any]:
        review = quarterly.open_review(task.instance_id)
        return {
            "notes": "约谈滞后指标责任人，分析原因并明确整改措施。",
            "commitments": [
                {"line_id": line["line_id"], "commitment": "下季度前追上进度。"}
                for line in review.lines
            ],
            "next_check": (clock.today() + timedelta(days=30)).isoformat(),
        }

    def _data_verification(self, task: HumanTask) -> dict[str, Any]:
        return {
            "decisions": [
                {"verification_id": row.id, "accepted": "pulled"}
                for row in verification.open_differences(task.instance_id)
            ]
        }

    def _ballot(self, task: HumanTask) -> dict[str, Any]:
        if self.is_lenient(task.assignee_id):
            return {"score": "100"}  # 老好人: full marks to everyone (a void sheet)
        base = 60 + 38 * self.quality_of(task.department_id)
        return {"score": f"{min(100.0, base + self.rng.uniform(-6, 4)):.1f}"}

    def is_lenient(self, voter_id: int | None) -> bool:
        """The first voter and about one in six of the others give every department full
        marks, as some do in practice: the void-ballot rules must catch their sheets."""
        if voter_id is None:
            return False
        if voter_id not in self.lenient:
            self.lenient[voter_id] = not self.lenient or self.rng.random() < 1 / 6
        return self.lenient[voter_id]

    def _appeal_file(self, task: HumanTask) -> dict[str, Any]:
        result = _result_of(task)
        unhappy = result is not None and result.grade in ("basically_competent", "incompetent")
        if self.rng.random() < (0.6 if unhappy else 0.05):
            return {"decision": "appeal", "reasons": "部分扣分依据不足，请求复核。"}
        return {"decision": "accept"}

    def _appeal_decide(self, task: HumanTask) -> dict[str, Any]:
        result = _result_of(task)
        if result is not None and self.rng.random() < 0.4:
            corrected = max(Decimal(0), result.deductions - Decimal(1))
            return {
                "decision": "adjust",
                "reason": "扣分依据不足，核减1分。",
                "deductions": str(corrected),
            }
        return {"decision": "uphold", "reason": "扣分依据充分，维持原结果。"}

    def _improvement_plan(self, task: HumanTask) -> dict[str, Any]:
        return {
            "measures": "对照扣分指标逐项制定整改措施，每月向分管领导报告进度。",
            "training": "科室负责人参加市委党校脱产培训两周。",
            "post_adjustment": "调整两名岗位职责，由业务骨干牵头滞后指标。",
        }

    def _improvement_check(self, task: HumanTask) -> dict[str, Any]:
        if self.rng.random() < 0.2:
            return {"decision": "return", "comment": "培训安排不具体，请补充时间和地点。"}
        return {"decision": "accept", "comment": ""}


def _result_of(task: HumanTask) -> DepartmentResult | None:
    return db.session.scalars(
        select(DepartmentResult).where(
            DepartmentResult.campaign_id == task.instance.campaign_id,
            DepartmentResult.department_id == task.department_id,
        )
    ).first()


def _actor_for(task: HumanTask) -> Person | None:
    if task.assignee_id is not None:
        return db.session.get(Person, task.assignee_id)
    people = permissions.candidates(task.role, task.department)
    return people[0] if people else None


# -- figures ----------------------------------------------------------------------------------


# The case file a department attaches to a self-reported level (佐证材料).
_CASE_FILE = ("案例材料.pdf", b"%PDF-1.4\n% simulated case file\n%%EOF\n")

# The share of pulled figures that differ from the reported ones (3 % lower): the year-end
# data verification then has real differences to decide.
PULLED_DIFFERS = 0.25

# Indicators every department meets in full, as a clean discipline record usually is: what
# the yearly indicator review (删除达成率100%的无效指标) exists to catch.
ALWAYS_MET = frozenset({"COM-DE"})


def _figure(line, quality: float, rng: random.Random, share: float = 1.0) -> Decimal:
    """A plausible value for a letter line: near its target, better for better departments."""
    if line.indicator_code in ALWAYS_MET and line.target is not None:
        return (Decimal(line.target) * Decimal(str(share))).quantize(Decimal("0.01"))
    if line.target is None:  # a qualitative line: its behaviourally anchored level, 1-5
        return Decimal(rng.choice([3, 4, 4, 5] if quality > 0.85 else [2, 3, 3, 4]))
    target = Decimal(line.target)
    shortfall = Decimal(str((1 - quality) * rng.uniform(0.3, 1.7)))
    if line.direction == "lower":
        value = target * (1 + 4 * shortfall) if target else Decimal(str(rng.randint(0, 2)))
    else:
        value = target * (1 - shortfall)
    value *= Decimal(str(share))
    if line.unit == "%":
        value = min(value, Decimal(100))
    return max(Decimal(0), value).quantize(Decimal("0.01"))


def _letter(instance: ProcessInstance) -> ResponsibilityLetter | None:
    return db.session.scalars(
        select(ResponsibilityLetter).where(
            ResponsibilityLetter.instance_id == instance.id,
            ResponsibilityLetter.status == "locked",
        )
    ).first()


# -- the run ----------------------------------------------------------------------------------


class YearSimulation:
    def __init__(self, year: int, seed: int = 1, progress: Callable[[str], None] | None = None):
        self.year = year
        self.rng = random.Random(seed)
        self.clock = MovableClock(datetime(year, 1, 5, 9, 0, tzinfo=LOCAL_ZONE))
        self.progress = progress or (lambda message: None)
        # Each moment's work follows what changed since the last: the tasks that appeared
        # (ids above `seen_task`), the planned moments that came (a heap), the survey links
        # that appeared (ids above `seen_link`), never a rescan of the whole city.
        self.waiting: list[tuple[datetime, int]] = []  # heap of (planned moment, task id)
        self.due: set[int] = set()  # tasks whose moment came; done while they stay ready
        self.seen_task = 0
        self.seen_link = 0
        self.reported: dict[str, set[int]] = {}  # period -> instances that reported it
        self.imported = False
        self.pull_errors: list[str] = []  # rows of the pulled file that were refused
        self.published = False

    # each step is one transaction, like a request
    def _complete(self, task_id: int, people: People, summary: Summary) -> None:
        task = db.session.get(HumanTask, task_id)
        actor = _actor_for(task)
        if actor is None:
            summary.errors.append(f"nobody can act on {task.name} of {task.department.name}")
            return
        payload = people.answer(task)
        if task.due_at is not None and clock.now() > task.due_at:
            summary.tasks_late += 1
        instances.complete_task(task_id, actor, payload)
        summary.tasks_completed += 1

    def _plan(self, task: HumanTask, now: datetime) -> datetime:
        due = task.due_at or now + timedelta(days=3)
        room = max((due - now).total_seconds(), 3600.0)
        if self.rng.random() < LATE_SHARE:
            return due + timedelta(days=self.rng.uniform(0.2, 5))
        return now + timedelta(seconds=self.rng.uniform(0.05, 0.9) * room)

    def _people_work(self, people: People, summary: Summary) -> None:
        """Plan the tasks that appeared since the last moment, then do those whose planned
        moment has come and that are still ready (a boundary timer may have cancelled one)."""
        now = clock.now()
        fresh = db.session.scalars(
            select(HumanTask)
            .where(HumanTask.status == "ready", HumanTask.id > self.seen_task)
            .order_by(HumanTask.id)
        ).all()
        for task in fresh:  # rows are only ever created ready, with growing ids
            heapq.heappush(self.waiting, (self._plan(task, now), task.id))
            self.seen_task = task.id
        self._take_due(now)
        due_ids = self._still_ready(self.due)
        self.due = set(due_ids)  # one that fails stays ready and is tried again next moment
        for task_id in due_ids:
            try:
                unit_of_work(lambda t=task_id: self._complete(t, people, summary))
            except ServiceError as exc:
                summary.errors.append(f"task {task_id}: {exc}")

    def _take_due(self, now: datetime) -> None:
        while self.waiting and self.waiting[0][0] <= now:
            self.due.add(heapq.heappop(self.waiting)[1])

    @staticmethod
    def _still_ready(ids: set[int]) -> list[int]:
        ordered = sorted(ids)
        found: list[int] = []
        for start in range(0, len(ordered), 500):  # bounded IN lists
            found += db.session.scalars(
                select(HumanTask.id)
                .where(HumanTask.id.in_(ordered[start : start + 500]), HumanTask.status == "ready")
                .order_by(HumanTask.id)
            )
        return found

    def _report_actuals(self, people: People) -> None:
        """Heads report each quarter's figures at the quarter's end, and the year's in
        January; the year's "pulled" figures arrive as a data file, a few of them different."""
        local = clock.now().astimezone(LOCAL_ZONE)
        periods = [f"{self.year}-Q{q}" for q in range(1, 5) if local >= _quarter_end(self.year, q)]
        if local >= _quarter_end(self.year, 4):
            periods.append(str(self.year))
        if all(self.reported.get(period) for period in periods):
            return
        city = (  # the workflow states stay in the database; one order for the random draws
            select(ProcessInstance)
            .options(defer(ProcessInstance.state), joinedload(ProcessInstance.department))
            .order_by(ProcessInstance.id)
        )
        for instance in db.session.scalars(city).all():
            letter = _letter(instance)
            head = next(iter(permissions.candidates("department_head", instance.department)), None)
            if letter is None or head is None:
                continue
            quality = people.quality_of(instance.department_id)
            for period in periods:
                if instance.id in self.reported.setdefault(period, set()):
                    continue
                self.reported[period].add(instance.id)
                share = 1.0 if period == str(self.year) else 0.25

                def report(inst=instance, let=letter, per=period, sh=share, q=quality, h=head):
                    for line in let.lines:
                        if line.indicator_code:
                            value = _figure(
                                line, q, self.rng, sh if adds_up(line.unit, line.name) else 1.0
                            )
                            case = _CASE_FILE if line.target is None else None  # levels: a case
                            actuals.report(
                                h, inst.department_id, line.indicator_code, per, value, upload=case
                            )

                unit_of_work(report)
        if str(self.year) in periods and not self.imported:
            self.imported = True
            unit_of_work(self._import_pulled_year)
            people.summary.errors.extend(self.pull_errors)

    def _import_pulled_year(self) -> None:
        rows = []
        reported = db.session.scalars(
            select(Actual)
            .where(
                Actual.source == "reported",
                Actual.period == str(self.year),
                Actual.superseded_at.is_(None),
            )
            .order_by(Actual.id)  # the random draws follow the rows: one order on every database
        )
        for actual in reported:
            if actual.indicator.method == "bars":
                continue  # government systems hold figures, not anchored levels
            value = actual.value
            always_met = actual.indicator.code in ALWAYS_MET
            if self.rng.random() < PULLED_DIFFERS and not always_met:
                value = (value * Decimal("0.97")).quantize(Decimal("0.01"))
            rows.append(
                actuals.SourceRow(
                    len(rows) + 1,
                    actual.department.code,
                    actual.indicator.code,
                    str(self.year),
                    value,
                )
            )
        checked, errors = actuals.check_rows(rows)
        for error in errors:  # never silent: a refused row is the simulation's error
            self.pull_errors.append(f"pulled row {error.row} {error.column}: {error.message}")
        actuals.record_rows(checked, "file", "simulation", None)

    def _survey(self, people: People, summary: Summary) -> None:
        links = db.session.scalars(
            select(SurveyLink)
            .where(
                SurveyLink.id > self.seen_link,
                SurveyLink.used_at.is_(None),
                SurveyLink.expires_at > clock.now(),
            )
            .order_by(SurveyLink.id)
        ).all()
        for link in links:  # each new link once
            self.seen_link = link.id
            if self.rng.random() < 0.8:
                score = 62 + 36 * people.quality_of(link.department_id) + self.rng.uniform(-5, 3)
                token = ballots.token_of(link)
                unit_of_work(
                    lambda t=token, s=score: ballots.submit_survey(t, f"{min(s, 100):.1f}")
                )
                summary.survey_ballots += 1

    def _centre(self, total: int, summary: Summary) -> None:
        if self.published:
            return
        scored = db.session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.status == "waiting_message")
        )
        if scored < total:
            return
        admin = _centre()
        unit_of_work(lambda: results.calibrate(admin, self.year))
        unit_of_work(lambda: publications.approve(admin, self.year))
        publications.publish(admin, self.year)
        self.published = True
        self.progress(f"{clock.now():%Y-%m-%d} 结果公示")

    def _next_moment(self, now: datetime) -> datetime:
        candidates = [now + timedelta(days=1)]
        self._take_due(now)
        if self.waiting:
            candidates.append(self.waiting[0][0])
        earliest = timers.earliest_due()
        if earliest is not None:
            candidates.append(earliest + timedelta(seconds=1))
        return max(min(candidates), now + timedelta(minutes=1))

    def run(
        self, city: Callable[[], Iterable[Department]], until: datetime | None = None
    ) -> Summary:
        """Build the city (on the simulation's clock, so roles start in time), prepare the
        year, and run it to its end (or to `until`)."""
        started = time.perf_counter()
        previous = clock.install(self.clock)
        try:
            ids = [d.id for d in unit_of_work(lambda: list(city()))]
            return self._run(ids, started, until)
        finally:
            clock.install(previous)

    def _run(self, ids: list[int], started: float, until: datetime | None) -> Summary:
        unit_of_work(lambda: prepare([db.session.get(Department, i) for i in ids], self.year))
        summary = Summary(departments=len(ids), year=self.year)
        people = People(self.rng, summary)
        end = self.clock.now() + timedelta(days=HORIZON_DAYS)
        if until is not None:
            end = min(end, until)
        month = None
        while self.clock.now() < end:
            self._people_work(people, summary)
            self._report_actuals(people)
            self._survey(people, summary)
            self._centre(len(ids), summary)
            db.session.expire_all()
            open_count = db.session.scalar(
                select(func.count())
                .select_from(ProcessInstance)
                .where(ProcessInstance.status.in_(OPEN))  # through the status index
            )
            if open_count == 0:
                break
            self.clock.set(self._next_moment(self.clock.now()))
            fired = timers.sweep()
            summary.wake_ups += fired
            summary.sweeps += 1
            for level, n in escalation.sweep().items():
                summary.cards[level] += n
            current = self.clock.now().astimezone(LOCAL_ZONE).strftime("%Y-%m")
            if current != month:
                month = current
                self.progress(f"{current}: {open_count} 个实例进行中")
        return self._summarise(summary, ids, started)

    def _summarise(self, summary: Summary, ids: list[int], started: float) -> Summary:
        rows = db.session.execute(  # a batch of states at a time, never the city's at once
            select(
                ProcessInstance.status,
                ProcessInstance.error_message,
                Department.name,
                ProcessInstance.state,
            )
            .join(Department, Department.id == ProcessInstance.department_id)
            .where(ProcessInstance.department_id.in_(ids))
            .execution_options(yield_per=50)
        )
        sizes = []
        for status, error, department, state in rows:
            if status == "completed":
                summary.completed += 1
            if error:
                summary.errors.append(f"{department}: {error}")
            sizes.append(len(json.dumps(state, separators=(",", ":"))) / 1024)
        summary.state_kb_max = max(sizes, default=0.0)
        summary.state_kb_mean = sum(sizes) / len(sizes) if sizes else 0.0
        for result in db.session.scalars(
            select(DepartmentResult).where(DepartmentResult.department_id.in_(ids))
        ):
            summary.grades[result.grade] += 1
            summary.scores.append(result.final_score)
            summary.deduction_points += result.deductions
        summary.findings_confirmed = db.session.scalar(
            select(func.count())
            .select_from(Finding)
            .join(SpotCheck, SpotCheck.id == Finding.spot_check_id)
            .where(
                SpotCheck.department_id.in_(ids),
                SpotCheck.year == self.year,
                Finding.status == "confirmed",
            )
        )
        summary.appeals_filed = db.session.scalar(
            select(func.count()).select_from(Appeal).where(Appeal.department_id.in_(ids))
        )
        summary.appeals_adjusted = db.session.scalar(
            select(func.count())
            .select_from(Appeal)
            .where(Appeal.department_id.in_(ids), Appeal.status == "adjusted")
        )
        summary.wall_seconds = time.perf_counter() - started
        summary.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary.simulated_until = self.clock.now()
        return summary


def _quarter_end(year: int, quarter: int) -> datetime:
    if quarter == 4:
        return datetime(year + 1, 1, 1, tzinfo=LOCAL_ZONE) - timedelta(hours=12)
    return datetime(year, quarter * 3 + 1, 1, tzinfo=LOCAL_ZONE) - timedelta(hours=12)
