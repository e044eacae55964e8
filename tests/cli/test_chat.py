"""`voicebot chat` as a user runs it: a separate process, caller lines on stdin."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]

LLM_BOT = """
version: 1
bot: {id: pizza, name: Pizza Place, language: en, greeting: "Pizza Place, hello."}
slots:
  size: {type: enum, values: [small, large], prompt: "Small or large?"}
intents:
  order: {examples: [I want to order, I'd like to order a pizza]}
start: chat
states:
  chat:
    say: "Ask me anything about our pizza."
    llm: {instructions: "You recommend pizza.", offline_reply: "I can only take orders right now."}
    transitions:
      - {intent: order, to: pick}
      - {fallback: true, to: bye}
  pick:
    collect: [size]
    transitions:
      - {when: "filled('size')", to: bye}
      - {fallback: true, to: bye}
  bye: {say: "Thanks, bye.", end: true, outcome: order}
"""


async def _chat(args: list[str], stdin: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voicebot", "chat", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=ROOT, env={**os.environ, **env},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_scripted_chat_prints_the_call_and_its_outcome() -> None:
    lines = "I'd like to book an appointment\nJohn Smith\nMarch 3rd 1985\ncheck-up\ntomorrow at 10 am\nyes\n"
    code, out, err = await _chat(
        ["scenarios/clinic.yaml", "--now", "2026-11-23T09:00:00"], lines, {"OPENAI_API_KEY": ""}
    )
    assert code == 0, err
    assert "bot> How can I help you today?" in out
    assert "you> John Smith" in out
    assert "Shall I book it?" in out
    assert "outcome: booking" in out and '"patient_name": "John Smith"' in out
    assert "Traceback" not in out + err


async def test_chat_uses_the_bots_llm_when_a_key_is_set_and_never_on_template_states(tmp_path: Path) -> None:
    scenario = tmp_path / "pizza.yaml"
    scenario.write_text(LLM_BOT)
    async with FakeOpenAI() as fake:
        fake.script("Our margherita is the favourite.")
        env = {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.base_url}
        code, out, err = await _chat([str(scenario)], "what do you recommend?\nI want to order\nlarge\n", env)
    assert code == 0, err
    assert "bot> Our margherita is the favourite. [llm]" in out
    assert "outcome: order" in out
    assert len(fake.requests) == 1  # the LLM state only; greeting, prompts and goodbye are templates


async def test_chat_without_a_key_says_the_offline_reply(tmp_path: Path) -> None:
    scenario = tmp_path / "pizza.yaml"
    scenario.write_text(LLM_BOT)
    code, out, err = await _chat([str(scenario)], "what do you recommend?\n", {"OPENAI_API_KEY": ""})
    assert code == 0, err
    assert "bot> I can only take orders right now." in out


async def test_chat_on_a_broken_scenario_prints_the_problems_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "version: 1\nbot: {id: b, name: B, language: en, greeting: hi}\nstart: nowhere\nstates: {}\n"
    )
    code, _out, err = await _chat([str(broken)], "", {})
    assert code == 1
    assert f"{broken}:" in err and "Traceback" not in err


async def test_chat_prints_each_action_call_and_its_result_without_the_secret(tmp_path: Path) -> None:
    from tests.fakes import FakeCompanyApi

    async with FakeCompanyApi() as api:
        source = (
            (ROOT / "scenarios" / "support.yaml")
            .read_text()
            .replace("https://api.nimbus.example", api.origin)
        )
        scenario = tmp_path / "support.yaml"
        scenario.write_text(source)
        env = {"OPENAI_API_KEY": "", "VOICEBOT_WEBHOOK_ALLOW_HOSTS": "127.0.0.0/8", "NIMBUS": "tok-chat-1"}
        code, out, err = await _chat(
            [str(scenario), "--secret", "nimbus_api_token=@NIMBUS"], "check my account\n12345\nbye\n", env
        )
    assert code == 0, err
    assert f"[action lookup_account: GET {api.origin}/v1/accounts/12345 -> ok 200" in out
    assert "bot> Thanks, Ann Lee." in out
    assert api.requests[-1].headers["authorization"] == "Bearer tok-chat-1"
    assert "tok-chat-1" not in out + err and "Traceback" not in out + err
