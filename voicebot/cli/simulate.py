"""``voicebot simulate``: run persona files against a scenario; report success rate, turns, failures.

Offline, the personas are scripted; with OPENAI_API_KEY set (and no ``--offline``) an LLM plays each
persona instead (the scenario's LLM provider settings; OPENAI_BASE_URL points it elsewhere).
Exit status 1 when the success rate is below ``--min-success``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

__all__ = ["simulate"]


@click.command()
@click.option("--scenario", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--personas",
    "personas_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Folder of *.persona.yaml (default: personas/<bot id>/ beside the scenario).",
)
@click.option("--offline", is_flag=True, help="Scripted personas even when OPENAI_API_KEY is set.")
@click.option(
    "--min-success",
    type=click.FloatRange(0, 100),
    default=100.0,
    show_default=True,
    help="Exit 1 below this success rate (%).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def simulate(scenario: Path, personas_dir: Path | None, offline: bool, min_success: float, fmt: str) -> None:
    """Run simulated callers (personas) against SCENARIO."""
    from voicebot.errors import ConfigError
    from voicebot.runtime import configured_llm, load_offline_bot
    from voicebot.settings import Settings
    from voicebot.simulate import LlmCaller, Persona, ScriptedCaller, load_personas, simulate_all
    from voicebot.simulate.callers import Caller

    bot = load_offline_bot(scenario)
    folder = personas_dir or scenario.parent / "personas" / bot.bot_id
    if not folder.is_dir():
        raise ConfigError(f"no personas: {folder} does not exist (give --personas DIR)")
    personas = load_personas(folder)
    llm = None if offline else configured_llm(Settings.from_env(), bot.loaded.scenario)

    def caller_for(persona: Persona) -> Caller:
        return LlmCaller(persona, llm) if llm is not None else ScriptedCaller(persona)

    report = asyncio.run(simulate_all(bot, personas, caller_for, scenario=str(scenario)))
    if fmt == "json":
        click.echo(
            json.dumps(
                {**report.to_json(), "caller": "llm" if llm else "scripted"}, ensure_ascii=False, indent=2
            )
        )
    else:
        click.echo(f"{scenario} ({'an LLM plays the personas' if llm else 'scripted personas'})")
        click.echo(report.text())
    raise SystemExit(0 if 100 * report.success_rate >= min_success else 1)
