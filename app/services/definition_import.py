"""Import a BPMN file from another modelling tool: map it, check it, store it as a new version.

The engine (`app.engine.bpmn_import`) rewrites what has a safe equivalent and lists what cannot
run; this module renders that report for people (Chinese by default, English through Flask-Babel)
and hands the normalised diagram to the ordinary upload (`definitions.upload`), so an imported
diagram passes exactly the checks an uploaded one does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from app.engine import bpmn_import
from app.engine.definitions import BPMN_NS, parse_xml
from app.forms import FORMS
from app.i18n import ROLE_NAMES
from app.models import Person, ProcessDefinition
from app.services import audit, definitions, modeler
from app.services.errors import Invalid

FILENAME_MAX = 255

TOOLS = {
    "camunda7": "Camunda Modeler (Camunda 7)",
    "camunda8": "Camunda Modeler (Camunda 8 / Zeebe)",
    "signavio": "SAP Signavio",
    "aris": "ARIS",
    "bizagi": "Bizagi Modeler",
    "spiffworkflow": "SpiffWorkflow / 本系统",
    "bpmn_io": "bpmn.io",
    "aeneis": "Aeneis",
    "unknown": _l("未识别的工具"),
}

# code -> (what happened, what to do); %(name)s placeholders take the finding's params.
MESSAGES: dict[str, tuple[Any, Any]] = {
    "empty_file": (_l("文件为空。"), _l("请从建模工具重新导出 BPMN 2.0 XML 文件。")),
    "zip_archive": (
        _l("文件是压缩包（如 Bizagi .bpm 或 .zip），不是 BPMN XML。"),
        _l("请在建模工具中选择“导出为 BPMN 2.0 XML”。"),
    ),
    "binary_file": (_l("文件是二进制内容，不是 XML。"), _l("请上传 BPMN 2.0 XML 文件。")),
    "html_document": (
        _l("文件是网页（HTML），不是 BPMN。"),
        _l("请下载 BPMN 文件本身，而不是建模工具的网页。"),
    ),
    "svg_document": (
        _l("文件是图片（SVG），不含流程定义。"),
        _l("请导出 BPMN 2.0 XML，而不是图片。"),
    ),
    "dmn_not_bpmn": (
        _l("文件是 DMN 决策表，不是 BPMN 流程。"),
        _l("决策表请通过定义上传功能上传。"),
    ),
    "not_bpmn": (
        _l("根元素 %(root)s 不是 BPMN 2.0 的 definitions。"),
        _l("请导出 BPMN 2.0 XML 文件。"),
    ),
    "malformed_xml": (
        _l("XML 格式错误。"),
        _l("文件可能被截断或损坏，请重新导出。"),
    ),
    "doctype_forbidden": (
        _l("文件含有 DOCTYPE 或实体声明。"),
        _l("出于安全原因不接受 DOCTYPE，请删除后重试。"),
    ),
    "too_large": (_l("文件超过 %(limit)s 字节。"), _l("请拆分流程或删除无关内容。")),
    "too_deep": (_l("元素嵌套过深。"), _l("请减少子流程的嵌套层数。")),
    "too_many_elements": (
        _l("元素数量 %(count)s 超过上限 %(limit)s。"),
        _l("请拆分流程。"),
    ),
    "no_process": (_l("文件中没有包含任何步骤的流程。"), _l("请导出包含流程步骤的图。")),
    "multiple_processes": (
        _l("文件含有多个带步骤的流程（%(processes)s），本系统每个文件只运行一个流程。"),
        _l("请每个流程单独导出一个文件，或把其他泳池改为空白（黑盒）泳池。"),
    ),
    "script_forbidden": (
        _l("脚本（%(element)s）不允许运行。"),
        _l("请改为服务任务，并选择系统提供的处理程序。"),
    ),
    "listener_forbidden": (
        _l("监听器（%(element)s）会执行代码，不允许运行。"),
        _l("请删除监听器；需要的动作改为服务任务。"),
    ),
    "java_delegate_forbidden": (
        _l("Java 类或表达式委托（%(value)s）不允许运行。"),
        _l("请改用外部任务主题或 Zeebe 任务类型，填写系统的处理程序名称。"),
    ),
    "connector_forbidden": (
        _l("连接器（connector）不允许运行。"),
        _l("请改为服务任务，并选择系统提供的处理程序。"),
    ),
    "form_fields_unsupported": (
        _l("生成式表单字段（formData）不受支持。"),
        _l("请删除表单字段，改填系统表单编号（formKey）。"),
    ),
    "call_variables_unsupported": (
        _l("调用活动的变量映射（%(element)s）不受支持。"),
        _l("请删除变量映射。"),
    ),
    "business_rule_unsupported": (
        _l("业务规则任务引用的决策无法自动映射。"),
        _l("请在本系统的流程设计器中为该任务选择决策表。"),
    ),
    "expression_unsupported": (
        _l("表达式 %(expression)s 无法安全求值：%(reason)s"),
        _l("只能使用变量名、常量、算术和比较运算，例如 approved == True。"),
    ),
    "unknown_form": (
        _l("表单编号“%(form_key)s”不在本系统的表单目录中。"),
        _l("可用的表单编号：%(valid)s"),
    ),
    "untyped_task": (
        _l("任务没有类型，也无法对应本系统的表单。"),
        _l("请改为用户任务并填写表单编号，或改为服务任务并填写处理程序。"),
    ),
    "unknown_role": (
        _l("泳道“%(role)s”不对应本系统的任何角色。"),
        _l("请把泳道命名为角色编号或中文名称：%(valid)s"),
    ),
    "no_lane": (
        _l("用户任务不在任何泳道中，无法确定由谁处理。"),
        _l("请把任务放入以角色命名的泳道。"),
    ),
    "no_handler": (
        _l("服务任务没有指定处理程序。"),
        _l("请填写外部任务主题（Camunda 7）或任务类型（Camunda 8），可用：%(valid)s"),
    ),
    "unknown_handler": (
        _l("处理程序“%(handler)s”不存在。"),
        _l("可用的处理程序：%(valid)s"),
    ),
    "due_date_unsupported": (
        _l("到期时间“%(due)s”不是 ISO-8601 时长。"),
        _l("请填写时长，例如 P10D（10 天）。"),
    ),
    "assignment_unsupported": (
        _l("固定的处理人或候选人（%(value)s）不受支持。"),
        _l("处理人由任务所在泳道的角色决定；如需指定一人，请用保存人员编号的变量。"),
    ),
    "io_mapping_unsupported": (
        _l("输入输出映射“%(name)s”不受支持。"),
        _l("处理程序的结果会自动保存；请删除该映射。"),
    ),
    "multi_instance_unsupported": (
        _l("工具专有的多实例设置无法映射。"),
        _l("请在本系统的流程设计器中重新设置多实例。"),
    ),
    "complex_gateway": (
        _l("复杂网关不受支持。"),
        _l("请改用排他网关、并行网关或包容网关。"),
    ),
    "transaction_unsupported": (
        _l("事务子流程及取消事件（%(element)s）不受支持。"),
        _l("请改为普通子流程。"),
    ),
    "compensation_unsupported": (
        _l("补偿（%(element)s）不受支持。"),
        _l("请删除补偿事件和补偿任务，改用显式的回退步骤。"),
    ),
    "adhoc_unsupported": (_l("自由子流程不受支持。"), _l("请改为普通子流程。")),
    "signal_unsupported": (
        _l("信号事件不受支持：本系统不发送信号。"),
        _l("请改用消息事件（仅限系统发送的消息）或定时器。"),
    ),
    "escalation_unsupported": (
        _l("升级事件不受支持：超期升级由系统自动处理。"),
        _l("请删除升级事件，为任务设置到期时间。"),
    ),
    "conditional_event_unsupported": (
        _l("条件事件不受支持。"),
        _l("请改用排他网关加条件。"),
    ),
    # Problems the ordinary upload checks report: a whole sentence here, and the checker's own
    # (English, technical) text apart in the entry's `detail`, never inside the sentence.
    "structure": (_l("流程结构有错误。"), _l("请检查连线和事件的设置。")),
    "schema": (_l("文件不符合 BPMN 规范。"), _l("请在建模工具中修正后重新导出。")),
    "expression": (_l("表达式有错误。"), _l("请改为安全表达式。")),
    "bad_assignee": (_l("处理人变量有错误。"), _l("请填写变量名。")),
    "bad_duration": (_l("时长有错误。"), _l("请填写 ISO-8601 时长，例如 P10D。")),
    "bad_timer": (
        _l("定时设置无法执行。"),
        _l("请填写 ISO-8601 时长、日期或周期，例如 P10D、2026-03-31T09:00:00+08:00 或 R3/PT1H。"),
    ),
    "bad_cardinality": (
        _l("多实例数量无法执行。"),
        _l("请填写不小于零的整数，或计算出整数的表达式。"),
    ),
    "message_forbidden": (
        _l("只有中间捕获事件和边界事件可以等待消息。"),
        _l("只能等待系统发送的消息。"),
    ),
    "unknown_message": (
        _l("消息事件引用的不是系统发送的消息。"),
        _l("只能等待系统发送的消息。"),
    ),
    "missing_form": (
        _l("用户任务没有填写表单编号（formKey）。"),
        _l("可用的表单编号：%(valid)s"),
    ),
    "no_executable_process": (_l("没有可执行的流程。"), _l("请导出包含流程步骤的图。")),
    "too_long": (_l("编号或名称过长。"), _l("请缩短流程编号或名称。")),
}
CHANGES: dict[str, Any] = {
    "process_marked_executable": _l("流程已标记为可执行。"),
    "role_mapped": _l("泳道“%(before)s”对应角色 %(after)s。"),
    "form_key_mapped": _l("表单编号 %(form_key)s（来自 %(source)s）已写入。"),
    "task_typed": _l("无类型任务已改为用户任务（表单 %(form_key)s）。"),
    "due_mapped": _l("到期时间 %(due)s 已写入 dueIn。"),
    "assignee_mapped": _l("处理人变量 %(assignee)s 已写入 assignee。"),
    "handler_mapped": _l("服务任务已对应处理程序 %(handler)s（来自 %(source)s）。"),
    "expression_translated": _l("表达式 %(before)s 已改写为 %(after)s。"),
    "data_store_removed": _l("数据存储“%(name)s”只作说明，已删除。"),
    "vendor_stripped": _l("已删除无行为的工具扩展 %(namespace)s：%(count)s 处。"),
}


@dataclass
class ImportOutcome:
    definition: ProcessDefinition | None
    created: bool
    report: dict[str, Any]
    draft_key: str | None = None  # the import landed as this key's draft (a published key)


def _render(template: Any, params: dict[str, Any]) -> str:
    values: defaultdict[str, str] = defaultdict(str, params)
    try:
        return str(template) % values
    except (KeyError, ValueError, TypeError):
        return str(template)


def _titles() -> dict[str, str]:
    """Forms' Chinese titles (the names a diagram from another tool may carry)."""
    with force_locale("zh"):
        return {key: str(form.title) for key, form in FORMS.items()}


def _entry(note: bpmn_import.Note, result: bpmn_import.ImportResult, problem: bool) -> dict:
    element_id = note.element_id
    line = note.line or result.lines.get(element_id or "")
    entry: dict[str, Any] = {
        "code": note.code,
        "element_id": element_id,
        "element_name": result.names.get(element_id) or None if element_id else None,
        "line": line,
        "params": note.params,
    }
    if problem:
        code = note.code
        if code == "unknown_form" and not note.params.get("form_key"):
            code = "missing_form"  # no key at all: "表单编号“”不在…" said nothing
        message, hint = MESSAGES.get(code, (_l("无法导入此元素。"), _l("请修正后重试。")))
        entry["message"] = _render(message, note.params)
        if note.params.get("detail"):
            entry["detail"] = str(note.params["detail"])
        entry["hint"] = _render(hint, note.params)
    else:
        entry["message"] = _render(CHANGES.get(note.code, note.code), note.params)
    return entry


def _report(result: bpmn_import.ImportResult, problems: list[bpmn_import.Note]) -> dict:
    return {
        "tool": {
            "key": result.tool,
            # "other": a tool named in the file's exporter attribute that we do not know
            "name": result.exporter if result.tool == "other" else str(TOOLS[result.tool]),
            "exporter": result.exporter,
            "exporter_version": result.exporter_version,
        },
        "process_id": result.process_id,
        "changes": [_entry(n, result, problem=False) for n in result.changes],
        "problems": [_entry(n, result, problem=True) for n in problems],
    }


def _stored_name(filename: str, result: bpmn_import.ImportResult) -> str:
    stem = Path(filename).stem if filename else ""
    stem = stem or result.process_id or "imported"
    return stem[: FILENAME_MAX - len(".bpmn")] + ".bpmn"


def _upload_problems(problems: list[dict], result: bpmn_import.ImportResult) -> list:
    """The ordinary checks' problems, minus those the import already reported on that element."""
    seen = {(n.element_id, n.code) for n in result.problems}
    located = {n.element_id for n in result.problems if n.element_id}
    notes = []
    for problem in problems:
        element_id = problem.get("element_id")
        if (element_id, problem["code"]) in seen or (
            element_id in located and problem["code"] != "too_long"
        ):
            continue
        # their lines count in the normalised file: the uploaded file's line of the element
        line = result.lines.get(element_id or "")
        notes.append(
            bpmn_import.Note(problem["code"], element_id, line, {"detail": problem["message"]})
        )
    return notes


def _refuse(result: bpmn_import.ImportResult, problems: list[bpmn_import.Note]) -> Invalid:
    report = _report(result, problems)
    return Invalid(
        gettext("无法导入：发现 %(count)s 个问题", count=len(problems)),
        problems=report["problems"],
        report=report,
    )


def import_definition(
    filename: str, data: bytes, actor: Person | None, dry_run: bool = False
) -> ImportOutcome:
    """Map and check another tool's BPMN; store it as a new version unless `dry_run`.

    Raises `Invalid` (422) with every problem, located by element id, name and line.
    """
    result = bpmn_import.import_bpmn(data, definitions.catalog(), dict(ROLE_NAMES), _titles())
    if result.xml is None:
        raise _refuse(result, result.problems)
    stored_name = _stored_name(filename, result)
    problems = list(result.problems)
    problems += _upload_problems(definitions.check(stored_name, result.xml), result)
    if problems:
        raise _refuse(result, problems)
    key = _process_key(result.xml)
    existing = _existing(key, result.xml)
    report = {**_report(result, []), "existing": existing}
    if dry_run:
        return ImportOutcome(None, False, report)
    if existing is not None and existing["changes"]:
        # A key that is already published (the live annual cycle, say) is never replaced by an
        # import: the file lands as the key's draft, to compare and publish in the modeler.
        draft = modeler.save_draft(key, result.xml, actor)
        audit.record(
            "definition.import",
            actor,
            "process_draft",
            draft.id,
            key=key,
            tool=result.tool,
            exporter=result.exporter,
            as_draft=True,
            running=existing["running"],
        )
        return ImportOutcome(None, False, report, draft_key=key)
    try:
        definition, created = definitions.upload(stored_name, result.xml, actor)
    except Invalid as exc:
        raise _refuse(result, _upload_problems(exc.extra.get("problems", []), result)) from exc
    audit.record(
        "definition.import",
        actor,
        "definition",
        definition.id,
        tool=result.tool,
        exporter=result.exporter,
        changes=len(report["changes"]),
        created=created,
    )
    return ImportOutcome(definition, created, report)


def _process_key(xml: bytes) -> str:
    root, _ = parse_xml(xml)
    ids = root.xpath("./bpmn:process[@isExecutable='true']/@id", namespaces={"bpmn": BPMN_NS})
    return ids[0]


MAX_LISTED_CHANGES = 50


def _existing(key: str, xml: bytes) -> dict[str, Any] | None:
    """What an import would change for a key that is already published: its latest version,
    the instances running on the key (they keep their own versions; new ones would start on
    the published draft), and the element changes against the latest version."""
    latest = definitions.latest(key)
    if latest is None:
        return None
    running = modeler.running_instances(key)
    changes = modeler.element_changes(latest.source.encode(), xml)
    return {
        "key": key,
        "name": latest.name,
        "version": latest.version,
        "running": running,
        "changes": [c.as_dict() for c in changes[:MAX_LISTED_CHANGES]],
        "changed": len(changes),
        "message": gettext(
            "流程“%(name)s”（%(key)s）已发布第 %(version)s 版，%(running)s 个流程正在运行。"
            "导入不会替换它：文件将保存为该流程的草稿（%(changed)s 处改动），"
            "在流程设计中比较、确认后才发布；正在运行的流程仍按原版本执行。",
            name=latest.name,
            key=key,
            version=latest.version,
            running=running,
            changed=len(changes),
        )
        if changes
        else gettext(
            "流程“%(name)s”（%(key)s）第 %(version)s 版与此文件相同，导入不会有任何改动。",
            name=latest.name,
            key=key,
            version=latest.version,
        ),
    }
