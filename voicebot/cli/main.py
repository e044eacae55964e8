"""Entry point of the ``voicebot`` command.

Subcommands live in their own modules and are imported only when used, so ``voicebot check`` does not
pay for livekit or asyncpg imports. Any :class:`~voicebot.errors.VoicebotError` is printed as a clear
message with exit status 1; a user mistake never shows a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from voicebot import __version__
from voicebot.errors import VoicebotError

# name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("voicebot.cli.scenario_cmds", "check", "Validate scenario files and directories."),
    "schema": ("voicebot.cli.scenario_cmds", "schema", "Print the JSON Schema of the scenario format."),
    "graph": ("voicebot.cli.scenario_cmds", "graph", "Print a Mermaid state diagram of a scenario."),
    "chat": ("voicebot.cli.chat", "chat", "Talk to a scenario in the terminal (or script it via stdin)."),
    "test": ("voicebot.cli.scenario_tests", "test", "Run scenario test files; print coverage."),
    "demo": ("voicebot.cli.demo", "demo", "Run the end-to-end demo on embedded defaults."),
    "db": ("voicebot.cli.db", "db", "Database: migrate; start, stop, status of the embedded PostgreSQL."),
    "company": ("voicebot.cli.company", "company", "Create and list companies (tenants)."),
    "bot": ("voicebot.cli.bot", "bot", "Deploy scenarios as bots on phone numbers; list bots."),
    "webhooks": ("voicebot.cli.webhooks", "webhooks", "Deliver webhooks; list, show and redeliver events."),
    "worker": ("voicebot.cli.worker", "worker", "Run the LiveKit worker that answers calls (start | dev)."),
    "call": ("voicebot.cli.call", "call", "Place an outbound call that runs a bot's scenario."),
    "knowledge": ("voicebot.cli.knowledge", "knowledge", "A bot's documents: add, list, remove, search."),
    "api": ("voicebot.cli.api", "api", "Serve the company admin HTTP API."),
    "replay": (
        "voicebot.cli.replay",
        "replay",
        "Replay recorded calls against a new scenario; export a test.",
    ),
    "simulate": ("voicebot.cli.simulate", "simulate", "Run simulated callers (personas) against a scenario."),
    "pipeline": ("voicebot.cli.pipeline", "pipeline", "Run the post-call pipeline (redaction, analysis)."),
    "privacy": ("voicebot.cli.pipeline", "privacy", "PII redaction policies of a company and its bots."),
    "analysis-config": ("voicebot.cli.pipeline", "analysis_config", "Set a layer of the analysis config."),
    "retention": ("voicebot.cli.retention", "retention", "Delete old calls, turns and raw text (cron-safe)."),
    "turns": ("voicebot.cli.turns_cmd", "turns", "Print a scenario's end-of-turn timing per state and slot."),
    "book": ("voicebot.cli.book", "book", "The built-in appointment book: resources and bookings."),
    "campaigns": ("voicebot.cli.campaigns", "campaigns", "Outbound campaigns: run the dispatcher; manage."),
    "dnc": ("voicebot.cli.dnc", "dnc", "A company's do-not-call list: add, remove, list."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        command = getattr(module, spec[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voicebot")
def cli() -> None:
    """voicebot: telephony voice bots driven by YAML scenarios."""


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; VoicebotError becomes a message on stderr and exit status 1."""
    try:
        result = cli.main(args=argv, prog_name="voicebot", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except VoicebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    # With standalone_mode=False click returns ctx.exit(n)'s code instead of raising it.
    sys.exit(result if isinstance(result, int) else 0)
