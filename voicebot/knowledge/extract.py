"""Text out of a document: pdf, docx, txt, md, csv.

Each format yields :class:`Block` s, pieces of text that keep the page (pdf) and the section (the
heading path in md and docx, ``row N`` in csv) they came from. A csv row is one block on its own,
prefixed with its header, and is never merged with other rows by the chunker.

Every failure is a :class:`~voicebot.errors.KnowledgeError` naming the file and what is wrong with it:
unsupported type, empty, too large, unreadable (corrupt), password-protected.

Hostile documents are refused before the expensive work: a docx (a zip archive) whose parts would
inflate past :data:`MAX_DOCX_PART_BYTES` each or :data:`MAX_DOCX_TOTAL_BYTES` in all is refused from its
zip directory, before anything is decompressed (Python's zipfile never inflates a member past its declared
size), and with ``max_passages`` the passage limit is checked while blocks are extracted, so a document
far over it stops early instead of being extracted whole first.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from voicebot.errors import KnowledgeError
from voicebot.knowledge.tables import row_sentence

__all__ = ["MAX_DOCX_PART_BYTES", "MAX_DOCX_TOTAL_BYTES", "SUPPORTED_TYPES", "Block", "extract", "file_type"]

MAX_DOCX_PART_BYTES = 32 * 1024 * 1024
"""Largest decompressed docx part (document.xml of a ~1,000-page text is well under it)."""
MAX_DOCX_TOTAL_BYTES = 256 * 1024 * 1024
"""Largest decompressed docx in all (images included)."""

SUPPORTED_TYPES = ("pdf", "docx", "txt", "md", "csv")
_ALIASES = {"markdown": "md", "text": "txt"}


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a document's text and where it came from."""

    text: str
    page: int | None = None
    section: str | None = None
    atomic: bool = False  # a csv row: one passage, never split or merged


def file_type(path: Path) -> str:
    """The document type from the file name; raises KnowledgeError for an unsupported one."""
    ext = path.suffix.lower().lstrip(".")
    ext = _ALIASES.get(ext, ext)
    if ext not in SUPPORTED_TYPES:
        shown = path.suffix or "(no extension)"
        raise KnowledgeError(
            f"{path.name}: unsupported file type {shown}; supported: {', '.join(SUPPORTED_TYPES)}"
        )
    return ext


def extract(
    path: Path, data: bytes, *, max_passages: int | None = None, passage_chars: int = 700
) -> list[Block]:
    """All text blocks of a document; raises KnowledgeError if there is none or it cannot be read.

    With ``max_passages``, extraction stops (KnowledgeError) as soon as the text surely makes more
    passages than that: more blocks than passages, or more than ``max_passages * passage_chars``
    characters (a passage holds at most ``passage_chars`` new characters).
    """
    kind = file_type(path)
    if not data.strip():
        raise KnowledgeError(f"{path.name}: the file is empty")
    try:
        blocks = _take(_EXTRACTORS[kind](data), max_passages, passage_chars)
    except KnowledgeError as exc:
        raise KnowledgeError(f"{path.name}: {exc}") from exc
    except Exception as exc:  # parsers raise many unrelated types on malformed input
        problem = f"{type(exc).__name__}: {exc}"
        raise KnowledgeError(f"{path.name}: not a readable {kind} file ({problem})") from exc
    blocks = [b for b in blocks if b.text.strip()]
    if not blocks:
        hint = " (a scanned pdf needs OCR first)" if kind == "pdf" else ""
        raise KnowledgeError(f"{path.name}: no text found in the document{hint}")
    return blocks


def _take(blocks: Iterator[Block], max_passages: int | None, passage_chars: int) -> list[Block]:
    if max_passages is None:
        return list(blocks)
    budget = max_passages * max(1, passage_chars)
    taken: list[Block] = []
    chars = 0
    for block in blocks:
        taken.append(block)
        chars += len(block.text)
        if len(taken) > max_passages or chars > budget:
            raise KnowledgeError(
                f"the document makes more than {max_passages} passages; the limit is {max_passages} "
                "(split it into smaller documents)"
            )
    return taken


def _check_zip_sizes(data: bytes) -> None:
    """Refuse a zip whose members would inflate past the caps, from its directory (nothing inflated)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if info.file_size > MAX_DOCX_PART_BYTES or total > MAX_DOCX_TOTAL_BYTES:
                limit = MAX_DOCX_PART_BYTES if info.file_size > MAX_DOCX_PART_BYTES else MAX_DOCX_TOTAL_BYTES
                raise KnowledgeError(
                    f"the docx would decompress to more than {limit // (1024 * 1024)} MB "
                    f"({info.filename!r} alone is {info.file_size // (1024 * 1024)} MB); refused"
                )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise KnowledgeError("binary data, not text")
        return text
    raise KnowledgeError("not a text file")  # pragma: no cover - latin-1 decodes anything


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _push(headings: list[tuple[int, str]], level: int, text: str) -> None:
    """Enter a heading of ``level``: it replaces any heading at that level or deeper."""
    headings[:] = [h for h in headings if h[0] < level]
    if text:
        headings.append((level, text))


def _section(headings: list[tuple[int, str]]) -> str | None:
    return " > ".join(text for _, text in headings) or None


def _txt(data: bytes) -> Iterator[Block]:
    for para in _paragraphs(_decode(data)):
        yield Block(" ".join(para.split()))


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_INLINE = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _md_clean(line: str) -> str:
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_BULLET.sub("", line)
    return _MD_INLINE.sub("", line).strip()


def _md(data: bytes) -> Iterator[Block]:
    headings: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> Iterator[Block]:
        section = _section(headings)
        for para in _paragraphs("\n".join(lines)):
            parts = [_md_clean(x) for x in para.splitlines()]
            # A list item becomes its own sentence so the extractive answer can pick it alone.
            text = " ".join(p if p.endswith((".", "?", "!", ":")) else p + "." for p in parts if p)
            yield Block(text, section=section)
        lines.clear()

    for line in _decode(data).splitlines():
        m = _HEADING.match(line)
        if m:
            yield from flush()
            _push(headings, len(m.group(1)), _md_clean(m.group(2)))
        else:
            lines.append(line)
    yield from flush()


def _csv(data: bytes) -> Iterator[Block]:
    text = _decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise KnowledgeError("a csv needs a header row and at least one data row")
    header = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])]
    for n, row in enumerate(rows[1:], start=2):
        sentence = row_sentence(header, row)  # spoken, from the headers: "Fiber 500 costs 34.90 ..."
        if sentence:
            yield Block(sentence, section=f"row {n}", atomic=True)


def _pdf(data: bytes) -> Iterator[Block]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        # An owner-password-only pdf opens with the empty user password; anything else we cannot read.
        try:
            opened = bool(reader.decrypt(""))
        except Exception:
            opened = False
        if not opened:
            raise KnowledgeError("the pdf is password-protected; upload an unprotected copy")
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        for para in _paragraphs(text):
            yield Block(" ".join(para.split()), page=number)


def _docx(data: bytes) -> Iterator[Block]:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise KnowledgeError(
                "the docx is password-protected (or an old .doc); upload an unprotected .docx"
            )
        raise KnowledgeError("not a docx file (not a zip archive)")
    _check_zip_sizes(data)
    document = docx.Document(io.BytesIO(data))
    headings: list[tuple[int, str]] = []
    body = document.element.body
    names: dict[str | None, str] = {}

    def style_name(style_id: str | None) -> str:
        # Paragraph.style scans every style per call (~1 ms): look each id up once.
        if style_id not in names:
            style = document.part.get_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
            names[style_id] = (style.name or "") if style is not None else ""
        return names[style_id]

    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            text = " ".join(paragraph.text.split())
            style = style_name(child.style)
            m = re.match(r"(?:Heading|Title)\s*(\d*)", style or "")
            if m and text:
                _push(headings, int(m.group(1) or 0), text)
            elif text:
                yield Block(text, section=_section(headings))
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            rows = [[" ".join(c.text.split()) for c in r.cells] for r in table.rows]
            if len(rows) >= 2:
                header = rows[0]
                for row in rows[1:]:
                    sentence = row_sentence(header, row)
                    if sentence:
                        yield Block(sentence, section=_section(headings), atomic=True)


_EXTRACTORS = {"txt": _txt, "md": _md, "csv": _csv, "pdf": _pdf, "docx": _docx}
