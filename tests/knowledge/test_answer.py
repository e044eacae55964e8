"""The extractive answer speaks the passages' own sentences that answer the question."""

from __future__ import annotations

import sys

from voicebot.dialogue.ports import Passage
from voicebot.knowledge.answer import extractive_answer


def _p(text: str, score: float = 0.6, n: int = 0) -> Passage:
    return Passage(chunk_id=f"c{n}", doc_id="d", text=text, score=score, source="faq.md")


def test_picks_the_sentence_that_answers() -> None:
    passages = [
        _p(
            "Bills are issued on the 1st of every month and are due on the 15th. You can see them in the app."
        ),
        _p("A late payment fee of 5 euros is added when payment is more than 10 days late.", 0.4, 1),
    ]
    answer = extractive_answer("When is my bill due?", passages, max_sentences=1, lang="en")
    assert answer == "Bills are issued on the 1st of every month and are due on the 15th."


def test_more_sentences_only_when_nearly_as_relevant_and_in_reading_order() -> None:
    passages = [
        _p(
            "Roaming in the EU is included. Outside the EU roaming costs 1.50 euros per day. "
            "Our shops sell phones."
        )
    ]
    answer = extractive_answer("Is roaming outside the EU included?", passages, max_sentences=3, lang="en")
    assert answer == "Roaming in the EU is included. Outside the EU roaming costs 1.50 euros per day."


def test_a_question_for_a_figure_gets_the_sentence_with_the_figure() -> None:
    passages = [
        _p(
            "Speeds are measured on a wired connection to the router. "
            "You get at least 90 percent of your plan's speed at peak times."
        )
    ]
    assert extractive_answer("What speeds can I expect?", passages, max_sentences=1, lang="en") == (
        "You get at least 90 percent of your plan's speed at peak times."
    )
    ru = [_p("Салон работает без выходных. Мы открываемся в 9:00 и закрываемся в 20:00.")]
    assert extractive_answer("Во сколько вы закрываетесь?", ru, max_sentences=1, lang="ru") == (
        "Мы открываемся в 9:00 и закрываемся в 20:00."
    )


def test_the_spoken_answer_is_capped_at_a_clause_boundary() -> None:
    long = "The router, " + ", ".join(f"model {i} with feature {i}" for i in range(60)) + "."
    answer = extractive_answer("Which router model?", [_p(long)], max_sentences=1, lang="en", max_chars=120)
    assert len(answer) <= 120 and answer.endswith(".") and answer.startswith("The router, model 0")


def test_no_word_in_common_falls_back_to_the_best_passage_start() -> None:
    passages = [_p("Unplug the router for 30 seconds. Then plug it back in."), _p("Other text.", 0.3, 1)]
    assert (
        extractive_answer("It's broken!", passages, max_sentences=1, lang="en")
        == "Unplug the router for 30 seconds."
    )


def test_no_passages_no_answer() -> None:
    assert extractive_answer("Anything?", [], max_sentences=2, lang="en") == ""


def test_russian_questions_match_inflected_words() -> None:
    passages = [_p("Счета выставляются первого числа каждого месяца. Оплатить счёт можно картой.")]
    answer = extractive_answer("Когда выставляется счет?", passages, max_sentences=1, lang="ru")
    assert answer == "Счета выставляются первого числа каждого месяца."


def test_pure_module_does_not_load_qdrant_or_onnxruntime() -> None:
    import subprocess

    code = (
        "import sys; from voicebot.knowledge import extractive_answer; "
        "from voicebot.knowledge.answer import extractive_answer as e; "
        "bad = [m for m in ('qdrant_client', 'onnxruntime', 'numpy') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_next_sentence_on_the_same_topic_completes_the_answer() -> None:
    passages = [
        _p(
            "The router remains ours. After your contract ends, return the router within 30 days using the "
            "label we send by email. If the router is not returned within 30 days, we charge 80 dollars."
        ),
        _p("First check the lights on your router. Then restart it.", 0.45, 1),
    ]
    answer = extractive_answer("What if I don't send the router back?", passages, max_sentences=2, lang="en")
    assert answer.endswith("If the router is not returned within 30 days, we charge 80 dollars.")
    assert "lights" not in answer
