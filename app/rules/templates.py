"""Seed indicator library and per-category letter templates, as pure data.

Figures from the seed (seed.zh.md): 财务报表差错率 ≤0.5 % (20), 费用控制目标达成率 100 % (10),
领导批示落实率 100 % (25), 群众诉求办结率 ≥95 % (15), 招聘到岗率 ≥90 %, 员工满意度 ≥85 %, the five
common indicators with their data sources, and the dynamic indicators 数字化转型达标率,
应急响应时效 and 人工智能技术应用达标率. Where the seed gives no figure (thresholds, the weights of
the HR lines, the admin-support template) the values below are our defaults, chosen so that every
template passes `letter_violations` under its category's policy (a test checks this).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal as D
from types import MappingProxyType

from app.rules.indicators import (
    Band,
    BarsLevel,
    Dimension,
    Direction,
    FunctionCategory,
    IndicatorDefinition,
    Kind,
    Method,
    Nature,
    Tag,
)
from app.rules.letter_policy import LetterLine

PCT = "%"
FIN, INS, HR, ADM, PET = (
    FunctionCategory.FINANCE,
    FunctionCategory.INSPECTION,
    FunctionCategory.HR,
    FunctionCategory.ADMIN_SUPPORT,
    FunctionCategory.PETITION,
)


def _common(code: str, name: str, dimension: Dimension, source: str, **kw) -> IndicatorDefinition:
    defaults = {"method": Method.RATIO, "direction": Direction.HIGHER, "target": D(100)}
    return IndicatorDefinition(
        code=code,
        name=name,
        kind=Kind.COMMON,
        nature=Nature.QUANTITATIVE,
        dimension=dimension,
        unit=kw.pop("unit", PCT),
        data_source=source,
        **{**defaults, **kw},
    )


def _quant(code: str, name: str, kind: Kind, categories: tuple[str, ...], **kw):
    return IndicatorDefinition(
        code=code,
        name=name,
        kind=kind,
        nature=Nature.QUANTITATIVE,
        categories=frozenset(categories),
        unit=kw.pop("unit", PCT),
        **kw,
    )


def _bars(code: str, name: str, descriptions: tuple[str, ...], **kw) -> IndicatorDefinition:
    ratios = (D("0.2"), D("0.4"), D("0.6"), D("0.8"), D("1"))
    return IndicatorDefinition(
        code=code,
        name=name,
        kind=Kind.INDIVIDUAL,
        nature=Nature.QUALITATIVE,
        method=Method.BARS,
        direction=Direction.HIGHER,
        unit="级",
        anchors=tuple(
            BarsLevel(level, text, ratio)
            for level, (text, ratio) in enumerate(zip(descriptions, ratios, strict=True), 1)
        ),
        **kw,
    )


COMMON = (
    _common("COM-DE", "廉政纪律遵守率", Dimension.INTEGRITY, "纪检部门记录",
            method=Method.LINEAR, threshold=D(90)),
    _common("COM-NENG", "专业技能达标率", Dimension.COMPETENCE, "培训考核成绩"),
    _common("COM-QIN", "出勤率（迟到/缺勤扣分）", Dimension.DILIGENCE, "打卡系统统计",
            method=Method.DEDUCTION, direction=Direction.LOWER, target=D(0), unit="次",
            per_unit=D("0.5")),
    _common("COM-JI", "重点工作完成率", Dimension.ACHIEVEMENT, "任务台账核验"),
    _common("COM-LIAN", "合规性审查通过率", Dimension.PROBITY, "审计报告",
            method=Method.BANDED, target=D(100), bands=(
                Band(None, D(90), D(0)),
                Band(D(90), D(95), D("0.5")),
                Band(D(95), D(100), D("0.8")),
                Band(D(100), None, D(1)),
            )),
)  # fmt: skip

FINANCE = (
    _quant("FIN-ERR", "财务报表差错率", Kind.INDIVIDUAL, (FIN,), method=Method.LINEAR,
           direction=Direction.LOWER, target=D("0.5"), threshold=D("1.0"),
           data_source="财务核算系统"),
    _quant("FIN-COST", "费用控制目标达成率", Kind.INDIVIDUAL, (FIN,), method=Method.RATIO,
           direction=Direction.HIGHER, target=D(100), data_source="预算管理一体化系统",
           tags=frozenset({Tag.ECONOMIC})),
    _quant("FIN-BUDGET", "预算执行率", Kind.INDIVIDUAL, (FIN,), method=Method.ON_TARGET,
           direction=Direction.TARGET, target=D(95), tolerance=D(3), threshold=D(80),
           data_source="预算管理一体化系统", tags=frozenset({Tag.ECONOMIC})),
    _quant("FIN-PAY", "资金支付及时率", Kind.INDIVIDUAL, (FIN,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(100), threshold=D(90),
           data_source="国库集中支付系统"),
)  # fmt: skip

INSPECTION = (
    _quant("INS-INSTR", "领导批示落实率", Kind.INDIVIDUAL, (INS,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(100), threshold=D(80),
           data_source="督查督办系统"),
    _quant("INS-PETITION", "群众诉求办结率", Kind.INDIVIDUAL, (INS,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(95), threshold=D(80),
           data_source="12345 政务服务热线工单系统"),
    _quant("INS-DECISION", "重大决策落实进度", Kind.INDIVIDUAL, (INS,), method=Method.BANDED,
           direction=Direction.HIGHER, target=D(100), data_source="任务台账核验", bands=(
               Band(None, D(60), D(0)),
               Band(D(60), D(80), D("0.6")),
               Band(D(80), D(100), D("0.8")),
               Band(D(100), None, D(1)),
           )),
    _quant("INS-LATE", "督查件超期办理", Kind.INDIVIDUAL, (INS,), method=Method.DEDUCTION,
           direction=Direction.LOWER, target=D(0), unit="天", per_unit=D(1),
           data_source="督查督办系统"),
)  # fmt: skip

HUMAN_RESOURCES = (
    _quant("HR-HIRE", "招聘到岗率", Kind.INDIVIDUAL, (HR,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(90), threshold=D(70),
           data_source="人事管理系统"),
    _quant("HR-SAT", "员工满意度", Kind.INDIVIDUAL, (HR,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(85), threshold=D(60),
           data_source="员工满意度问卷", tags=frozenset({Tag.SATISFACTION})),
    _quant("HR-TRAIN", "培训计划完成率", Kind.INDIVIDUAL, (HR,), method=Method.RATIO,
           direction=Direction.HIGHER, target=D(100), data_source="培训管理台账"),
)  # fmt: skip

ADMIN_SUPPORT = (
    _quant("ADM-SAT", "服务对象满意度", Kind.INDIVIDUAL, (ADM,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(90), threshold=D(70),
           data_source="服务对象评议", tags=frozenset({Tag.SATISFACTION})),
    _quant("ADM-RESP", "后勤保障响应及时率", Kind.INDIVIDUAL, (ADM,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(98), threshold=D(85),
           data_source="后勤服务平台"),
    _quant("ADM-COST", "公用经费预算控制率", Kind.INDIVIDUAL, (ADM,), method=Method.RATIO,
           direction=Direction.HIGHER, target=D(100), data_source="预算管理一体化系统",
           tags=frozenset({Tag.ECONOMIC})),
)  # fmt: skip

PETITION = (
    _quant("PET-ONTIME", "信访事项按期办结率", Kind.INDIVIDUAL, (PET,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(98), threshold=D(85),
           data_source="信访信息系统"),
    _quant("PET-FIRST", "初信初访一次性化解率", Kind.INDIVIDUAL, (PET,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(90), threshold=D(70),
           data_source="信访信息系统"),
    _quant("PET-REPEAT", "重复信访率", Kind.INDIVIDUAL, (PET,), method=Method.LINEAR,
           direction=Direction.LOWER, target=D(5), threshold=D(15),
           data_source="信访信息系统"),
    _quant("PET-SAT", "信访群众满意率", Kind.INDIVIDUAL, (PET,), method=Method.LINEAR,
           direction=Direction.HIGHER, target=D(90), threshold=D(70),
           data_source="信访事项回访评议", tags=frozenset({Tag.SATISFACTION})),
)  # fmt: skip

QUALITATIVE = (
    _bars("QUAL-SERVICE", "服务态度", (
        "推诿敷衍，服务对象多次投诉",
        "态度生硬，偶有投诉",
        "按流程办理，态度平和",
        "主动热情，一次性告知办理要求",
        "主动靠前服务，服务对象书面表扬",
    ), data_source="服务对象评议", tags=frozenset({Tag.SATISFACTION})),
    _bars("QUAL-INNOVATION", "创新工作", (
        "无创新举措",
        "有创新想法但未落实",
        "创新举措在本科室落地",
        "创新举措取得可量化成效",
        "创新经验被上级推广",
    ), data_source="考核小组评审", evidence="须提交创新案例佐证材料"),
)  # fmt: skip

DYNAMIC = (
    _quant("DYN-DIGITAL", "数字化转型达标率", Kind.DYNAMIC, (), method=Method.RATIO,
           direction=Direction.HIGHER, target=D(100), data_source="数字政府建设台账"),
    _quant("DYN-EMERGENCY", "应急响应时效", Kind.DYNAMIC, (), method=Method.LINEAR,
           direction=Direction.LOWER, target=D(2), threshold=D(6), unit="小时",
           data_source="应急指挥平台"),
    _quant("DYN-AI", "人工智能技术应用达标率", Kind.DYNAMIC, (), method=Method.RATIO,
           direction=Direction.HIGHER, target=D(100), data_source="数字政府建设台账"),
)  # fmt: skip

LIBRARY: Mapping[str, IndicatorDefinition] = MappingProxyType(
    {
        ind.code: ind
        for ind in (
            *COMMON, *FINANCE, *INSPECTION, *HUMAN_RESOURCES, *ADMIN_SUPPORT, *PETITION,
            *QUALITATIVE, *DYNAMIC,
        )
    }
)  # fmt: skip


@dataclass(frozen=True)
class Template:
    category: str
    name: str
    lines: tuple[LetterLine, ...]


def _template(category: str, name: str, *weights: tuple[str, str]) -> Template:
    common = tuple(LetterLine(ind, D(6)) for ind in COMMON)  # 5 x 6 = 30: 共性 30 %
    own = tuple(LetterLine(LIBRARY[code], D(weight)) for code, weight in weights)
    return Template(category, name, common + own)


TEMPLATES: Mapping[str, Template] = MappingProxyType(
    {
        FIN: _template(
            FIN, "财务部门",
            ("FIN-ERR", "20"), ("FIN-COST", "10"), ("FIN-BUDGET", "15"), ("FIN-PAY", "15"),
            ("DYN-DIGITAL", "10"),
        ),
        INS: _template(
            INS, "督查部门",
            ("INS-INSTR", "25"), ("INS-PETITION", "15"), ("INS-DECISION", "15"),
            ("INS-LATE", "5"), ("DYN-EMERGENCY", "10"),
        ),
        HR: _template(
            HR, "人事部门",
            ("HR-HIRE", "20"), ("HR-SAT", "15"), ("HR-TRAIN", "15"), ("QUAL-SERVICE", "10"),
            ("DYN-AI", "10"),
        ),
        ADM: _template(
            ADM, "行政辅助岗",
            ("ADM-SAT", "25"), ("ADM-RESP", "20"), ("ADM-COST", "10"), ("QUAL-SERVICE", "10"),
            ("QUAL-INNOVATION", "5"),
        ),
        PET: _template(
            PET, "信访部门",
            ("PET-ONTIME", "20"), ("PET-FIRST", "15"), ("PET-REPEAT", "10"), ("PET-SAT", "15"),
            ("DYN-EMERGENCY", "10"),
        ),
    }
)  # fmt: skip
