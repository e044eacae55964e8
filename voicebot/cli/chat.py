"""``voicebot chat``: talk to a scenario in the terminal, or script a call through stdin."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from voicebot.cli._transcript import TranscriptPrinter
from voicebot.dialogue import (
    CallContext,
    Dtmf,
    Engine,
    Event,
    Hangup,
    NoInput,
    Utterance,
)
from voicebot.dialogue.nlu import to_json
from voicebot.observability import configure_logging
from voicebot.runtime import configured_llm, load_offline_bot
from voicebot.runtime_actions import offline_action_registry
from voicebot.settings import Settings
from voicebot.telephony.actions import CallActions
from voicebot.telephony.textcall import TextCall

HELP_TEXT = "commands: /silence  /dtmf DIGITS  /state  /hangup  /help   (anything else is what you say)"


def _event(line: str) -> Event | str:
    """The event for a typed line; a string for local commands."""
    stripped = line.strip()
    if stripped in ("/silence", "/s"):
        return NoInput()
    if stripped.startswith("/dtmf"):
        return Dtmf(stripped.removeprefix("/dtmf").strip() or "#")
    if stripped in ("/hangup", "/quit", "/q", "/exit"):
        return Hangup()
    if stripped in ("/state", "/help", "/h", "/?"):
        return stripped
    return Utterance(line)


async def _run(
    path: Path,
    caller: str,
    knowledge: Path | None,
    now: datetime | None,
    source: TextIO,
    use_llm: bool,
    secrets: dict[str, str] | None = None,
) -> int:
    _quiet_logs()
    bot = load_offline_bot(path, knowledge_dir=knowledge)
    compiled = bot.engine.compiled
    llm = configured_llm(Settings.from_env(), bot.loaded.scenario) if use_llm else None
    clock_value = (now if now.tzinfo else now.replace(tzinfo=compiled.tz)) if now else None
    engine = Engine(
        compiled, clock=(lambda: clock_value) if clock_value else None, llm_enabled=llm is not None
    )
    interactive = source.isatty()
    printer = TranscriptPrinter(sys.stdout, color=sys.stdout.isatty())
    if interactive:
        mode = f"LLM {bot.loaded.scenario.bot.providers.llm.model}" if llm is not None else "offline, no LLM"
        click.echo(click.style(f"{bot.loaded.scenario.bot.name} ({mode}) — {HELP_TEXT}", dim=True))
    registry, close_actions = offline_action_registry(secrets or {})
    actions = CallActions(registry, call_id=None, company_id=None, bot_id=None)
    # The same AgentSession and bridge as a phone call, in text mode.
    async with TextCall(
        engine,
        bot_id=bot.bot_id,
        context=CallContext(call_id="chat", caller_number=caller),
        retriever=bot.retriever,
        answerer=bot.answerer,
        llm=llm,
        actions=actions,
    ) as session_call:
        for result in session_call.greeting:
            printer.show(result)
        while not session_call.ended:
            if interactive:
                try:
                    line = input(click.style("you> ", fg="green", bold=True))
                except EOFError:
                    line = "/hangup"
            else:
                raw = source.readline()
                line = raw.rstrip("\n") if raw else "/hangup"
                click.echo(f"you> {line}")
            event = _event(line)
            if isinstance(event, str):
                if event == "/state":
                    state = session_call.conversation.call
                    slots = {k: to_json(v) for k, v in state.slots.items()}
                    click.echo(f"     state={state.state} slots={json.dumps(slots, ensure_ascii=False)}")
                else:
                    click.echo(HELP_TEXT)
                continue
            if isinstance(event, Utterance):
                results = await session_call.say(event.text)
            else:
                results = await session_call.send(event)
            for result in results:
                printer.show(result)
        call = session_call.conversation.call
    await close_actions()
    finished = printer.finished
    click.echo("")
    if finished is not None:
        click.echo(f"outcome: {finished.outcome} (confidence {finished.confidence:.2f}, {finished.rule})")
        click.echo(f"ended:   {finished.end_reason} in state {finished.final_state}")
    slots = {k: to_json(v) for k, v in call.slots.items()}
    click.echo(f"slots:   {json.dumps(slots, ensure_ascii=False)}")
    return 0


def _quiet_logs() -> None:
    """The transcript is the output: logs go to stderr, warnings only unless VOICEBOT_LOG_LEVEL says."""
    configure_logging(level=os.environ.get("VOICEBOT_LOG_LEVEL", "warning").lower(), stream=sys.stderr)


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--caller", default="+15550000000", show_default=True, help="The caller's phone number.")
@click.option(
    "--knowledge",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Folder of documents to answer from (default: <scenario folder>/<bot id>/knowledge if present).",
)
@click.option("--now", type=click.DateTime(), default=None, help="Freeze the clock (bot's time zone).")
@click.option(
    "--llm/--no-llm",
    "use_llm",
    default=True,
    show_default=True,
    help="Use the bot's LLM when OPENAI_API_KEY is set (LLM states, understanding); --no-llm stays offline.",
)
@click.option(
    "--secret",
    "secret_items",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value for {secret.NAME} in the scenario's actions (repeatable; prefer NAME=@ENVVAR).",
)
def chat(
    scenario: Path,
    caller: str,
    knowledge: Path | None,
    now: datetime | None,
    use_llm: bool,
    secret_items: tuple[str, ...],
) -> None:
    """Talk to SCENARIO in the terminal: the bot speaks first, you type the caller's lines.

    When stdin is not a terminal, caller lines are read from it, so a call can be scripted:

        printf 'I want to book\\nJohn Smith\\n' | voicebot chat scenarios/clinic.yaml

    Lines starting with / are commands: /silence (no input), /dtmf 12, /state, /hangup.
    Each action call is printed with its result (secrets as ***). At the end the outcome and the slots
    are printed.
    """
    secrets = _secrets(secret_items)
    raise SystemExit(asyncio.run(_run(scenario, caller, knowledge, now, sys.stdin, use_llm, secrets)))


def _secrets(items: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` or ``NAME=@ENVVAR`` (the value read from the environment, kept out of ``ps``)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--secret")
        if value.startswith("@"):
            if value[1:] not in os.environ:
                raise click.BadParameter(
                    f"environment variable {value[1:]} is not set", param_hint="--secret"
                )
            value = os.environ[value[1:]]
        out[name] = value
    return out
