"""Transfers and voicemail in the scenario language: ``transfer: {mode: warm, ...}`` and ``voicemail:``.

A state's ``transfer`` is either an E.164 number (a cold SIP transfer, as before) or a
:class:`TransferSpec`. A warm transfer puts the caller on hold, calls a person at ``to``, speaks the
``brief`` to them (with the slots collected so far), and connects the caller only when the person
accepts; when nobody answers, the line is busy, the person declines or ``timeout`` passes, the call goes
on in the ``fallback`` state (take a message, offer a callback).

``voicemail: {message: ...}`` (top level, or on a state to override it there) is what an outbound call
says when an answering machine picks up; the call then ends with outcome ``voicemail``.

Static checks here (run by :mod:`voicebot.scenario.checks`) point at ``file:line:col``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field, ValidationInfo, field_validator

from voicebot.errors import Problem
from voicebot.scenario.modelbase import FrozenModel, Name, Text

__all__ = [
    "E164",
    "HOLD_AUDIO",
    "TransferSpec",
    "VoicemailSpec",
    "check_transfers",
    "templates_of",
    "transfer_of",
    "transfer_successors",
    "voicemail_of",
]

E164 = Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")]

HOLD_AUDIO = ("music", "silence")
"""Built-in hold audio: ``music`` is the hold music clip shipped with livekit-agents."""


class TransferSpec(FrozenModel):
    """Hand the caller to a person: cold (a SIP transfer, the bot leaves) or warm (brief them first)."""

    mode: Literal["cold", "warm"] = Field(
        default="cold", description="cold: SIP transfer at once; warm: hold, call, brief, then connect."
    )
    to: E164 = Field(description="The person's E.164 number.")
    brief: Text | None = Field(
        default=None,
        description=(
            "Warm: what the person hears before being connected (a template over the slots); "
            "the filled slots are read out after it."
        ),
        examples=["{name} is calling about a booking for {party_size} on {res_date}."],
    )
    hold_audio: Literal["music", "silence"] = Field(
        default="music", description="Warm: what the caller hears on hold."
    )
    timeout: float = Field(
        default=30.0,
        ge=5,
        le=300,
        description="Warm: seconds to wait for the person to answer and accept before the fallback.",
    )
    accept_timeout: float = Field(
        default=15.0,
        ge=2,
        le=120,
        description="Warm: seconds the person has to accept (say yes / press 1) after the brief.",
    )
    fallback: Name | None = Field(
        default=None,
        description=(
            "Warm: the state the caller returns to when nobody answers, the line is busy or the "
            "person declines (e.g. take a message or offer a callback). Required for mode warm."
        ),
    )

    @field_validator("brief", "fallback")
    @classmethod
    def _warm_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("mode") == "cold":
            raise ValueError(f"'{info.field_name}' is for mode: warm (a cold transfer hands over at once)")
        return value


class VoicemailSpec(FrozenModel):
    """What an outbound call leaves on an answering machine."""

    message: Text = Field(
        description="Spoken after the greeting and beep (a template over the call's slots).",
        examples=["Hello, this is {bot_name}. Please call us back. Goodbye."],
    )
    max_greeting: float = Field(
        default=20.0,
        ge=3,
        le=60,
        description="Speak the message at the latest this many seconds after the machine answered.",
    )


def transfer_of(value: str | TransferSpec | None) -> TransferSpec | None:
    """A state's ``transfer`` as a spec (a bare number is a cold transfer)."""
    if value is None or isinstance(value, TransferSpec):
        return value
    return TransferSpec(to=value)


def voicemail_of(scenario: Any, state: str | None) -> VoicemailSpec | None:
    """The voicemail that applies in ``state``: the state's own, else the scenario's."""
    spec = scenario.states.get(state) if state is not None else None
    own: VoicemailSpec | None = getattr(spec, "voicemail", None)
    return own or scenario.voicemail


def transfer_successors(state: Any) -> set[str]:
    """States a transfer can lead to (the warm fallback): for reachability."""
    spec = transfer_of(state.transfer)
    return {spec.fallback} if spec is not None and spec.fallback is not None else set()


def templates_of(state: Any) -> Iterator[tuple[tuple[str, ...], Text]]:
    """A state's transfer brief and voicemail message, with their key paths under the state."""
    spec = transfer_of(state.transfer)
    if spec is not None and spec.brief is not None:
        yield ("transfer", "brief"), spec.brief
    if state.voicemail is not None:
        yield ("voicemail", "message"), state.voicemail.message


class _Context(Protocol):
    @property
    def scenario(self) -> Any: ...

    def at_key(self, where: tuple[str | int, ...], message: str) -> Problem: ...
    def at_value(self, where: tuple[str | int, ...], message: str) -> Problem: ...


def check_transfers(c: _Context) -> Iterator[Problem]:
    """A warm transfer names an existing fallback state, which is not the transfer state itself."""
    states = c.scenario.states
    for name, state in states.items():
        spec = transfer_of(state.transfer)
        if spec is None or spec.mode != "warm":
            continue
        where = ("states", name, "transfer")
        if spec.fallback is None:
            yield c.at_key(
                where,
                f"states.{name}.transfer: a warm transfer needs 'fallback': the state the caller returns "
                "to when nobody answers or the person declines (take a message, offer a callback)",
            )
        elif spec.fallback not in states:
            known = ", ".join(sorted(states))
            yield c.at_value(
                (*where, "fallback"),
                f"states.{name}.transfer.fallback: unknown state '{spec.fallback}' (states: {known})",
            )
        elif spec.fallback == name:
            yield c.at_value(
                (*where, "fallback"),
                f"states.{name}.transfer.fallback: the fallback cannot be the transfer state itself",
            )
