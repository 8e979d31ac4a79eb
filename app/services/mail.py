"""Email for notices, through a transactional outbox.

A notice is written in the same transaction as the change it reports; mail is sent only from
committed notices, by `deliver_pending`, which the scheduler runs after each sweep. A rollback
therefore never leaves a sent email about something that did not happen. Each notice is
claimed under its row lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL) so two schedulers never
send it twice; a failed send is retried on later runs, up to `MAX_ATTEMPTS`, and the last
error is kept. Mail is off while `MAIL_SERVER` is empty: notices stay in-app only.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Notice, Person
from app.services.transactions import unit_of_work

MAX_ATTEMPTS = 5
SUBJECTS = {
    "reminder": "办理提醒",
    "yellow_card": "黄牌警示",
    "red_card": "红牌督办",
    "overdue_reminder": "超期提醒",
    "task_no_candidate": "任务无人办理",
}


def enabled() -> bool:
    return bool(current_app.config["MAIL_SERVER"])


def compose(notice: Notice, person: Person) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = formataddr(("绩效考核系统", config["MAIL_FROM"]))
    message["To"] = formataddr((person.display_name, person.email))
    message["Subject"] = f"[绩效考核] {SUBJECTS.get(notice.kind, '通知')}"
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(
        f"{person.display_name}，您好：\n\n{notice.message}\n\n"
        f"请登录绩效考核系统办理：{config['PUBLIC_URL'].rstrip('/')}/\n\n"
        "（本邮件由系统自动发送，请勿回复。）\n"
    )
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    if config["MAIL_STARTTLS"]:
        smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


# A notice still to email: not sent, not given up, to an active person with an address.
_UNSENT = (
    Notice.emailed_at.is_(None),
    Notice.email_attempts < MAX_ATTEMPTS,
    Person.active.is_(True),
    Person.email.is_not(None),
    Person.email != "",
)


def backlog() -> int:
    """Notices waiting to be emailed (the outbox); 0 while email is off."""
    if not enabled():
        return 0
    return db.session.scalar(
        select(func.count())
        .select_from(Notice)
        .join(Person, Person.id == Notice.person_id)
        .where(*_UNSENT)
    )


def _send_next(after_id: int) -> int | None:
    """Claim the next unsent notice after `after_id`, send it, record the outcome."""
    row = db.session.execute(
        select(Notice, Person)
        .join(Person, Person.id == Notice.person_id)
        .where(Notice.id > after_id, *_UNSENT)
        .order_by(Notice.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Notice)
    ).first()
    if row is None:
        return None
    notice, person = row
    notice.email_attempts += 1
    try:
        with _connect() as smtp:
            smtp.send_message(compose(notice, person))
    except (OSError, smtplib.SMTPException) as exc:
        notice.email_error = f"{type(exc).__name__}: {exc}"[:1000]
    else:
        notice.emailed_at = clock.now()
        notice.email_error = None
    return notice.id


def deliver_pending(limit: int = 1000) -> int:
    """Send committed notices by email; returns how many were sent."""
    if not enabled():
        return 0
    sent, after_id = 0, 0
    for _ in range(limit):
        notice_id = unit_of_work(lambda a=after_id: _send_next(a))
        if notice_id is None:
            break
        after_id = notice_id
        sent += db.session.get(Notice, notice_id).emailed_at is not None
    return sent
