"""Messages the rules and services compose: Chinese text everywhere (records, logs, the API),
the reader's language on pages."""

from __future__ import annotations

import pickle
from decimal import Decimal

from flask_babel import force_locale

from app.i18n import Message, translated
from app.rules.letter_policy import weight_total_message


def test_a_message_is_its_chinese_text(app):
    message = Message("与第%(row)s行重复。", row=3)
    assert message == "与第3行重复。" and isinstance(message, str)
    assert f"{message}" == "与第3行重复。" and {"x": [message]} == {"x": ["与第3行重复。"]}
    assert translated("用户写的话") == "用户写的话"  # anything else shows as it is


def test_pages_show_a_message_in_the_readers_language(app):
    message = weight_total_message(100, Decimal("95.50"))
    with app.test_request_context(), force_locale("en"):
        assert translated(message) == "Weights must add up to exactly 100; they add up to 95.5"
    with app.test_request_context(), force_locale("zh"):
        assert translated(message) == "权重合计必须恰好为 100，当前为 95.5"


def test_lists_and_messages_inside_a_message_follow_the_language(app):
    label = Message("服务满意度指标")
    nested = Message(
        "%(label)s权重不得超过 %(most)s，当前为 %(share)s", label=label, most=10, share="12"
    )
    listed = Message("以下差异尚未核定：%(rows)s", rows=["差错率", "支付及时率"])
    assert nested == "服务满意度指标权重不得超过 10，当前为 12"
    assert listed == "以下差异尚未核定：差错率、支付及时率"
    with app.test_request_context(), force_locale("en"):
        assert (
            translated(nested) == "Service satisfaction indicator weight cannot exceed 10; now 12"
        )
        assert translated(listed) == "These differences are not resolved yet: 差错率, 支付及时率"


def test_a_message_survives_a_copy(app):
    copied = pickle.loads(pickle.dumps(Message("第 %(level)s 级缺少行为描述", level=2)))
    assert copied == "第 2 级缺少行为描述"
    with app.test_request_context(), force_locale("en"):
        assert translated(copied) == "Level 2 has no description"
