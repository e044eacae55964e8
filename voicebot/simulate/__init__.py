"""Simulated callers: persona files run adaptively against a scenario (``voicebot simulate``)."""

from voicebot.simulate.callers import BotTurn, Caller, LlmCaller, ScriptedCaller
from voicebot.simulate.persona import Behaviour, Goal, Persona, load_personas
from voicebot.simulate.runner import PersonaResult, SimulationReport, simulate, simulate_all

__all__ = [
    "Behaviour",
    "BotTurn",
    "Caller",
    "Goal",
    "LlmCaller",
    "Persona",
    "PersonaResult",
    "ScriptedCaller",
    "SimulationReport",
    "load_personas",
    "simulate",
    "simulate_all",
]
