"""Documents become text that keeps where it came from; bad files fail with a message naming the problem."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.knowledge.documents import encrypt_pdf, make_docx, make_pdf
from voicebot.errors import KnowledgeError
from voicebot.knowledge.chunking import chunk_blocks
from voicebot.knowledge.extract import extract


def _zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a word document")
    return out.getvalue()


def test_markdown_passages_carry_their_heading_path() -> None:
    md = b"# Help\n\n## Billing\n\n### When is my bill issued?\nOn the 1st of each month.\n\n"
    md += b"## Mobile\n\nText."
    blocks = extract(Path("faq.md"), md)
    assert [(b.section, b.text) for b in blocks] == [
        ("Help > Billing > When is my bill issued?", "On the 1st of each month."),
        ("Help > Mobile", "Text."),
    ]


def test_csv_row_is_one_spoken_passage_from_its_header() -> None:
    data = b"Product,Price\nFibre 100,24.90\nFibre 500,34.90\n"
    chunks = chunk_blocks(extract(Path("prices.csv"), data))
    assert [c.text for c in chunks] == [
        "Fibre 100 costs 24.90.",
        "Fibre 500 costs 34.90.",
    ]
    assert [c.section for c in chunks] == ["row 2", "row 3"]


def test_semicolon_csv_in_cp1251_is_read() -> None:
    data = "Тариф;Цена\nДомашний;500 руб\n".encode("cp1251")
    assert extract(Path("цены.csv"), data)[0].text == "Домашний стоит 500 руб."


def test_price_list_row_reads_as_a_sentence_with_units_and_no_fee() -> None:
    data = b"Product,Category,Monthly price (USD),Setup fee (USD)\nFiber 500,Internet,34.90,0\n"
    assert extract(Path("prices.csv"), data)[0].text == (
        "Fiber 500 costs 34.90 dollars a month, category Internet, with no setup fee."
    )
    ru = "Услуга,Цена (руб),Длительность (мин)\nМаникюр,1500,60\n".encode()
    assert extract(Path("цены.csv"), ru)[0].text == "Маникюр стоит 1500 рублей, длительность — 60 мин."


def test_pdf_passages_keep_their_page() -> None:
    pdf = make_pdf([["Opening hours are 8 to 22."], ["Refunds take ten days."]])
    blocks = extract(Path("policy.pdf"), pdf)
    assert [(b.page, b.text) for b in blocks] == [
        (1, "Opening hours are 8 to 22."),
        (2, "Refunds take ten days."),
    ]


def test_docx_keeps_sections_and_table_rows() -> None:
    data = make_docx(
        [("Returns", ["Return the router within 30 days."])], [("Channel", "Hours"), ("Phone", "8-22")]
    )
    blocks = extract(Path("policies.docx"), data)
    assert [(b.section, b.text) for b in blocks] == [
        ("Returns", "Return the router within 30 days."),
        ("Returns", "Phone: hours 8-22."),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.md", b"  \n\n \n", "the file is empty"),
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "not a readable pdf file"),
        ("broken.docx", b"PK\x03\x04 truncated zip", "not a docx file"),
        ("bad-inside.docx", _zip_without_document(), "not a readable docx file"),
        ("notzip.docx", b"hello, plain text", "not a docx file"),
        ("secret.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "password-protected"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported file type .xlsx; supported: pdf, docx, txt, md, csv"),
        ("README", b"text", "unsupported file type (no extension)"),
        ("binary.txt", b"\x00\x01\x02\x03" * 10, "binary data, not text"),
        ("header-only.csv", b"a,b\n", "a csv needs a header row and at least one data row"),
        ("scan.pdf", make_pdf([[]]), "no text found in the document (a scanned pdf needs OCR first)"),
    ],
)
def test_unreadable_documents_say_what_is_wrong(name: str, data: bytes, message: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        extract(Path(name), data)
    assert str(info.value).startswith(f"{name}: ")
    assert message in str(info.value)


def test_password_protected_pdf_is_refused_clearly() -> None:
    data = encrypt_pdf(make_pdf([["Secret prices."]]), "hunter2")
    with pytest.raises(KnowledgeError, match=r"secret\.pdf: the pdf is password-protected"):
        extract(Path("secret.pdf"), data)
