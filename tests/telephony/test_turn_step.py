"""The call's turn lock: a caller turn answered inline never overtakes an event already waiting."""

from __future__ import annotations

import asyncio

from voicebot.telephony.turn_step import TurnLock


def test_the_lock_is_taken_at_once_only_when_free() -> None:
    async def main() -> None:
        lock = TurnLock()
        assert lock.try_hold() and lock.locked()
        assert not lock.try_hold()  # a second step waits (its task acquires the lock)
        lock.release()
        async with lock:  # still an asyncio.Lock for the steps that wait
            assert lock.locked()
        assert lock.try_hold()

    asyncio.run(main())


def test_an_event_waiting_for_the_lock_goes_before_an_inline_turn() -> None:
    async def main() -> list[str]:
        lock = TurnLock()
        order: list[str] = []
        assert lock.try_hold()  # a turn is being answered (it needed I/O: its task holds the lock)

        async def dtmf() -> None:
            async with lock:
                order.append("dtmf")

        waiting = asyncio.ensure_future(dtmf())
        await asyncio.sleep(0)  # the DTMF step is queued on the lock
        lock.release()
        if lock.try_hold():  # the next caller turn may not jump the queue
            order.append("caller")
            lock.release()
        await waiting
        return order

    assert asyncio.run(main()) == ["dtmf"]
