"""Knowledge: a bot's documents with their status, upload (with progress), remove, and a search box
showing what a caller's question would retrieve (the same hybrid search a call uses)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import FastAPI, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from voicebot.api.knowledge import accept_upload, remove_doc
from voicebot.api.tasks import BackgroundWork
from voicebot.console.web import PREFIX, ConsoleDep, CsrfChecked, Signed, render
from voicebot.dialogue.ports import Passage

__all__ = ["register"]

_TOP_K = 5


def register(app: FastAPI, work: BackgroundWork) -> None:
    base = PREFIX + "/bots/{bot_id}/knowledge"

    @app.get(base, include_in_schema=False)
    async def documents(
        bot_id: uuid.UUID,
        request: Request,
        session: Signed,
        console: ConsoleDep,
        q: Annotated[str, Query(max_length=500)] = "",
    ) -> Response:
        services = console.services
        bot = await services.company_bots.get(session.company_id, bot_id)
        docs = await services.knowledge_docs.list(bot_id)
        passages: list[Passage] = []
        if q.strip():
            async with services.knowledge.open() as knowledge:
                passages = list(await knowledge.search(bot_id, q.strip(), top_k=_TOP_K))
        names = {str(d.id): d.filename for d in docs}
        return render(request, "knowledge.html", bot=bot, docs=docs, q=q, passages=passages, names=names)

    @app.post(base, include_in_schema=False)
    async def upload(
        bot_id: uuid.UUID, file: UploadFile, request: Request, session: CsrfChecked, console: ConsoleDep
    ) -> Response:
        await accept_upload(console.services, console.services.limits, work, session.company_id, bot_id, file)
        return RedirectResponse(f"{PREFIX}/bots/{bot_id}/knowledge", status_code=303)

    @app.post(base + "/{doc_id}/remove", include_in_schema=False)
    async def remove(
        bot_id: uuid.UUID, doc_id: uuid.UUID, session: CsrfChecked, console: ConsoleDep
    ) -> Response:
        await remove_doc(console.services, work, session.company_id, bot_id, doc_id)
        return RedirectResponse(f"{PREFIX}/bots/{bot_id}/knowledge", status_code=303)
