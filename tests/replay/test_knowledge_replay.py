"""Knowledge answers are replayed from the recording; ``live`` knowledge runs the lookups again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.replay.calls import ROOT, deploy, record_calls
from voicebot.dialogue import Passage
from voicebot.replay import Replayer, compare, recorded_call
from voicebot.runtime import compiled_for, load_offline_bot
from voicebot.storage.repositories.recordings import Recordings

SUPPORT = ROOT / "scenarios" / "support.yaml"
QUESTION = ["how much is the basic plan?", "no, that's all"]


class NothingFound:
    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> list[Passage]:
        return []


async def test_recorded_answers_replay_unchanged_and_live_knowledge_can_change_the_call(
    db_pool: Any, tmp_path: Path
) -> None:
    bot = load_offline_bot(SUPPORT)
    deployed = await deploy(db_pool, SUPPORT, "+13125550199")
    (call_id,) = await record_calls(
        db_pool,
        deployed,
        [QUESTION],
        tmp_path / "j",
        caller="+13125550100",
        retriever=bot.retriever,
        answerer=bot.answerer,
    )
    (rec,) = [r async for r in Recordings(db_pool).calls([call_id])]
    answered = [t for t in rec.turns if t.metadata.get("answers")]
    assert answered and answered[0].metadata["answers"][0]["source"] == "knowledge"
    old = recorded_call(rec)
    compiled = compiled_for(bot.loaded)

    recorded = await Replayer(compiled, bot_id="support").replay(old)  # no retriever at all: the recording
    verdict = compare(compiled, old, recorded)
    assert verdict.verdict == "unchanged", verdict.reasons
    assert answered[0].metadata["answers"][0]["text"] in recorded.steps[0].reply

    live = await Replayer(compiled, bot_id="support", retriever=NothingFound(), answerer=bot.answerer).replay(
        old
    )
    changed = compare(compiled, old, live)
    assert changed.verdict != "unchanged" and "offer_human" in live.path
    assert changed.divergence is not None and changed.divergence.turn == 1


async def test_keys_and_silences_recorded_by_the_bridge_replay_unchanged(
    db_pool: Any, tmp_path: Path
) -> None:
    from tests.telephony.test_text_calls import TINY
    from voicebot.dialogue import Dtmf, NoInput

    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY, encoding="utf-8")
    deployed = await deploy(db_pool, scenario, "+14155550142")
    (call_id,) = await record_calls(db_pool, deployed, [[NoInput(), Dtmf("1")]], tmp_path / "j")
    (rec,) = [r async for r in Recordings(db_pool).calls([call_id])]
    old = recorded_call(rec)
    assert [s.input.kind for s in old.steps] == ["no_input", "dtmf"]
    assert old.steps[1].states == ("sales",) and old.outcome == "lead"
    compiled = compiled_for(deployed.loaded)
    assert compare(compiled, old, await Replayer(compiled).replay(old)).verdict == "unchanged"
    # The same keys on a version where 1 no longer means sales: the path changes at that turn.
    moved = load_offline_bot_text(TINY.replace('{dtmf: "1", to: sales}', '{dtmf: "2", to: sales}'))
    verdict = compare(moved, old, await Replayer(moved).replay(old))
    assert verdict.divergence is not None and verdict.divergence.turn == 2
    assert verdict.divergence.caller == "[keys 1]" and verdict.verdict == "regressed"


def load_offline_bot_text(text: str) -> Any:
    from voicebot.scenario import load_text

    return compiled_for(load_text(text, "tiny.yaml"))
