"""Running a batch of recorded calls through a :class:`Replayer` and reporting on them.

The summary counts each verdict; :attr:`ReplayReport.exit_code` is what ``voicebot replay`` exits with
(0: no regressions, 1: regressions; 2 is a usage error, decided by the command).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from typing import Any

from voicebot.replay.recorded import RecordedCall
from voicebot.replay.runner import Replayer
from voicebot.replay.verdict import CallVerdict, Expectations, compare, outcome_ranks

__all__ = ["ReplayReport", "replay_calls"]

VERDICTS = ("unchanged", "improved", "changed", "regressed", "skipped")


@dataclass(slots=True)
class ReplayReport:
    scenario: str
    version: int | None = None
    calls: list[CallVerdict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {name: 0 for name in VERDICTS}
        for call in self.calls:
            out[call.verdict] += 1
        return {"calls": len(self.calls), **out}

    @property
    def regressions(self) -> int:
        return sum(1 for c in self.calls if c.verdict == "regressed")

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "summary": self.counts(),
            "calls": [
                {
                    "call_id": c.call_id,
                    "verdict": c.verdict,
                    "reasons": c.reasons,
                    "notes": c.notes,
                    "turns": c.turns,
                    "scenario_version": c.scenario_version,
                    "old_outcome": c.old_outcome,
                    "new_outcome": c.new_outcome,
                    "path_same": c.path_same,
                    "slots_same": c.slots_same,
                    "slot_changes": {k: {"old": a, "new": b} for k, (a, b) in c.slot_changes.items()},
                    "divergence": None
                    if c.divergence is None
                    else {
                        "turn": c.divergence.turn,
                        "caller": c.divergence.caller,
                        "old_states": list(c.divergence.old_states),
                        "new_states": list(c.divergence.new_states),
                        "old_reply": c.divergence.old_reply,
                        "new_reply": c.divergence.new_reply,
                    },
                }
                for c in self.calls
            ],
        }

    def text(self, *, all_calls: bool = False) -> str:
        lines: list[str] = []
        for c in self.calls:
            if c.verdict == "unchanged" and not all_calls:
                continue
            lines.append(f"{c.verdict.upper():9} call {c.call_id} ({c.turns} turns)")
            for reason in c.reasons:
                lines.append(f"    {reason}")
            for note in c.notes:
                lines.append(f"    note: {note}")
            d = c.divergence
            if d is not None:
                lines.append(f"    diverges at turn {d.turn}: caller {d.caller!r}")
                lines.append(f"      - old: {' > '.join(d.old_states) or '(no move)'}: {d.old_reply!r}")
                lines.append(f"      + new: {' > '.join(d.new_states) or '(no move)'}: {d.new_reply!r}")
            for name, (old, new) in c.slot_changes.items():
                lines.append(f"    slot {name}: {old!r} -> {new!r}")
        n = self.counts()
        lines.append(
            f"replayed {n['calls']} calls against {self.scenario}: {n['unchanged']} unchanged, "
            f"{n['improved']} improved, {n['changed']} changed, {n['regressed']} now failing"
            + (f", {n['skipped']} skipped" if n["skipped"] else "")
        )
        return "\n".join(lines)


async def replay_calls(
    replayer: Replayer,
    calls: AsyncIterable[RecordedCall] | Iterable[RecordedCall],
    *,
    scenario: str,
    expectations: Expectations | None = None,
) -> ReplayReport:
    """Replay and judge every call; a call that cannot be replayed is ``skipped`` with the reason."""
    report = ReplayReport(scenario)
    ranks = outcome_ranks(replayer.compiled, expectations)

    async def one(call: RecordedCall) -> None:
        try:
            new = await replayer.replay(call)
        except Exception as exc:  # a recording the new version cannot run is reported, never fatal
            report.calls.append(
                CallVerdict(call.call_id, "skipped", [f"could not be replayed: {type(exc).__name__}: {exc}"])
            )
            return
        report.calls.append(compare(replayer.compiled, call, new, expectations=expectations, ranks=ranks))

    if isinstance(calls, AsyncIterable):
        async for call in calls:
            await one(call)
    else:
        for call in calls:
            await one(call)
    return report
