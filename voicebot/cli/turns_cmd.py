"""``voicebot turns FILE``: the end-of-turn timing and barge-in in force per state and asked slot.

The same resolution the worker applies live (:mod:`voicebot.dialogue.turntaking`), printed as a table,
so what docs/telephony.md describes can be checked for a given scenario. An invalid FILE prints its
problems (``file:line:col: message``) and exits with status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicebot.dialogue import compile_scenario
from voicebot.dialogue.turntaking import kind_of, policy_table
from voicebot.errors import ScenarioError
from voicebot.scenario.loader import load_file

__all__ = ["turns"]

DETECTION = "vad"
"""What ``telephony.session.audio_session`` uses: Silero VAD end of speech, then ``min`` seconds."""


@click.command("turns")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def turns(file: Path) -> None:
    """Print, per state and slot asked, the turn detection, its delays, barge-in and where they come from."""
    try:
        loaded = load_file(file)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        sys.exit(1)
    compiled = compile_scenario(loaded.scenario)
    click.echo(f"{'state':<20} {'slot':<16} {'kind':<9} detection  min_s  max_s  barge_in  from")
    for state, slot, policy in policy_table(compiled):
        kind = kind_of(compiled, state, slot)
        click.echo(
            f"{state:<20} {slot or '-':<16} {kind:<9} {DETECTION:<10} {policy.min_delay:<6} "
            f"{policy.max_delay:<6} {'yes' if policy.barge_in else 'no':<9} {policy.source}"
            + (f" ({policy.preset})" if policy.preset else "")
        )
