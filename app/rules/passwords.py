"""Password rules, as a pure function so the sign-in pages, the API and imports share them."""

from __future__ import annotations

from app.i18n import Message

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwerty123",
        "abc12345",
        "11111111",
        "88888888",
        "admin123",
        "a1234567",
        "1qaz2wsx",
        "woaini1314",
        "iloveyou1",
    }
)


def password_problems(password: object, username: str = "") -> list[str]:
    """Every rule the password breaks, as messages for the person choosing it (empty: fine)."""
    if not isinstance(password, str):
        return [Message("密码必须是文本。")]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(Message("密码至少%(n)s位。", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(Message("密码最多%(n)s位。", n=MAX_LENGTH))
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append(Message("密码须同时包含字母和数字。"))
    if password.lower() in COMMON:
        problems.append(Message("密码过于常见。"))
    if username and username.lower() in password.lower():
        problems.append(Message("密码不能包含用户名。"))
    return problems
