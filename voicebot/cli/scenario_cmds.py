"""``voicebot check``, ``voicebot schema`` and ``voicebot graph``: scenario tooling, no services needed.

Problems are printed to stdout as ``file:line:col: message`` (the format editors and CI annotate), one per
line; any problem means exit status 1. None of these commands shows a traceback for a bad scenario.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from voicebot.errors import ScenarioError
from voicebot.scenario.graph import mermaid
from voicebot.scenario.loader import check_paths, find_scenario_files, load_file
from voicebot.scenario.schema import json_schema

__all__ = ["check", "graph", "schema"]


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate scenario files and directories.

    PATHS are scenario files or directories; directories are searched recursively for *.yaml files
    (scenario tests *.test.yaml, personas *.persona.yaml and replay expectations *.replay.yaml are
    skipped). Every problem is printed as file:line:col: message:
    YAML syntax, unknown or mistyped keys, unknown states, slots and intents, unreachable states, dead
    ends, missing fallbacks and outcomes, bad templates and conditions. Exit status 1 if there is any
    problem, else 0 after printing "ok: N scenarios".

    \b
    Example:
      voicebot check scenarios/
    """
    files, _ = find_scenario_files(paths)
    problems = check_paths(paths)
    for problem in sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message)):
        click.echo(str(problem))
    if any(not p.warning for p in problems):
        sys.exit(1)
    click.echo(f"ok: {len(files)} scenario{'' if len(files) == 1 else 's'}")


@click.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the schema to this file instead of standard output.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the scenario format.

    The schema (draft 2020-12) lets YAML editors complete and validate scenario files as you type. With
    the YAML extension for VS Code (yaml-language-server), put this first line in a scenario:

    \b
      # yaml-language-server: $schema=path/to/scenario.schema.json

    The schema checks the shape of a file; run `voicebot check` for cross-references and flow checks.
    """
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@click.command("graph")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--markdown", is_flag=True, help="Wrap the diagram in a ```mermaid fenced block.")
def graph(file: Path, markdown: bool) -> None:
    """Print a Mermaid state diagram of a scenario.

    One edge per transition, labelled with its trigger (intent, condition, event, DTMF keys, fallback),
    `next` edges, terminal states with their outcome, and global handlers as a note. Paste the output into
    a Markdown file (or use --markdown) or https://mermaid.live. An invalid FILE prints its problems and
    exits with status 1.
    """
    try:
        loaded = load_file(file)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        sys.exit(1)
    diagram = mermaid(loaded.scenario)
    click.echo(f"```mermaid\n{diagram}```" if markdown else diagram, nl=markdown)
