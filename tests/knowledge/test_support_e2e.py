"""The support example scenario answering callers from its documents: real engine and driver, real
Qdrant local mode, real embedder, extractive answers (no LLM)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.knowledge.conftest import SUPPORT_DOCS
from voicebot.dialogue import CallContext, Conversation, Say, Utterance
from voicebot.knowledge import KnowledgeService, MiniLMEmbedder, QdrantRetriever, QdrantStore
from voicebot.knowledge.offline import answer, offline_knowledge
from voicebot.runtime import load_offline_bot

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "support.yaml"


def _said(actions: list[object]) -> list[Say]:
    return [a for a in actions if isinstance(a, Say)]


async def test_support_bot_answers_from_its_documents_and_returns_to_the_conversation(
    service: KnowledgeService, store: QdrantStore, embedder: MiniLMEmbedder
) -> None:
    bot_id = uuid.uuid4()
    for path in sorted(SUPPORT_DOCS.iterdir()):
        await service.add(bot_id, path)
    engine = load_offline_bot(SCENARIO, knowledge_dir=None).engine
    retriever = QdrantRetriever(store=store, embedder=embedder)
    call = Conversation(
        engine,
        CallContext(call_id="e2e", caller_number="+14155550100"),
        bot_id=str(bot_id),
        retriever=retriever,
        answerer=answer,
    )
    await call.start()

    turn = await call.send(Utterance("How much does Fiber 500 cost per month?"))
    knowledge = [s for s in _said(turn.actions) if s.source == "knowledge"]
    assert len(knowledge) == 1 and "34.90" in knowledge[0].text
    assert knowledge[0].chunks and set(knowledge[0].chunks) <= set(turn.chunks)
    assert call.call.state == "anything_else"

    turn = await call.send(Utterance("What if I don't send the router back?"))
    assert any("80 dollars" in s.text for s in _said(turn.actions))

    turn = await call.send(Utterance("Can you recommend a good pizza place near the zoo?"))
    assert not turn.chunks and call.call.state == "offer_human"


def test_offline_knowledge_is_built_once_per_unchanged_folder() -> None:
    first, _ = offline_knowledge("support", SUPPORT_DOCS)
    again, answerer = offline_knowledge("support", SUPPORT_DOCS)
    assert first is again
    passages = first.retrieve_sync("support", "When is my bill due?", 3)
    assert "15th" in answerer("When is my bill due?", passages, 1, "en")
