"""The seed's figures are in the templates, and the common indicators carry their sources."""

from decimal import Decimal as D

from app.rules.indicators import Dimension, Direction, Kind
from app.rules.templates import COMMON, DYNAMIC, LIBRARY, TEMPLATES


def line(category: str, code: str):
    (found,) = [ln for ln in TEMPLATES[category].lines if ln.indicator.code == code]
    return found


def test_seed_figures():
    seeded = {
        ("finance", "FIN-ERR"): ("财务报表差错率", Direction.LOWER, D("0.5"), D(20)),
        ("finance", "FIN-COST"): ("费用控制目标达成率", Direction.HIGHER, D(100), D(10)),
        ("inspection", "INS-INSTR"): ("领导批示落实率", Direction.HIGHER, D(100), D(25)),
        ("inspection", "INS-PETITION"): ("群众诉求办结率", Direction.HIGHER, D(95), D(15)),
        ("hr", "HR-HIRE"): ("招聘到岗率", Direction.HIGHER, D(90), D(20)),
        ("hr", "HR-SAT"): ("员工满意度", Direction.HIGHER, D(85), D(15)),
    }
    for (category, code), (name, direction, target, weight) in seeded.items():
        ln = line(category, code)
        assert (ln.indicator.name, ln.indicator.direction, ln.indicator.target, ln.weight) == (
            name, direction, target, weight,
        )  # fmt: skip


def test_common_indicators_cover_the_five_dimensions_with_their_sources():
    assert {i.dimension: (i.name, i.data_source) for i in COMMON} == {
        Dimension.INTEGRITY: ("廉政纪律遵守率", "纪检部门记录"),
        Dimension.COMPETENCE: ("专业技能达标率", "培训考核成绩"),
        Dimension.DILIGENCE: ("出勤率（迟到/缺勤扣分）", "打卡系统统计"),
        Dimension.ACHIEVEMENT: ("重点工作完成率", "任务台账核验"),
        Dimension.PROBITY: ("合规性审查通过率", "审计报告"),
    }
    for template in TEMPLATES.values():
        assert [ln.indicator for ln in template.lines[:5]] == list(COMMON)


def test_dynamic_indicators_and_evidence_requirement():
    assert {i.name for i in DYNAMIC} >= {"数字化转型达标率", "应急响应时效"}
    assert all(i.kind is Kind.DYNAMIC and not i.categories for i in DYNAMIC)
    assert LIBRARY["QUAL-INNOVATION"].evidence  # 创新工作 needs a case file
    assert all(ind.data_source for ind in LIBRARY.values())
