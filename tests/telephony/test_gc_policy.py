"""The collector policy of call processes: what survived warm-up is frozen, new garbage is still freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from voicebot.telephony.gc_policy import THRESHOLDS, settle_after_warmup


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_settling_freezes_the_warm_heap_and_raises_the_young_threshold(restore_gc: None) -> None:
    gc.unfreeze()
    settled = settle_after_warmup()
    # modules, classes, the test session; a frozen object freed since (another thread's, a finalizer's)
    # leaves the permanent generation, so the count can only have gone down
    assert settled.frozen > 1000 and settled.frozen - 100 <= gc.get_freeze_count() <= settled.frozen
    assert gc.get_threshold() == settled.thresholds == THRESHOLDS
    assert THRESHOLDS[0] > 700  # fewer young collections than CPython's default
    assert gc.isenabled()


def test_a_cycle_made_after_settling_is_still_collected(restore_gc: None) -> None:
    settle_after_warmup()
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None
