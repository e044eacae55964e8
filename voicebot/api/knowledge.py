"""``/v1/bots/{bot_id}/knowledge``: upload a document (ingested in the background), poll, list, delete.

An upload is streamed to a private temporary directory with a size cap (413 beyond it), recorded as a
``processing`` document, and answered 202 at once; an app-owned task ingests it
(:class:`~voicebot.api.tasks.BackgroundWork`) and leaves it ``ready`` or ``error`` (with the reason).
Re-uploading an identical file that is already ready changes nothing (200).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import shutil
import tempfile
import unicodedata
import uuid
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.services import ApiLimits, ApiServices
from voicebot.api.tasks import BackgroundWork
from voicebot.errors import ConfigError, NotFoundError, VoicebotError
from voicebot.knowledge.extract import file_type
from voicebot.storage.repositories.knowledge_docs import KnowledgeDoc

__all__ = ["DocOut", "accept_upload", "register", "remove_doc", "safe_filename"]

_log = structlog.get_logger("voicebot.api")
_CHUNK = 1 << 20


class DocOut(BaseModel):
    id: uuid.UUID
    bot_id: uuid.UUID
    filename: str
    file_type: str
    file_size: int
    sha256: str
    status: str
    chunk_count: int
    error_message: str | None
    embedder: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, d: KnowledgeDoc) -> DocOut:
        return cls(
            id=d.id,
            bot_id=d.bot_id,
            filename=d.filename,
            file_type=d.file_type,
            file_size=d.file_size,
            sha256=d.sha256,
            status=d.status,
            chunk_count=d.chunk_count,
            error_message=d.error_message,
            embedder=d.embedder,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


def safe_filename(raw: str | None) -> str:
    """The base name of an uploaded file, without directories or control characters; ConfigError if none."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    if not name or name in (".", "..") or len(name) > 200:
        raise ConfigError("the uploaded file needs a name of 1 to 200 characters, e.g. faq.md")
    return name


async def _spool(upload: UploadFile, target: Path, limit: int) -> tuple[int, str]:
    """Copy the upload to ``target``; (size, sha256). 413 when it exceeds ``limit`` bytes."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while block := await upload.read(_CHUNK):
            size += len(block)
            if size > limit:
                raise HTTPException(413, f"the file is larger than {limit} bytes")
            digest.update(block)
            await asyncio.to_thread(out.write, block)
    return size, digest.hexdigest()


async def _doc_of_bot(
    services: ApiServices, company_id: uuid.UUID, bot_id: uuid.UUID, doc_id: uuid.UUID
) -> KnowledgeDoc:
    await services.company_bots.get(company_id, bot_id)
    try:
        doc = await services.knowledge_docs.get(doc_id)
    except NotFoundError:
        doc = None
    if doc is None or doc.bot_id != bot_id:
        raise NotFoundError(f"no knowledge document with id {doc_id}")
    return doc


async def _ingest(services: ApiServices, bot_id: uuid.UUID, doc_id: uuid.UUID, path: Path) -> None:
    """Ingest one spooled file; the document ends ``ready`` or ``error``, whatever happens."""
    try:
        async with services.knowledge.open() as knowledge:
            await knowledge.add(bot_id, path)
        _log.info("knowledge_ingested", bot_id=str(bot_id), doc_id=str(doc_id))
    except BaseException as exc:
        if isinstance(exc, VoicebotError):
            message = str(exc)
        elif isinstance(exc, asyncio.CancelledError):
            message = f"{path.name}: ingestion was interrupted; upload the file again"
        else:
            message = f"{path.name}: ingestion failed ({type(exc).__name__})"
        _log.warning("knowledge_ingest_failed", bot_id=str(bot_id), doc_id=str(doc_id), error=message)
        # The service marks its own failures; this covers failing to open the store, or a cancellation
        # before ingestion began. Shielded so a shutdown still leaves the row out of 'processing'.
        with contextlib.suppress(BaseException):
            await asyncio.shield(_mark_error_if_processing(services, doc_id, message))
        if not isinstance(exc, Exception):
            raise
    finally:
        await asyncio.to_thread(shutil.rmtree, path.parent, True)


async def _mark_error_if_processing(services: ApiServices, doc_id: uuid.UUID, message: str) -> None:
    doc = await services.knowledge_docs.get(doc_id)
    if doc.status == "processing":
        await services.knowledge_docs.mark_error(doc_id, message)


async def accept_upload(
    services: ApiServices,
    limits: ApiLimits,
    work: BackgroundWork,
    company_id: uuid.UUID,
    bot_id: uuid.UUID,
    file: UploadFile,
) -> tuple[KnowledgeDoc, int]:
    """Spool an upload and start its ingestion: (the document, 202), or (the ready one, 200) when an
    identical file is already ready. Shared by the API and the console."""
    await services.company_bots.get(company_id, bot_id)
    name = safe_filename(file.filename)
    kind = file_type(Path(name))
    spool = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="voicebot-upload-"))
    started = False
    try:
        path = spool / name
        size, digest = await _spool(file, path, limits.max_upload_bytes)
        if size == 0:
            raise ConfigError(f"{name}: the file is empty")
        for existing in await services.knowledge_docs.list(bot_id):
            if existing.filename != name:
                continue
            if (
                existing.status == "ready"
                and existing.sha256 == digest
                and existing.embedder == services.knowledge.embedder_name
            ):
                return existing, 200
            await work.cancel(existing.id)
        doc = await services.knowledge_docs.create(
            bot_id, name, file_type=kind, file_size=size, sha256=digest, replace=True
        )
        work.start(doc.id, _ingest(services, bot_id, doc.id, path))
        started = True
        return doc, 202
    finally:
        await file.close()
        if not started:
            await asyncio.to_thread(shutil.rmtree, spool, True)


async def remove_doc(
    services: ApiServices, work: BackgroundWork, company_id: uuid.UUID, bot_id: uuid.UUID, doc_id: uuid.UUID
) -> None:
    """Remove a document of the company's bot and its passages (an ingestion in progress is stopped)."""
    doc = await _doc_of_bot(services, company_id, bot_id, doc_id)
    await work.cancel(doc.id)
    async with services.knowledge.open() as knowledge:
        await knowledge.remove(bot_id, str(doc.id))


PREFIX = "/v1/bots/{bot_id}/knowledge"
TAGS: list[str | Enum] = ["knowledge"]
COMMON = error_responses(401, 404)


def register(app: FastAPI, limits: ApiLimits, work: BackgroundWork) -> None:

    @app.post(
        PREFIX,
        tags=TAGS,
        status_code=202,
        response_model=DocOut,
        responses={
            200: {"description": "identical file already ready", "model": DocOut},
            **COMMON,
            **error_responses(413, 422),
        },
    )
    async def upload(bot_id: uuid.UUID, file: UploadFile, company: CurrentCompany, services: Services) -> Any:
        """Upload a document (pdf, docx, txt, md, csv; multipart field ``file``). Answers 202 at once with
        the document in ``processing``; poll ``GET .../knowledge/{doc_id}`` until ``ready`` or ``error``.
        A file of the same name replaces the bot's document of that name."""
        doc, status = await accept_upload(services, limits, work, company.id, bot_id, file)
        headers = {"Location": f"/v1/bots/{bot_id}/knowledge/{doc.id}"} if status == 202 else None
        return JSONResponse(DocOut.of(doc).model_dump(mode="json"), status_code=status, headers=headers)

    @app.get(PREFIX, tags=TAGS, response_model=list[DocOut], responses=COMMON)
    async def list_docs(bot_id: uuid.UUID, company: CurrentCompany, services: Services) -> list[DocOut]:
        await services.company_bots.get(company.id, bot_id)
        return [DocOut.of(d) for d in await services.knowledge_docs.list(bot_id)]

    @app.get(PREFIX + "/{doc_id}", tags=TAGS, response_model=DocOut, responses=COMMON)
    async def get_doc(
        bot_id: uuid.UUID, doc_id: uuid.UUID, company: CurrentCompany, services: Services
    ) -> DocOut:
        """One document: poll ``status`` (processing, ready, error) after an upload."""
        return DocOut.of(await _doc_of_bot(services, company.id, bot_id, doc_id))

    @app.delete(PREFIX + "/{doc_id}", tags=TAGS, status_code=204, response_class=Response, responses=COMMON)
    async def delete_doc(
        bot_id: uuid.UUID, doc_id: uuid.UUID, company: CurrentCompany, services: Services
    ) -> Response:
        """Remove the document and all its passages (an ingestion in progress is stopped first)."""
        await remove_doc(services, work, company.id, bot_id, doc_id)
        return Response(status_code=204)
