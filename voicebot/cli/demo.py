"""``voicebot demo``: the whole path of a call, end to end, on embedded defaults with no keys."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import click

from voicebot.cli._transcript import TranscriptPrinter
from voicebot.demo import run_demo
from voicebot.dialogue.nlu import to_json
from voicebot.observability import configure_logging
from voicebot.settings import Settings

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _quiet_logs() -> None:
    """The transcript is the output: logs go to stderr, warnings only unless VOICEBOT_LOG_LEVEL says."""
    configure_logging(level=os.environ.get("VOICEBOT_LOG_LEVEL", "warning").lower(), stream=sys.stderr)


@click.command()
@click.option(
    "--scenario",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Scenario to call (default: the clinic example, scenarios/clinic.yaml).",
)
def demo(scenario: Path | None) -> None:
    """Run the whole path of a call end to end, with no keys and nothing to set up.

    Starts the embedded PostgreSQL and Qdrant, creates a company and a bot from an example scenario,
    ingests its documents, runs a scripted caller through the real session path (a knowledge question,
    a booking, a correction), records everything in Postgres, decides the outcome and delivers the signed
    webhooks to a local receiver that verifies them. Prints the transcript with its states, the payloads
    and a summary. Set DATABASE_URL / QDRANT_URL to run it against real servers instead.
    """
    _quiet_logs()
    settings = Settings.from_env()
    color = sys.stdout.isatty()
    printer = TranscriptPrinter(sys.stdout, color=color)

    def show(line: str) -> None:
        click.echo(click.style(line, bold=True) if color and line[:1].isdigit() else line)

    result = asyncio.run(
        run_demo(settings, scenario=scenario or SCENARIOS / "clinic.yaml", show=show, show_turn=printer.show)
    )
    finished = result.finished
    click.echo(click.style("\nsummary", bold=True))
    if finished is not None:
        click.echo(
            f"  outcome:       {finished.outcome} (confidence {finished.confidence:.2f}; {finished.rule})"
        )
        click.echo(f"  ended:         {finished.end_reason} in state {finished.final_state}")
        slots = {k: to_json(v) for k, v in finished.slots.items()}
        click.echo(f"  slots:         {json.dumps(slots, ensure_ascii=False)}")
    if result.confirmation_code:
        click.echo(f"  appointment:   confirmation code {result.confirmation_code}")
    click.echo(
        f"  in Postgres:   call {result.call_id}: {result.rows.get('turns', 0)} turns, "
        f"{result.rows.get('transitions', 0)} transitions, {result.rows.get('slots', 0)} slot values"
    )
    types = ", ".join(str(e.get("type")) for e in result.delivered) or "none"
    click.echo(
        f"  webhooks:      {len(result.delivered)} delivered and verified ({types}) "
        f"in {result.deliver_ms:.0f} ms after the call ended"
    )
    click.echo(f"  company / bot: {result.company_id} / {result.bot_id} on {result.phone}")
    click.echo("  the embedded PostgreSQL keeps running: `voicebot db status`, `voicebot db stop`")
