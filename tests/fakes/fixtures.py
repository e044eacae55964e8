"""Pytest fixtures for the fakes (loaded by ``pytest_plugins`` in tests/conftest.py).

Each server fixture is function-scoped (starting one costs ~1 ms) and yields the started fake:
``fake_deepgram``, ``fake_cartesia``, ``fake_openai``, ``fake_livekit``. ``lk_http`` binds livekit's
http session context, which the real plugins need outside a worker job. ``silero_vad`` (session scope,
~1 s to load once). ``requires_espeak`` is a mark for tests that need real speech.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from .cartesia import FakeCartesia
from .deepgram import FakeDeepgram
from .livekit_server import FakeLiveKitServer
from .openai import FakeOpenAI
from .speech import SKIP_REASON, espeak_available

requires_espeak = pytest.mark.skipif(not espeak_available(), reason=SKIP_REASON)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: runs a real-time audio conversation (seconds); -m 'not slow' skips"
    )


@pytest.fixture
async def lk_http() -> AsyncIterator[None]:
    """livekit's shared aiohttp session for the plugins (closed after the test)."""
    from livekit.agents.utils import http_context

    async with http_context.open():
        yield


@pytest.fixture(scope="session")
def silero_vad() -> Any:
    """Silero VAD (ships in its wheel, runs offline), loaded once per test session."""
    from livekit.plugins import silero

    return silero.VAD.load()


@pytest.fixture
async def fake_deepgram() -> AsyncIterator[FakeDeepgram]:
    async with FakeDeepgram() as fake:
        yield fake


@pytest.fixture
async def fake_cartesia() -> AsyncIterator[FakeCartesia]:
    async with FakeCartesia() as fake:
        yield fake


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def fake_livekit() -> AsyncIterator[FakeLiveKitServer]:
    async with FakeLiveKitServer() as fake:
        yield fake
