"""报送实际值: a department head reports the letter's figures for a period, with evidence, and
reads what was reported; nobody else reports for the department."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Actual
from tests.conftest import start_instance
from tests.reviews.conftest import FINANCE_LINES, signed_letter

PDF = b"%PDF-1.4\n% case file\n%%EOF\n"
INNOVATION = ("QUAL-INNOVATION", "创新工作", "individual", "higher", "5", None, "级", "20")
PAGE = "/actuals/report?year=2026&period=2026-03"


@pytest.fixture
def letter(org):
    instance = start_instance("CZ-YS")
    return signed_letter(instance, (*FINANCE_LINES, INNOVATION))


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(client, indicator: str, value: str, file: tuple[str, bytes] | None = None, **extra):
    token = _token(client.get(PAGE).get_data(as_text=True))
    data = {"csrf_token": token, "indicator": indicator, "value": value, "year": "2026"}
    data |= {"period": "2026-03", **extra}
    if file:
        data["file"] = (io.BytesIO(file[1]), file[0])
    return client.post("/actuals/report", data=data, content_type="multipart/form-data")


def _reported() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Actual))


def test_a_head_reports_a_figure_with_evidence_and_sees_its_history(letter, client, login_as):
    login_as("head_fin")
    page = client.get(PAGE).get_data(as_text=True)
    assert "报送实际值" in page and "财务报表差错率" in page and "须附佐证材料" in page
    response = _post(client, "FIN-ERR", "0.4", ("报表核对.pdf", PDF), note="3月报表")
    assert response.status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "报表核对.pdf" in page and "报送记录" in page
    actual = db.session.scalars(select(Actual)).one()
    download = client.get(f"/actuals/{actual.id}/evidence")
    assert download.status_code == 200 and download.data == PDF
    # a second report keeps the first on record
    assert _post(client, "FIN-ERR", "0.35").status_code == 302
    assert "已被更新" in client.get(PAGE).get_data(as_text=True) and _reported() == 2


def test_bad_reports_are_shown_beside_their_row_and_store_nothing(letter, client, login_as):
    login_as("head_fin")
    response = _post(client, "QUAL-INNOVATION", "4")  # a level that needs its case file
    assert response.status_code == 422
    assert "须提交佐证材料" in response.get_data(as_text=True)
    response = _post(client, "FIN-ERR", "abc")
    assert response.status_code == 422 and 'id="FIN-ERR-value-error"' in response.get_data(True)
    response = _post(client, "FIN-ERR", "0.4", ("x.exe", b"MZ"))
    assert response.status_code == 422
    assert _reported() == 0


def test_only_the_departments_head_and_staff_report(letter, client, login_as):
    login_as("head_fin")
    _post(client, "FIN-ERR", "0.4", ("报表核对.pdf", PDF))
    actual = db.session.scalars(select(Actual)).one()
    for username, page, evidence in (("leader_li", 403, 200), ("head_insp", 200, 404)):
        with client.session_transaction() as session:
            session.clear()
        login_as(username)
        response = client.get(PAGE)
        assert response.status_code == page, username
        assert "财务报表差错率" not in response.get_data(as_text=True)  # not their department's
        assert client.get(f"/actuals/{actual.id}/evidence").status_code == evidence, username
    with client.session_transaction() as session:
        session.clear()
    assert client.get(f"/actuals/{actual.id}/evidence").status_code in (302, 401)
