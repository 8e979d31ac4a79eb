"""Email for notices, sent from the outbox to a real SMTP server started on localhost."""

from __future__ import annotations

import email
import socket
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.models import Notice
from app.scheduler import TimerScheduler
from app.services import escalation, mail, notices
from app.services.transactions import unit_of_work
from tests.conftest import person, start_instance


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5.0)
    yield inbox
    controller.stop()


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset())


REMINDER = {"department": "预算科", "step": "起草绩效责任书", "due": "2026-01-15 17:00"}


def _notify(username: str) -> int:
    def add():
        notices.notify([person(username)], None, "reminder", **REMINDER)
        db.session.flush()
        return db.session.scalars(select(Notice.id).order_by(Notice.id.desc())).first()

    return unit_of_work(add)


def test_a_committed_notice_is_emailed_once_in_chinese(org, smtp):
    notice_id = _notify("head_fin")
    assert mail.deliver_pending() == 1
    assert mail.deliver_pending() == 0
    [message] = smtp.messages
    assert person("head_fin").email in message["To"]
    assert _subject(message) == "[绩效考核] 办理提醒"
    assert "提醒：「预算科」的「起草绩效责任书」将于2026-01-15 17:00到期" in _body(message)
    assert "http://127.0.0.1:5000/" in _body(message)
    stored = db.session.get(Notice, notice_id)
    assert stored.emailed_at is not None and stored.email_attempts == 1


def test_a_rolled_back_notice_is_never_sent(org, smtp):
    notices.notify([person("head_fin")], None, "reminder", **REMINDER)
    db.session.flush()
    db.session.rollback()
    assert mail.deliver_pending() == 0
    assert smtp.messages == []


def test_people_without_an_address_get_only_the_in_app_notice(org, smtp):
    unit_of_work(lambda: setattr(person("staff_fin"), "email", None))
    notice_id = _notify("staff_fin")
    assert mail.deliver_pending() == 0
    assert smtp.messages == []
    assert db.session.get(Notice, notice_id).email_attempts == 0


def test_mail_off_sends_nothing(org, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    notice_id = _notify("head_fin")
    assert mail.deliver_pending() == 0
    assert db.session.get(Notice, notice_id).email_attempts == 0


def test_a_server_that_is_down_is_retried_then_given_up_with_the_error(org, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nobody listens there
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1.0)
    notice_id = _notify("head_fin")
    assert mail.deliver_pending() == 0
    stored = db.session.get(Notice, notice_id)
    assert stored.emailed_at is None and stored.email_attempts == 1
    assert stored.email_error.startswith("ConnectionRefusedError")
    for _ in range(mail.MAX_ATTEMPTS + 2):
        mail.deliver_pending()
    db.session.expire_all()
    assert db.session.get(Notice, notice_id).email_attempts == mail.MAX_ATTEMPTS


def test_a_failed_send_goes_out_once_the_server_is_back(org, app, smtp, monkeypatch):
    real_port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())
    _notify("head_fin")
    assert mail.deliver_pending() == 0
    monkeypatch.setitem(app.config, "MAIL_PORT", real_port)
    assert mail.deliver_pending() == 1
    assert len(smtp.messages) == 1


def test_the_scheduler_escalates_and_mails_in_one_sweep(app, org, clock, smtp):
    start_instance()
    clock.set(datetime(2026, 1, 15, 1, 1, tzinfo=UTC))  # a minute past the draft's due time
    TimerScheduler(app).sweep()
    subjects = sorted(_subject(m) for m in smtp.messages)
    assert subjects == ["[绩效考核] 黄牌警示"]
    assert person("head_fin").email in smtp.messages[0]["To"]
    assert escalation.sweep() == {}
