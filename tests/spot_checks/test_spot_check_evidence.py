"""Evidence files attached on the spot-check task pages: a finding's (assessment group) and a
rectification's (department head) are stored with the task completion, linked to their row,
and downloadable by whoever may see the department; a refused file stores nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Evidence, LedgerEntry, Rectification
from tests.pages.test_pages import csrf
from tests.spot_checks.conftest import finding_count

PDF = b"%PDF-1.4\n% photo of the missing signature\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def store(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "storage"
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(root))
    return root


def evidence_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Evidence))


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})


def verify_form(spot_round, client) -> tuple[str, dict]:
    """The verification page's form: every sampled entry ok but the second, a finding."""
    check = spot_round.check()
    task = spot_round.task("verify")
    page = client.get(f"/tasks/{task.id}")
    body = page.get_data(True)
    assert 'enctype="multipart/form-data"' in body
    assert '<label for="entries-1-evidence_file">佐证材料（可选）</label>' in body
    entries = sorted(
        (db.session.get(LedgerEntry, i) for i in check.sample_ids), key=lambda e: e.number
    )
    form = {"csrf_token": csrf(page), "spot_check_id": str(check.id)}
    for i, entry in enumerate(entries):
        form[f"entries-{i}-entry_id"] = str(entry.id)
        form[f"entries-{i}-verdict"] = "ok"
    form.update(
        {
            "entries-1-verdict": "finding",
            "entries-1-description": "缺少分管领导签字",
            "entries-1-points": "1.5",
            "entries-1-evidence_note": "现场照片",
        }
    )
    return f"/tasks/{task.id}", form


def rectify_form(spot_round, client) -> tuple[str, dict]:
    check = spot_round.check()
    [finding] = check.findings
    task = spot_round.task("rectify")
    page = client.get(f"/tasks/{task.id}")
    body = page.get_data(True)
    assert 'enctype="multipart/form-data"' in body
    assert '<label for="rectifications-0-evidence_file">佐证材料（可选）</label>' in body
    return f"/tasks/{task.id}", {
        "csrf_token": csrf(page),
        "spot_check_id": str(check.id),
        "rectifications-0-finding_id": str(finding.id),
        "rectifications-0-text": "已补签",
    }


def test_a_finding_with_its_evidence_file(spot_round, client, login_as, store):
    login_as("kh_chen")
    url, form = verify_form(spot_round, client)
    form["entries-1-evidence_file"] = (io.BytesIO(PDF), "签字页.pdf")
    form["entries-3-evidence_file"] = (io.BytesIO(PNG), "ok.png")  # an ok entry: no finding
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(True)[:2000]

    [finding] = spot_round.check().findings
    evidence = finding.evidence
    assert evidence is not None and evidence_count() == 1
    assert evidence.uploaded_by_id == finding.found_by_id
    assert (evidence.filename, evidence.size, evidence.content_type) == (
        "签字页.pdf",
        len(PDF),
        "application/pdf",
    )
    assert [p.read_bytes() for p in stored_files(store)] == [PDF]

    download = f"/findings/{finding.id}/evidence"
    response = client.get(download)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers["Content-Disposition"]
    logout(client)

    login_as("head_fin")  # the department's head sees the link on the rectification page
    page = client.get(f"/tasks/{spot_round.task('rectify').id}").get_data(True)
    assert f'href="{download}"' in page and "签字页.pdf" in page
    assert client.get(download).data == PDF
    logout(client)

    login_as("head_insp")  # another department's head
    assert client.get(download).status_code == 404
    assert client.get(f"/findings/{finding.id + 99}/evidence").status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("签字页.exe", b"MZ not evidence"), "佐证材料仅支持pdf、png、jpg、xlsx、docx、csv文件。"),
        (("big.pdf", b"%PDF-" + b"x" * 2000), "文件不能超过1000字节。"),
    ],
)
def test_a_refused_finding_file_stores_nothing(
    spot_round, client, login_as, store, app, monkeypatch, upload, message
):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    login_as("kh_chen")
    url, form = verify_form(spot_round, client)
    filename, data = upload
    form["entries-1-evidence_file"] = (io.BytesIO(data), filename)
    form["entries-2-evidence_file"] = (io.BytesIO(PDF), "fine.pdf")  # ok entry: ignored
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(True)
    assert f'<p class="field-error" id="entries-1-evidence_file-error">{message}</p>' in body
    assert 'aria-describedby="entries-1-evidence_file-error"' in body
    assert "缺少分管领导签字" in body  # what was typed stays
    assert evidence_count() == 0 and stored_files(store) == []
    assert finding_count() == 0 and spot_round.check().status == "drawn"


def test_a_rectification_with_its_evidence_file(
    spot_round, client, login_as, store, app, monkeypatch
):
    login_as("kh_chen")
    url, form = verify_form(spot_round, client)
    assert client.post(url, data=form).status_code == 302  # a finding without a file
    logout(client)

    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    login_as("head_fin")
    for filename, data, message in (
        ("整改.txt", b"plain text", "佐证材料仅支持pdf、png、jpg、xlsx、docx、csv文件。"),
        ("整改.pdf", b"%PDF-" + b"x" * 2000, "文件不能超过1000字节。"),
    ):
        url, form = rectify_form(spot_round, client)
        form["rectifications-0-evidence_file"] = (io.BytesIO(data), filename)
        response = client.post(url, data=form, content_type="multipart/form-data")
        assert response.status_code == 422
        assert f'id="rectifications-0-evidence_file-error">{message}<' in response.get_data(True)
        assert evidence_count() == 0 and stored_files(store) == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Rectification)) == 0

    url, form = rectify_form(spot_round, client)
    form["rectifications-0-evidence_file"] = (io.BytesIO(PNG), "整改后.png")
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(True)[:2000]
    [finding] = spot_round.check().findings
    assert finding.evidence is None and finding.status == "rectified"
    [rectification] = finding.rectifications
    assert rectification.evidence.filename == "整改后.png"
    assert rectification.evidence.uploaded_by_id == rectification.by_id
    assert evidence_count() == 1 and [p.read_bytes() for p in stored_files(store)] == [PNG]
    download = f"/findings/{finding.id}/rectifications/{rectification.id}/evidence"
    assert client.get(download).data == PNG
    assert client.get(f"/findings/{finding.id}/evidence").status_code == 404  # none of its own
    logout(client)

    login_as("kh_chen")  # the group sees the link on the confirmation page
    page = client.get(f"/tasks/{spot_round.task('confirm').id}").get_data(True)
    assert f'href="{download}"' in page
    response = client.get(download)
    assert response.status_code == 200 and response.mimetype == "image/png"
    logout(client)

    login_as("head_insp")
    assert client.get(download).status_code == 404
