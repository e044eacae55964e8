"""What the bridge asks of the phone line: hang up, transfer. ``telephony.control.LiveKitControl``
implements it over LiveKit's server API; :class:`NullControl` is text mode's (it remembers what was asked).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["CallControl", "NullControl"]


class CallControl(Protocol):
    """What the bridge asks of the phone line (telephony.control implements it over LiveKit's API)."""

    async def hang_up(self) -> None: ...
    async def transfer(self, number: str) -> None: ...


class NullControl:
    """Call control for text mode: remembers what was asked."""

    def __init__(self) -> None:
        self.hung_up = False
        self.transferred_to: str | None = None

    async def hang_up(self) -> None:
        self.hung_up = True

    async def transfer(self, number: str) -> None:
        self.transferred_to = number
