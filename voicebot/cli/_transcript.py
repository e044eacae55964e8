"""Printing a call as a readable transcript, with the states it moves through."""

from __future__ import annotations

from typing import TextIO

import click

from voicebot.dialogue import CallFinished, RecordTransition, Say, Transfer, TurnResult
from voicebot.dialogue.action_step import mask_secrets

__all__ = ["TranscriptPrinter"]


class TranscriptPrinter:
    """Writes bot speech, transitions and transfers as they happen; remembers how the call finished."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self.out = out
        self.color = color
        self.finished: CallFinished | None = None

    def _style(self, text: str, **style: object) -> str:
        return click.style(text, **style) if self.color else text  # type: ignore[arg-type]

    def show(self, result: TurnResult) -> None:
        for run, done in result.action_calls:
            if done.filler and run.filler:
                self.out.write(self._style("bot> ", fg="cyan", bold=True) + run.filler)
                self.out.write(self._style(" [filler]", dim=True) + "\n")
            target = f"{run.method} {mask_secrets(run.url)}" if run.kind == "http" else run.kind
            status = done.status + (f" {done.http_status}" if done.http_status is not None else "")
            reason = f" ({done.error})" if done.error else ""
            line = f"     [action {run.name}: {target} -> {status}{reason}, {done.latency_ms:.0f} ms]"
            self.out.write(self._style(line, fg="magenta" if done.status == "ok" else "red") + "\n")
        for action in result.actions:
            if isinstance(action, Say):
                tag = "" if action.source in ("template", "builtin") else f" [{action.source}]"
                self.out.write(
                    self._style("bot> ", fg="cyan", bold=True)
                    + action.text
                    + self._style(tag, dim=True)
                    + "\n"
                )
            elif isinstance(action, RecordTransition):
                source = action.source or "·"
                self.out.write(
                    self._style(f"     [{source} → {action.dest}: {action.trigger}]", dim=True) + "\n"
                )
            elif isinstance(action, Transfer):
                self.out.write(self._style(f"     [transfer to {action.number}]", fg="yellow") + "\n")
            elif isinstance(action, CallFinished):
                self.finished = action
        self.out.flush()
