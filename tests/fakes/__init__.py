"""Local fakes of the remote services voicebot talks to, for tests and benchmarks over 127.0.0.1.

Each fake is an aiohttp server and an async context manager (``async with FakeDeepgram() as dg:``);
the REAL livekit plugins talk to it through their ``base_url``. Pytest fixtures: ``tests/fakes/fixtures.py``.
What each fake implements of the vendor protocol, and what it does not: docs/testing-fakes.md.
"""

from .audio import (
    CallerAudioInput,
    CallerUtterance,
    CapturingAudioOutput,
    PlayedSegment,
    attach_call_audio,
    pcm_to_frames,
    silence_frames,
    speak_to_frames,
)
from .cartesia import CartesiaContext, FakeCartesia
from .company_api import ACCOUNTS, CompanyApiRequest, FakeCompanyApi
from .deepgram import DeepgramConnection, FakeDeepgram, Utterance
from .livekit_room import FakeLocalParticipant, FakeRoom, PublishedDtmf
from .livekit_rooms import Callee, FakeParticipant, Rooms
from .livekit_server import FakeLiveKitServer, TwirpCall, TwirpFailure
from .openai import ChatRequest, Fail, FakeOpenAI, Hang, Reply, ToolCall
from .speech import espeak_available, require_espeak, synthesize

__all__ = [
    "ACCOUNTS",
    "Callee",
    "CallerAudioInput",
    "CallerUtterance",
    "CapturingAudioOutput",
    "CartesiaContext",
    "ChatRequest",
    "CompanyApiRequest",
    "DeepgramConnection",
    "Fail",
    "FakeCartesia",
    "FakeCompanyApi",
    "FakeDeepgram",
    "FakeLiveKitServer",
    "FakeLocalParticipant",
    "FakeOpenAI",
    "FakeParticipant",
    "FakeRoom",
    "Hang",
    "PlayedSegment",
    "PublishedDtmf",
    "Reply",
    "Rooms",
    "ToolCall",
    "TwirpCall",
    "TwirpFailure",
    "Utterance",
    "attach_call_audio",
    "espeak_available",
    "pcm_to_frames",
    "require_espeak",
    "silence_frames",
    "speak_to_frames",
    "synthesize",
]
