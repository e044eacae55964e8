"""``voicebot replay``: re-run a bot's recorded calls against a new scenario version, offline.

Exit status: 0 no regressions, 1 regressions (calls now failing), 2 usage error. ``--export-test``
writes one recorded call as a ``*.test.yaml`` case instead (PII replaced by placeholders).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import click

from voicebot.settings import Settings

__all__ = ["replay"]


def _ids(text: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.UsageError(f"--calls {text!r}: give call ids (UUIDs) separated by commas") from None


@click.command()
@click.option("--bot", "bot_ref", help="The bot: its id, or its scenario's bot.id.")
@click.option("--scenario", type=click.Path(path_type=Path), help="The new scenario version (YAML).")
@click.option("--since", help="Replay the calls of this span (7d, 12h, 30m, 2w; default 7d) or since a date.")
@click.option("--calls", "calls", help="Replay these calls (ids separated by commas).")
@click.option(
    "--expect",
    "expect_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Declared expectations (default: <scenario>.replay.yaml beside the scenario).",
)
@click.option("--live-knowledge", is_flag=True, help="Run knowledge lookups on the bot's documents.")
@click.option(
    "--live-llm", is_flag=True, help="Call the LLM (OPENAI_API_KEY) instead of the recorded replies."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all", "all_calls", is_flag=True, help="Also list unchanged calls (text format).")
@click.option("--export-test", "export_id", help="Write this recorded call as a *.test.yaml case instead.")
@click.option("--out", type=click.Path(path_type=Path), help="Where --export-test writes (default: stdout).")
def replay(
    bot_ref: str | None,
    scenario: Path | None,
    since: str | None,
    calls: str | None,
    expect_path: Path | None,
    live_knowledge: bool,
    live_llm: bool,
    fmt: str,
    all_calls: bool,
    export_id: str | None,
    out: Path | None,
) -> None:
    """Replay recorded calls of BOT against SCENARIO; report what changes. Writes nothing to the calls.

    Exit status 0: no regressions; 1: calls now failing (dead end or lower outcome); 2: usage error
    (unknown bot, bad scenario, database unreachable). See docs/testing.md, "Replay".
    """
    from voicebot.errors import VoicebotError

    try:
        _run(
            bot_ref,
            scenario,
            since,
            calls,
            expect_path,
            live_knowledge,
            live_llm,
            fmt,
            all_calls,
            export_id,
            out,
        )
    except VoicebotError as exc:
        raise _UsageExit(str(exc)) from None


class _UsageExit(click.ClickException):
    exit_code = 2


def _run(
    bot_ref: str | None,
    scenario: Path | None,
    since: str | None,
    calls: str | None,
    expect_path: Path | None,
    live_knowledge: bool,
    live_llm: bool,
    fmt: str,
    all_calls: bool,
    export_id: str | None,
    out: Path | None,
) -> None:
    from voicebot.runtime_replay import (
        ReplayOptions,
        default_expectations,
        load_expectations,
        parse_since,
        replay_bot,
    )
    from voicebot.scenario.loader import load_file

    settings = Settings.from_env()
    if export_id is not None:
        from voicebot.runtime_replay import export_call

        text = asyncio.run(export_call(settings, _ids(export_id)[0], scenario))
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(f"wrote {out}", err=True)
        return
    if not bot_ref or scenario is None:
        raise click.UsageError("give --bot BOT and --scenario FILE (or --export-test CALL_ID)")
    if since and calls:
        raise click.UsageError("give --since or --calls, not both")
    loaded = load_file(scenario)
    expectations = load_expectations(expect_path) if expect_path else default_expectations(scenario)
    options = ReplayOptions(
        since=parse_since(since or "7d") if not calls else None,
        call_ids=_ids(calls) if calls else (),
        live_knowledge=live_knowledge,
        live_llm=live_llm,
        expectations=expectations,
    )
    report = asyncio.run(replay_bot(settings, bot_ref, loaded, options, scenario))
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(report.text(all_calls=all_calls))
    raise SystemExit(report.exit_code)
