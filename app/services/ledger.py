"""Departments' ledgers (台账): the records the monthly spot check samples, and the demo city's.

The demo ledger is generated, not typed in: for each department and month, `per_month` entries
whose titles fit the department's function category (预算科 budget adjustments, 督查科 督办件,
人事科 recruitment …), deterministic given the seed, so two demo databases agree.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Department, LedgerEntry, Person
from app.services import audit

# (title pattern, has an amount) per function category; {x} picks from SUBJECTS[category]
_TITLES: dict[str, tuple[tuple[str, bool], ...]] = {
    "finance": (
        ("{x}预算调整审批", True),
        ("{x}资金拨付凭证", True),
        ("政府采购合同备案（{x}）", True),
        ("{x}费用报销审核", True),
        ("月度财务报表报送", False),
        ("{x}专项资金绩效自评", True),
    ),
    "inspection": (
        ("督办件：{x}", False),
        ("领导批示落实情况跟踪（{x}）", False),
        ("群众诉求转办单：{x}", False),
        ("专项督查报告：{x}", False),
        ("督办事项办结销号（{x}）", False),
    ),
    "hr": (
        ("招聘公告审核（{x}）", False),
        ("新进人员到岗登记（{x}）", False),
        ("{x}培训班组织记录", True),
        ("干部人事档案审核（{x}）", False),
        ("社会保险缴费核定（{x}）", True),
    ),
    "admin_support": (
        ("{x}采购验收单", True),
        ("公务用车派车记录（{x}）", False),
        ("{x}维修工单", True),
        ("机关食堂食品安全检查（{x}）", False),
        ("会议服务保障记录（{x}）", False),
    ),
    "petition": (
        ("来访登记：{x}", False),
        ("信访件办理回复（{x}）", False),
        ("信访事项转送交办单：{x}", False),
        ("重复信访化解记录（{x}）", False),
    ),
    "general": (
        ("收文登记：{x}", False),
        ("发文审核：{x}", False),
        ("{x}工作会议纪要", False),
    ),
}
_SUBJECTS: dict[str, tuple[str, ...]] = {
    "finance": ("教育专项", "城市维护", "社会保障补助", "农业产业扶持", "公共卫生", "办公经费"),
    "inspection": ("老旧小区改造进度", "营商环境投诉", "河道整治", "校园周边安全", "夜市噪音"),
    "hr": ("综合管理岗", "财务会计岗", "信息技术岗", "新任科级干部", "公文写作"),
    "admin_support": ("办公用品", "空调设备", "办公楼电梯", "车辆保养", "网络设备"),
    "petition": ("物业纠纷", "拖欠工资", "征地补偿", "医保报销", "噪音扰民"),
    "general": ("年度重点工作", "安全生产", "保密管理", "档案整理"),
}


def demo_entries(
    department: Department, year: int, month: int, count: int = 12, seed: int = 2026
) -> list[dict[str, Any]]:
    """`count` plausible ledger entries of one department and month (column values)."""
    category = department.function_category
    titles = _TITLES.get(category, _TITLES["general"])
    subjects = _SUBJECTS.get(category, _SUBJECTS["general"])
    rng = random.Random(f"{seed}:{department.code}:{year}:{month}")
    entries = []
    for i in range(1, count + 1):
        pattern, priced = rng.choice(titles)
        subject = rng.choice(subjects)
        day = rng.randint(1, 28)
        amount = Decimal(rng.randrange(500_00, 2_000_000_00)) / 100 if priced else None
        entries.append(
            {
                "department_id": department.id,
                "year": year,
                "month": month,
                "number": f"{department.code}-{year}{month:02d}-{i:03d}",
                "title": pattern.format(x=subject)[:200],
                "detail": f"{year}年{month}月{day}日登记，经办科室：{department.name}。",
                "amount": amount,
            }
        )
    return entries


def seed_demo(
    year: int, departments: Iterable[Department] | None = None, per_month: int = 12
) -> int:
    """The demo ledgers of a year, for every department (or those given) that has none yet;
    returns the number of entries added."""
    chosen = (
        list(departments)
        if departments is not None
        else list(db.session.scalars(select(Department)))
    )
    have = set(
        db.session.scalars(select(LedgerEntry.department_id).where(LedgerEntry.year == year))
    )
    added = 0
    now = clock.now()
    for department in chosen:
        if department.id in have:
            continue
        for month in range(1, 13):
            for values in demo_entries(department, year, month, per_month):
                db.session.add(LedgerEntry(created_at=now, **values))
                added += 1
    db.session.flush()
    if added:
        audit.record("ledger.seed_demo", None, "ledger", year, entries=added)
    return added


def add(
    actor: Person | None, department: Department, year: int, month: int, **values
) -> LedgerEntry:
    """One ledger entry (for imports and tests; departments keep their ledgers elsewhere)."""
    entry = LedgerEntry(
        department_id=department.id, year=year, month=month, created_at=clock.now(), **values
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "ledger.add",
        actor,
        "ledger_entry",
        entry.id,
        department=department.code,
        number=entry.number,
    )
    return entry


def month_ids(department_id: int, year: int, month: int) -> list[int]:
    return list(
        db.session.scalars(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.department_id == department_id,
                LedgerEntry.year == year,
                LedgerEntry.month == month,
            )
            .order_by(LedgerEntry.id)
        )
    )


def by_ids(ids: Iterable[int]) -> list[LedgerEntry]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.id.in_(wanted)).order_by(LedgerEntry.number)
        )
    )
