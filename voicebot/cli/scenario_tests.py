"""``voicebot test``: run scenario test files with no keys or network; print coverage."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from voicebot.errors import VoicebotError
from voicebot.testkit import FileResult, run_test_file


def _test_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.test.yaml")))
        else:
            files.append(path)
    return files


def _report(result: FileResult, *, verbose: bool) -> None:
    click.echo(f"{result.path}")
    for case in result.cases:
        mark = click.style("PASS", fg="green") if case.passed else click.style("FAIL", fg="red", bold=True)
        click.echo(f"  {mark} {case.name} ({case.turns} turns)")
        for failure in case.failures:
            click.echo(f"       {failure}")
    states = result.states
    visited = result.visited & states
    edges = result.edges
    taken = result.taken & edges
    state_pct = 100 * len(visited) / len(states) if states else 100.0
    edge_pct = 100 * len(taken) / len(edges) if edges else 100.0
    click.echo(
        f"  coverage {result.bot_id}: states {len(visited)}/{len(states)} ({state_pct:.0f}%), "
        f"transitions {len(taken)}/{len(edges)} ({edge_pct:.0f}%)"
    )
    missing = sorted(states - visited)
    if missing:
        click.echo(f"  states never reached: {', '.join(missing)}")
    if verbose and edges - taken:
        click.echo(f"  transitions never taken: {', '.join(sorted(edges - taken))}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--min-coverage", type=click.FloatRange(0, 100), default=0.0, help="Fail below this state coverage %."
)
@click.option("-v", "--verbose", is_flag=True, help="Also list transitions never taken.")
def test(paths: tuple[Path, ...], min_coverage: float, verbose: bool) -> None:
    """Run scenario tests (*.test.yaml files, or folders of them) and print state/transition coverage.

    Each test scripts a caller's lines and asserts the bot's replies, state, slots and outcome.
    No keys, network or database are needed. Exit status 1 on any failure.
    """
    files = _test_files(paths)
    if not files:
        raise click.UsageError("no *.test.yaml files found")
    passed = failed = 0
    low_coverage: list[str] = []
    for path in files:
        try:
            result = asyncio.run(run_test_file(path))
        except VoicebotError as exc:
            click.echo(f"{path}\n  ERROR {exc}")
            failed += 1
            continue
        _report(result, verbose=verbose)
        passed += result.passed
        failed += result.failed
        coverage = 100 * len(result.visited & result.states) / max(len(result.states), 1)
        if coverage < min_coverage:
            low_coverage.append(f"{result.bot_id} {coverage:.0f}%")
    click.echo(f"{passed} passed, {failed} failed")
    if low_coverage:
        click.echo(f"state coverage below {min_coverage:.0f}%: {', '.join(low_coverage)}")
    raise SystemExit(1 if failed or low_coverage else 0)
