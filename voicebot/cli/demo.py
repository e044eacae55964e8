"""``voicebot demo``: a scripted call through an example scenario, printed as a transcript.

It runs on embedded defaults with no keys: the real scenario loader, compiled engine and offline NLU.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import click

from voicebot.cli._transcript import TranscriptPrinter
from voicebot.dialogue import CallContext, Hangup
from voicebot.dialogue.nlu import to_json
from voicebot.observability import configure_logging
from voicebot.runtime import load_offline_bot
from voicebot.telephony.textcall import TextCall

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

CALLER_LINES = [
    "Hi, what are your opening hours?",
    "I'd like to book an appointment",
    "John Smith",
    "March 3rd 1985",
    "I need a check-up",
    "tomorrow at 10 am",
    "no, make it 11:30 am",
    "yes",
]


async def _demo(scenario: Path) -> None:
    _quiet_logs()
    bot = load_offline_bot(scenario)
    printer = TranscriptPrinter(sys.stdout, color=sys.stdout.isatty())
    click.echo(click.style(f"demo call to {bot.loaded.scenario.bot.name} ({scenario.name})\n", bold=True))
    # The same AgentSession and bridge as a phone call, in text mode.
    async with TextCall(
        bot.engine,
        bot_id=bot.bot_id,
        context=CallContext(call_id="demo", caller_number="+12125550123"),
        retriever=bot.retriever,
        answerer=bot.answerer,
    ) as call:
        for result in call.greeting:
            printer.show(result)
        for line in CALLER_LINES:
            if call.ended:
                break
            click.echo(click.style("caller> ", fg="green", bold=True) + line)
            for result in await call.say(line):
                printer.show(result)
        if not call.ended:
            for result in await call.send(Hangup()):
                printer.show(result)
        state = call.conversation.call
    finished = printer.finished
    click.echo(click.style("\nsummary", bold=True))
    if finished is not None:
        click.echo(f"  outcome:   {finished.outcome} (confidence {finished.confidence:.2f}; {finished.rule})")
        click.echo(f"  ended:     {finished.end_reason} in state {finished.final_state}")
    click.echo(f"  states:    {', '.join(sorted(state.visited))}")
    slots = {k: to_json(v) for k, v in state.slots.items()}
    click.echo(f"  slots:     {json.dumps(slots, ensure_ascii=False)}")


def _quiet_logs() -> None:
    """The transcript is the output: logs go to stderr, warnings only unless VOICEBOT_LOG_LEVEL says."""
    configure_logging(level=os.environ.get("VOICEBOT_LOG_LEVEL", "warning").lower(), stream=sys.stderr)


@click.command()
@click.option(
    "--scenario",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Scenario to call (default: the clinic example).",
)
def demo(scenario: Path | None) -> None:
    """Run a scripted call end to end on embedded defaults (no keys, no network) and print it."""
    asyncio.run(_demo(scenario or SCENARIOS / "clinic.yaml"))
