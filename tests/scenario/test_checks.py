"""Static checks: each broken snippet gives one exact ``file:line:col: message``."""

from __future__ import annotations

from collections.abc import Callable


def test_unknown_start_state(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: greet
        states:
          greeting: {end: true, outcome: done}
        """
    ) == ["s.yaml:2:8: start: unknown state 'greet' (did you mean 'greeting'?)"]


def test_unknown_transition_target_and_intent(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: menu
        states:
          menu:
            transitions:
              - intent: bok
                to: bokking
              - fallback: true
                to: booking
          booking: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:6:17: states.menu.transitions[0].intent: unknown intent 'bok'",
        "s.yaml:7:13: states.menu.transitions[0].to: unknown state 'bokking' (did you mean 'booking'?)",
    ]


def test_unknown_next_and_collected_slot(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          date: {type: date, prompt: Which day}
        start: a
        states:
          a:
            collect: [dat]
            next: b2
          b: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:7:15: states.a.collect[0]: unknown slot 'dat' (did you mean 'date'?)",
        "s.yaml:8:11: states.a.next: unknown state 'b2' (did you mean 'b'?)",
        "s.yaml:9:3: state 'b' is unreachable from start 'a'",
    ]


def test_unknown_global_handler_references(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        global:
          - {intent: humn, to: operator}
        start: a
        states:
          a: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:3:14: global[0].intent: unknown intent 'humn' (did you mean 'human'?)",
        "s.yaml:3:24: global[0].to: unknown state 'operator'",
    ]


def test_builtin_and_declared_intents_are_known(problems: Callable[[str], list[str]]) -> None:
    assert (
        problems(
            """
            bot: {id: t, name: T, language: en, greeting: Hi}
            intents:
              book: {examples: [I want to book]}
            start: a
            states:
              a:
                transitions:
                  - {intent: book, to: b}
                  - {intent: cancel, to: b}
                  - {fallback: true, to: b}
              b: {end: true, outcome: done}
            """
        )
        == []
    )


def test_unreachable_state(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a: {say: Bye, end: true, outcome: done}
          orphan: {say: Nobody comes here, end: true, outcome: done}
        """
    ) == ["s.yaml:5:3: state 'orphan' is unreachable from start 'a'"]


def test_global_handler_targets_are_reachable(problems: Callable[[str], list[str]]) -> None:
    assert (
        problems(
            """
            bot: {id: t, name: T, language: en, greeting: Hi}
            global:
              - {intent: human, to: operator}
            start: a
            states:
              a: {say: Bye, end: true, outcome: done}
              operator: {transfer: "+15551234567", outcome: transferred}
            """
        )
        == []
    )


def test_dead_end_state(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a: {say: Hello}
        """
    ) == [
        "s.yaml:4:3: state 'a' has no way out: "
        "add transitions, 'next', 'return: true', 'end: true' or 'transfer'"
    ]


def test_knowledge_state_without_a_way_on(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            knowledge: {top_k: 2}
        """
    ) == ["s.yaml:4:3: knowledge state 'a' needs 'return: true', 'next' or transitions"]


def test_missing_fallback(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            say: Book?
            transitions:
              - intent: yes
                to: b
          b: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:6:5: state 'a' waits for the caller but has no fallback transition "
        "(add '- {fallback: true, to: <state>}')"
    ]


def test_states_that_move_on_need_no_fallback(problems: Callable[[str], list[str]]) -> None:
    assert (
        problems(
            """
            bot: {id: t, name: T, language: en, greeting: Hi}
            start: a
            states:
              a:
                next: b
                transitions:
                  - {when: "state == 'a'", to: b}
              b: {end: true, outcome: done}
            """
        )
        == []
    )


def test_no_answer_outside_knowledge_state(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            transitions:
              - {event: no_answer, to: b}
              - {fallback: true, to: b}
          b: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:6:17: states.a.transitions[0].event: no_answer only fires in a knowledge state "
        "and state 'a' has no 'knowledge'"
    ]


def test_terminal_state_without_outcome(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a: {say: Bye, end: true}
        """
    ) == [
        "s.yaml:4:3: terminal state 'a' has no outcome: set 'outcome:' on it "
        "or add an outcome rule naming it (when: \"state == 'a'\")"
    ]


def test_outcome_rules_that_cover_terminal_states(problems: Callable[[str], list[str]]) -> None:
    base = """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            transitions:
              - {intent: human, to: op}
              - {fallback: true, to: bye}
          bye: {say: Bye, end: true}
          op: {transfer: "+15551234567"}
        outcomes:
    """
    covering = [
        ["{outcome: x, when: \"state in ['bye', 'op']\"}"],
        ['{outcome: x, when: "true"}'],
        ["{outcome: x, when: \"visited('bye')\"}", '{outcome: y, when: "transferred"}'],
        ["{outcome: x, when: \"end_reason == 'completed'\"}", "{outcome: y, when: \"state == 'op'\"}"],
    ]
    for rules in covering:
        text = base.rstrip(" ") + "".join(f"          - {rule}\n" for rule in rules)
        assert problems(text) == [], rules
    text = base.rstrip(" ") + '          - {outcome: x, when: "false"}\n'
    assert [p.split(": ")[1] for p in problems(text)] == [
        "terminal state 'bye' has no outcome",
        "terminal state 'op' has no outcome",
    ]


def test_collected_slot_without_prompt(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          date: {type: date}
        start: a
        states:
          a:
            collect: [date]
            transitions:
              - {when: "filled('date')", to: b}
              - {fallback: true, to: b}
          b: {end: true, outcome: done}
        """
    ) == ["s.yaml:3:3: slot 'date' is collected in state 'a' but has no prompt"]


def test_unknown_placeholder_points_into_the_text(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: "Hi, this is {bot_name}"}
        slots:
          date: {type: date, prompt: "Which day?", invalid: "{value} is in the past"}
        start: a
        states:
          a: {say: "Booked for {dat}.", end: true, outcome: done}
        """
    ) == ["s.yaml:6:24: states.a.say: unknown placeholder '{dat}' (did you mean '{date}'?)"]


def test_broken_template_braces(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: "Hi {"}
        start: a
        states:
          a: {say: "Use {{braces}}", end: true, outcome: done}
        """
    ) == [
        "s.yaml:1:47: bot.greeting: bad template: Single '{' encountered in format string "
        "(write '{{' and '}}' for literal braces)"
    ]


def test_language_map_without_the_bot_language(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: ru, greeting: {ru: Привет}}
        start: a
        states:
          a:
            say:
              en: Goodbye {nam}
            end: true
            outcome: done
        """
    ) == [
        "s.yaml:6:7: states.a.say: no 'ru' text (the bot's language is ru)",
        "s.yaml:6:19: states.a.say.en: unknown placeholder '{nam}'",
    ]


def test_condition_syntax_error_points_at_the_column(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          people: {type: number, prompt: How many}
        start: a
        states:
          a:
            collect: [people]
            transitions:
              - when: people = 2
                to: b
              - {fallback: true, to: b}
          b: {end: true, outcome: done}
        """
    ) == ["s.yaml:9:22: states.a.transitions[0].when: use '==' to compare, not '='"]


def test_condition_unsafe_constructs_are_rejected(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            transitions:
              - when: "__import__('os').system('true')"
                to: b
              - {fallback: true, to: b}
          b: {end: true, outcome: done}
        """
    ) == ["s.yaml:6:16: states.a.transitions[0].when: attribute access ('.') is not allowed"]


def test_condition_unknown_names_functions_and_values(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          service: {type: enum, values: [manicure, pedicure], prompt: Which}
        start: a
        states:
          a:
            collect: [service]
            transitions:
              - when: servce == 'manicure' or end_reason == 'x'
                to: b
              - when: filled('date') or visited('c') or state == 'z' or service == 'haircut'
                to: b
              - {fallback: true, to: b}
          b: {end: true}
        outcomes:
          - {outcome: done, when: "end_reason == 'hangup' and state == 'b'"}
        """
    ) == [
        "s.yaml:9:15: states.a.transitions[0].when: unknown name 'servce' (did you mean 'service'?)",
        "s.yaml:9:39: states.a.transitions[0].when: 'end_reason' is only available in outcome rules",
        "s.yaml:11:23: states.a.transitions[1].when: filled(): unknown slot 'date'",
        "s.yaml:11:42: states.a.transitions[1].when: visited(): unknown state 'c'",
        "s.yaml:11:58: states.a.transitions[1].when: unknown state 'z'",
        "s.yaml:11:76: states.a.transitions[1].when: 'haircut' is not a value of enum slot 'service' "
        "(values: manicure, pedicure)",
        "s.yaml:16:42: outcomes[0].when: end_reason is never 'hangup' (it is one of completed, "
        "caller_hangup, transferred, no_input, error, dropped)",
    ]


def test_all_problems_are_collected(problems: Callable[[str], list[str]]) -> None:
    found = problems(
        """
        bot: {id: t, name: T, language: en, greeting: "{x}"}
        start: a
        states:
          a: {say: Hello}
          b: {end: true}
        """
    )
    assert len(found) == 4


def test_placeholders_must_be_plain_names(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: "Hi {bot_name!r}, {} {date.year}"}
        start: a
        states:
          a: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:1:51: bot.greeting: placeholder '{bot_name!r}' takes no conversion; write '{bot_name}'",
        "s.yaml:1:65: bot.greeting: placeholder '{}' must be a plain name such as '{date}'",
        "s.yaml:1:68: bot.greeting: placeholder '{date.year}' must be a plain name such as '{date}'",
    ]


ACTION_BASE = """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          acct: {type: text, prompt: "Account?"}
        actions:
          lookup:
            url: "https://x.example.com/{acct}/{acount}"
            headers: {authorization: "Bearer {secret.token}"}
            result: {status: status}
        start: look
        states:
          look:
            action: {run: lookup, ok: done}
          done: {end: true, outcome: done}
        """


def test_action_checks_name_bad_placeholders_secrets_mapping_and_missing_branch(
    problems: Callable[[str], list[str]],
) -> None:
    assert problems(ACTION_BASE) == [
        "s.yaml:6:40: actions.lookup.url: unknown placeholder 'acount' (did you mean 'acct'?)",
        "s.yaml:7:38: actions.lookup.headers.authorization: "
        "secret 'token' is not listed in actions.lookup.secrets",
        "s.yaml:8:14: actions.lookup.result.status: response mapping into unknown slot 'status'",
        "s.yaml:12:5: states.look.action: missing branch 'error' "
        "(where the call goes when the system cannot be reached or fails)",
    ]


def test_unknown_action_and_kind(problems: Callable[[str], list[str]]) -> None:
    out = problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        actions:
          lookup: {kind: crm.lookup}
        start: look
        states:
          look:
            action: {run: lokup, ok: done, error: done}
          done: {end: true, outcome: done}
        """
    )
    assert out == [
        "s.yaml:3:18: actions.lookup.kind: unknown action kind 'crm.lookup' "
        "(known: http, book.availability, book.reserve, book.cancel, book.reschedule, book.lookup)",
        "s.yaml:7:19: states.look.action.run: unknown action 'lokup'",
    ]


def test_retried_post_without_key_and_an_undeclared_llm_tool(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        actions:
          book: {url: "https://x.example.com/book", retries: 2}
        start: chat
        states:
          chat:
            llm: {instructions: "Help.", tools: [bok]}
            transitions:
              - {fallback: true, to: done}
          done: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:3:3: actions.book: retries on a POST action need an idempotency_key "
        "(a retried non-idempotent request could act twice)",
        "s.yaml:7:42: states.chat.llm.tools[0]: unknown action 'bok'",  # the invalid 'book' is not known
    ]


def test_keypad_mistakes_are_reported_at_their_place() -> None:
    """Keypad and turn-taking keys: each mistake named, positioned, in one run."""
    from voicebot.errors import ScenarioError
    from voicebot.scenario import load_text

    source = """version: 1
bot: {id: t, name: T, language: en, greeting: Hi}
slots:
  pin: {type: number, input: [dtmf], digits: {min: 6, max: 4}, prompt: x}
  ok: {type: yes_no, turn_taking: {min_endpointing_delay: 3, max_endpointing_delay: 1}, prompt: y}
  mail: {type: email, input: [dtmf], prompt: z, terminator: "5"}
start: m
states:
  m:
    collect: [pin, ok, mail]
    menu: {options: [{key: '1', label: a, to: m}, {key: '1', label: b, to: nowhere}]}
    send_dtmf: "12x"
    turn_taking: fast
"""
    try:
        load_text(source, "k.yaml")
    except ScenarioError as exc:
        messages = [str(p) for p in exc.problems if not p.warning]
    else:
        raise AssertionError("the scenario should not load")
    assert messages == [
        "k.yaml:4:38: slots.pin.digits: digits.min (6) is greater than digits.max (4)",
        "k.yaml:5:22: slots.ok.turn_taking: min_endpointing_delay (3.0) is greater than "
        "max_endpointing_delay (1.0)",
        "k.yaml:6:30: slots.mail.input: email slots cannot be typed on a keypad "
        "(keypad slot types: text, number, phone, date, time, yes_no, enum)",
        "k.yaml:6:61: slots.mail.terminator: '5' is not a terminator key (#, * or '' for none)",
        "k.yaml:11:5: states.m.menu: menu keys must be unique (repeated: 1)",
        "k.yaml:12:16: states.m.send_dtmf: '12x' is not a key sequence to send "
        "(0-9, *, #, A-D; w waits; at most 64)",
        "k.yaml:13:18: states.m.turn_taking: expected one of short, normal, long, digits or a mapping, "
        "got 'fast'",
    ]
