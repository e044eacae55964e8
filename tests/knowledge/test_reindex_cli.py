"""`voicebot knowledge reindex` end to end: real Postgres, real Qdrant local mode, documents embedded
offline first, then the bot switched to the OpenAI embedder (a local fake of its endpoint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.conftest import SUPPORT_DOCS
from tests.knowledge.test_cli import env, run  # noqa: F401 - the fixture is used by name
from voicebot.knowledge import OpenAIEmbedder

pytestmark = pytest.mark.integration


def test_reindex_switches_the_bot_to_the_configured_embedder(
    env: dict[str, str | None],  # noqa: F811
    openai_embedder: OpenAIEmbedder,
    tmp_path: Path,
) -> None:
    code, _, err = run(["knowledge", "add", "--bot", "support", str(SUPPORT_DOCS / "faq.md")], env)
    assert code == 0, err
    with_key = {**env, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": openai_embedder.url}  # type: ignore[attr-defined]
    question = ["knowledge", "search", "--bot", "support", "Can I keep my old phone number?"]

    code, out, err = run(question, with_key)
    assert code == 1 and "re-ingest" in err and "Traceback" not in err  # the mismatch, told plainly

    code, out, err = run(["knowledge", "reindex", "--bot", "support"], with_key)
    assert code == 0, err
    assert "passages now embedded with openai:text-embedding-3-small (was all-MiniLM-L6-v2-int8" in out

    code, out, err = run(question, with_key)
    assert code == 0, err
    assert "number transfer code" in out
    code, out, _ = run(["knowledge", "reindex", "--bot", "support"], with_key)
    assert code == 0 and "nothing to do" in out
    code, out, err = run(["knowledge", "reindex", "--bot", "nobody"], with_key)
    assert code == 1 and "no bot 'nobody'" in err and "Traceback" not in err
