"""Awkward callers of the Nimbus Internet support line (English, answers from its knowledge base)."""

from __future__ import annotations

from .model import HANGUP, SILENCE, builder, noise, say

_BYE = say("no, that's all")


_c = builder("support", outcome="support", slots={}, min_turns=2)


SUPPORT = [
    _c("one billing question", "baseline", say("When is my bill due each month?"), _BYE),
    _c(
        "two questions in one breath",
        "several slots",
        say("How much does Fiber 500 cost per month and when is the bill due?"),
        _BYE,
    ),
    _c(
        "what? after the answer",
        "repeat",
        say("How much does Fiber 500 cost per month?"),
        say("what? say that again"),
        _BYE,
        min_turns=2,
    ),
    _c(
        "asks for an agent in free words",
        "human",
        say("can I just talk to a real person please"),
        min_turns=1,
    ),
    _c(
        "asks for a human after an answer",
        "human",
        say("When is my bill due each month?"),
        say("I'd rather speak to someone, put me through to a human"),
        min_turns=2,
    ),
    _c("silent at the menu, then asks", "silence", SILENCE, say("How do I change my Wi-Fi password?"), _BYE),
    _c("silent for good", "silence", SILENCE, SILENCE, SILENCE, outcome="hangup", min_turns=1),
    _c(
        "hangs up after the answer", "hang-up", say("How do I change my Wi-Fi password?"), HANGUP, min_turns=2
    ),
    _c("emoji, then the question", "garbage", noise("😡😡😡"), say("When is my bill due each month?"), _BYE),
    _c(
        "rambling question with fillers",
        "out of order",
        say("uh so um yeah I was wondering like how much is the fiber 500 plan a month"),
        _BYE,
    ),
    _c(
        "question asked at anything-else",
        "out of order",
        say("When is my bill due each month?"),
        say("How do I change my Wi-Fi password?"),
        _BYE,
        min_turns=3,
    ),
    _c(
        "unanswerable, then yes to the specialist",
        "human",
        say("Can you recommend a good pizza place near the zoo?"),
        say("yes please"),
        min_turns=2,
    ),
    _c(
        "yes and a new question at anything-else",
        "several slots",
        say("When is my bill due each month?"),
        say("yes, how do I change my Wi-Fi password?"),
        _BYE,
        min_turns=3,
    ),
]
