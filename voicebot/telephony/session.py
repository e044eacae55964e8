"""Building the ``AgentSession`` of a call: the audio pipeline for phone calls, text mode for chat and tests.

Both run the same :class:`~voicebot.telephony.bridge.CallAgent`; only the session's I/O differs.

* Audio: Deepgram STT, Cartesia TTS (the bot's ``providers`` from its scenario, keys from settings),
  Silero VAD (loaded once per process, see :func:`load_vad`) and livekit's local turn detector.
* Text: no VAD, manual turn detection; typed lines arrive through ``session.run(user_input=...)``.

Preemptive generation is off in both (:data:`NO_PREEMPTION`): a caller turn is processed exactly once,
when livekit commits it.

The session always gets :class:`EngineOnlyLLM`, a placeholder: the bridge's ``llm_node`` answers every
turn from the engine, and the real LLM is reached only through the dialogue's LLM port
(:mod:`voicebot.telephony.llm`) when a state asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentSession, APIConnectOptions, llm, vad
from livekit.agents.voice.agent_session import SessionConnectOptions

from voicebot.errors import ConfigError
from voicebot.scenario.model import Providers

__all__ = [
    "EngineOnlyLLM",
    "ProviderConfig",
    "audio_session",
    "load_vad",
    "openai_llm",
    "text_session",
]


class EngineOnlyLLM(llm.LLM[Any]):
    """The session's LLM slot. Never asked: the bridge overrides ``llm_node``."""

    def chat(self, **kwargs: Any) -> llm.LLMStream:
        raise RuntimeError("voicebot answers turns from the dialogue engine; the session LLM is never used")


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """Keys and endpoints of the speech and language providers (base URLs: for proxies and test fakes)."""

    deepgram_api_key: str | None = None
    deepgram_base_url: str | None = None
    cartesia_api_key: str | None = None
    cartesia_base_url: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    stt_timeout: float = 10.0
    tts_timeout: float = 10.0
    llm_timeout: float = 8.0

    def require_speech(self) -> None:
        """ConfigError naming the missing keys of the audio pipeline."""
        missing = [
            name
            for name, value in (
                ("DEEPGRAM_API_KEY", self.deepgram_api_key),
                ("CARTESIA_API_KEY", self.cartesia_api_key),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"{' and '.join(missing)} must be set to answer phone calls")


_LANGS = {"en": "en-US", "ru": "ru"}

NO_PREEMPTION: dict[str, Any] = {"enabled": False}
"""livekit's preemptive generation (on by default in 1.8.9) runs the reply hook, ``llm_node``, on a
final transcript before the user turn is committed. Our hook advances the dialogue and records the
caller's turn, so a caller who pauses and resumes would be processed twice. The engine answers in
well under a millisecond: preemption saves nothing here, so it is off in every session."""


def load_vad() -> vad.VAD:
    """Silero VAD (bundled, offline). Load once per process (worker prewarm) and share between calls."""
    from livekit.plugins import silero

    return silero.VAD.load()


def openai_llm(providers: Providers, config: ProviderConfig) -> llm.LLM[Any] | None:
    """The bot's OpenAI model, or None when no key is configured (LLM states then say so, scripted)."""
    if not config.openai_api_key:
        return None
    from livekit.plugins import openai

    kwargs: dict[str, Any] = {}
    if config.openai_base_url:
        kwargs["base_url"] = config.openai_base_url
    return openai.LLM(
        model=providers.llm.model,
        api_key=config.openai_api_key,
        temperature=providers.llm.temperature,
        max_retries=0,
        timeout=None,
        **kwargs,
    )


def audio_session(
    providers: Providers,
    language: str,
    config: ProviderConfig,
    *,
    vad_model: vad.VAD,
    turn_detector: Any = None,
) -> AgentSession[None]:
    """The session of a phone call: STT -> bridge -> TTS with barge-in, VAD and turn detection."""
    from livekit.plugins import cartesia, deepgram

    config.require_speech()
    stt_kwargs: dict[str, Any] = {}
    if config.deepgram_base_url:
        stt_kwargs["base_url"] = config.deepgram_base_url
    tts_kwargs: dict[str, Any] = {}
    if config.cartesia_base_url:
        tts_kwargs["base_url"] = config.cartesia_base_url
    if providers.tts.voice:
        tts_kwargs["voice"] = providers.tts.voice
    if providers.tts.speed is not None:
        tts_kwargs["speed"] = providers.tts.speed
    stt = deepgram.STT(
        model=providers.stt.model,
        language=_LANGS.get(language, language),
        api_key=config.deepgram_api_key or "",
        **stt_kwargs,
    )
    tts = cartesia.TTS(
        model=providers.tts.model, language=language, api_key=config.cartesia_api_key, **tts_kwargs
    )
    # VAD-based interruption (barge-in) and, unless a detector is given, VAD end-of-turn: both local.
    turn_handling: dict[str, Any] = {
        "interruption": {"enabled": True, "mode": "vad"},
        "turn_detection": turn_detector if turn_detector is not None else "vad",
        "preemptive_generation": NO_PREEMPTION,
    }
    return AgentSession(
        stt=stt,
        tts=tts,
        vad=vad_model,
        llm=EngineOnlyLLM(),
        turn_handling=turn_handling,  # type: ignore[arg-type]
        user_away_timeout=None,  # the bridge runs the scenario's own no-input timer
        aec_warmup_duration=None,
        conn_options=SessionConnectOptions(
            stt_conn_options=APIConnectOptions(max_retry=2, timeout=config.stt_timeout),
            tts_conn_options=APIConnectOptions(max_retry=2, timeout=config.tts_timeout),
        ),
    )


def text_session() -> AgentSession[None]:
    """A session with no audio: caller lines through ``session.run(user_input=...)``."""
    return AgentSession(
        llm=EngineOnlyLLM(),
        vad=None,
        turn_handling={"turn_detection": "manual", "preemptive_generation": NO_PREEMPTION},  # type: ignore[arg-type]
        user_away_timeout=None,
    )
