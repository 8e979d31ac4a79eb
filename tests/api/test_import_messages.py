"""The import report speaks whole sentences: no raw English, `None` or empty quotes inside the
Chinese (the checker's own text, when there is one, is kept apart in `detail`), and the tool is
the one that wrote the file."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.helpers import error_of, multipart

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "import"
URL = "/api/v1/definitions/import?dry_run=true"
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _problems(api, content: bytes) -> list[dict]:
    response = api.post(URL, **multipart("file", "export.bpmn", content))
    return error_of(response, 422, "validation_failed")["problems"]


def _assert_plain_chinese(problem: dict) -> None:
    message = problem["message"]
    assert "None" not in message and "“”" not in message, message
    # element ids and form keys may appear; English words of a checker may not
    assert not LATIN_WORD.search(message.replace("formKey", "").replace("BPMN", "")), message


def test_a_user_task_without_a_form_key_says_so(api_as):
    source = (FIXTURES / "camunda7_letter.bpmn").read_text(encoding="utf-8")
    source = source.replace(
        'name="起草绩效责任书" camunda:formKey="letter_draft"', 'name="自定步骤"'
    )
    [problem] = [
        p
        for p in _problems(api_as("admin"), source.encode())
        if p["element_id"] == "Activity_draft"
    ]
    assert problem["message"] == "用户任务没有填写表单编号（formKey）。"
    assert "letter_draft" in problem["hint"]
    _assert_plain_chinese(problem)


def test_an_unknown_message_is_a_chinese_sentence_with_the_detail_apart(api_as):
    source = (FIXTURES / "camunda7_letter.bpmn").read_text(encoding="utf-8")
    catch = (
        '<bpmn:intermediateCatchEvent id="Event_wait">'
        '<bpmn:messageEventDefinition messageRef="Message_unnamed"/>'
        "</bpmn:intermediateCatchEvent>"
    )
    source = source.replace("</bpmn:process>", catch + "</bpmn:process>", 1)
    source = source.replace(
        "</bpmn:process>", '</bpmn:process><bpmn:message id="Message_unnamed"/>', 1
    )
    problems = _problems(api_as("admin"), source.encode())
    [problem] = [p for p in problems if p["code"] == "unknown_message"]
    assert problem["message"] == "消息事件引用的不是系统发送的消息。"
    assert "unknown message" in problem["detail"]
    for each in problems:
        _assert_plain_chinese(each)


def _tool_of(api, content: bytes) -> dict:
    response = api.post(URL, **multipart("file", "export.bpmn", content))
    body = response.get_json()
    return (body.get("report") or body["error"]["report"])["tool"]


def test_aeneis_is_not_called_signavio(api_as):
    """Aeneis writes Signavio's namespace; its exporter attribute names it."""
    source = (FIXTURES / "signavio_signing.bpmn").read_text(encoding="utf-8")
    exporter = re.search(r'exporter="[^"]*"', source).group()
    aeneis = source.replace(exporter, 'exporter="Aeneis"')
    tool = _tool_of(api_as("admin"), aeneis.encode())
    assert (tool["key"], tool["name"]) == ("aeneis", "Aeneis")
    other = source.replace(exporter, 'exporter="Acme Process Studio"')
    tool = _tool_of(api_as("admin"), other.encode())
    assert (tool["key"], tool["name"]) == ("other", "Acme Process Studio")
    assert _tool_of(api_as("admin"), source.encode())["name"] == "SAP Signavio"
