"""``voicebot knowledge add|list|remove|search|reindex``: a bot's documents, answered from at call time.

``--bot`` takes the bot's id or its slug (from ``voicebot bot list``). Documents are tracked in the
database (knowledge_docs) and their passages live in Qdrant: the server at QDRANT_URL, or local mode
in $VOICEBOT_DATA_DIR/qdrant. See docs/knowledge.md.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from voicebot.errors import ConfigError, KnowledgeError, NotFoundError
from voicebot.settings import Settings

if TYPE_CHECKING:
    from voicebot.knowledge.service import KnowledgeService

__all__ = ["knowledge"]


@asynccontextmanager
async def _service(bot_ref: str) -> AsyncIterator[tuple[KnowledgeService, uuid.UUID]]:
    """The knowledge service on the database and Qdrant, and the bot's id."""
    from voicebot.knowledge import KnowledgeService, embedder_from_settings, open_store
    from voicebot.storage import Database

    settings = Settings.from_env()
    async with await Database.open(settings, min_size=1, max_size=1) as db:
        bot_id = await _bot_id(db, bot_ref)
        store = await asyncio.to_thread(open_store, settings)
        try:
            service = KnowledgeService(
                store=store, embedder=embedder_from_settings(settings), registry=db.knowledge_docs
            )
            yield service, bot_id
        finally:
            store.close()


async def _bot_id(db: Any, bot_ref: str) -> uuid.UUID:
    """The id of the bot ``bot_ref`` names (its id or slug); a clear error if none or several."""
    matches = [b for b in await db.bots.list() if bot_ref in (str(b.id), b.slug)]
    if not matches:
        raise NotFoundError(f"no bot {bot_ref!r} (see `voicebot bot list`)")
    if len(matches) > 1:
        ids = ", ".join(str(b.id) for b in matches)
        raise ConfigError(f"--bot {bot_ref!r} matches several bots ({ids}); give the bot id")
    bot_id: uuid.UUID = matches[0].id
    return bot_id


def _run(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(work())


class _Progress:
    """A progress bar on stderr for documents of 50 passages or more."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None and total >= 50:
            self._bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
            self._bar.__enter__()
        if self._bar is not None:
            self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@click.group("knowledge")
def knowledge() -> None:
    """A bot's knowledge base: documents its calls answer questions from."""


@knowledge.command("add")
@click.option("--bot", "bot_ref", required=True, help="Bot id or slug.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
def add(bot_ref: str, files: tuple[Path, ...]) -> None:
    """Add (or replace) FILES: pdf, docx, txt, md, csv. A file of the same name replaces the old one."""
    failed: list[str] = []

    async def work() -> None:
        async with _service(bot_ref) as (service, bot_id):
            for path in files:
                progress = _Progress(path.name)
                try:
                    doc = await service.add(bot_id, path, progress=progress)
                except KnowledgeError as exc:
                    failed.append(path.name)
                    click.echo(f"error: {exc}", err=True)
                    continue
                finally:
                    progress.close()
                click.echo(f"{doc.filename}: ready, {doc.chunk_count} passages  ({doc.id})")

    _run(work)
    if failed:
        raise click.exceptions.Exit(1)


@knowledge.command("list")
@click.option("--bot", "bot_ref", required=True, help="Bot id or slug.")
def list_cmd(bot_ref: str) -> None:
    """List the bot's documents with their status and passage count."""

    async def work() -> None:
        async with _service(bot_ref) as (service, bot_id):
            docs = await service.list(bot_id)
        for d in docs:
            line = f"{d.id}  {d.status:10}  {d.chunk_count:6} passages  {d.file_size:>9} B  {d.filename}"
            click.echo(line + (f"\n    {d.error_message}" if d.error_message else ""))
        if not docs:
            click.echo(f"no documents yet: voicebot knowledge add --bot {bot_ref} FILE...")

    _run(work)


@knowledge.command("remove")
@click.option("--bot", "bot_ref", required=True, help="Bot id or slug.")
@click.argument("doc")
def remove(bot_ref: str, doc: str) -> None:
    """Remove DOC (its id or file name) and all its passages."""

    async def work() -> None:
        async with _service(bot_ref) as (service, bot_id):
            removed = await service.remove(bot_id, doc)
        click.echo(f"removed {removed.filename} ({removed.chunk_count} passages)")

    _run(work)


@knowledge.command("search")
@click.option("--bot", "bot_ref", required=True, help="Bot id or slug.")
@click.option("--top", "top_k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.argument("question")
def search(bot_ref: str, top_k: int, question: str) -> None:
    """Print the passages that best match QUESTION, with source, page/section and score."""

    async def work() -> None:
        async with _service(bot_ref) as (service, bot_id):
            passages = await service.search(bot_id, question, top_k=top_k)
            threshold = service.embedder.min_score
        if not passages:
            click.echo("no passages (has the bot any documents? see `voicebot knowledge list`)")
        for rank, p in enumerate(passages, start=1):
            where = ", ".join(x for x in (f"page {p.page}" if p.page else "", p.section or "") if x)
            weak = "" if p.score >= threshold else "  (below the answer threshold)"
            click.echo(f"{rank}. {p.score:.3f}  {p.source}" + (f"  [{where}]" if where else "") + weak)
            click.echo(f"   {p.text}")

    _run(work)


@knowledge.command("reindex")
@click.option("--bot", "bot_ref", required=True, help="Bot id or slug.")
def reindex(bot_ref: str) -> None:
    """Re-embed the bot's passages with the configured embedder (e.g. after setting OPENAI_API_KEY).

    Calls keep answering from the current index until the new one is complete; if interrupted, run
    it again: it goes on where it stopped."""

    async def work() -> None:
        from voicebot.knowledge import embedder_from_settings, reindex_bot
        from voicebot.storage import Database

        settings = Settings.from_env()
        async with await Database.open(settings, min_size=1, max_size=1) as db:
            bot_id = await _bot_id(db, bot_ref)
            embedder = embedder_from_settings(settings)
            progress = _Progress("re-embedding")
            try:
                result = await asyncio.to_thread(
                    reindex_bot, settings, str(bot_id), embedder=embedder, progress=progress
                )
            finally:
                progress.close()
            if not result.switched:
                click.echo(f"{result.collection}: already built with {embedder.name}; nothing to do")
                return
            for doc in await db.knowledge_docs.list(bot_id):
                if doc.status == "ready":
                    await db.knowledge_docs.mark_ready(
                        doc.id,
                        chunk_count=doc.chunk_count,
                        embedder=embedder.name,
                        embedding_dim=embedder.dimension,
                    )
            click.echo(
                f"{result.collection}: {result.passages} passages now embedded with {embedder.name} "
                f"(was {result.previous_embedder}; {result.embedded} embedded by this run)"
            )

    _run(work)
