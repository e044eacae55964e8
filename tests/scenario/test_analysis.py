"""The checker reports everything in one run: schema errors do not hide the other checks; value types."""

from __future__ import annotations

from collections.abc import Callable

BOT = "bot: {id: t, name: T, language: en, greeting: Hi}\n"


def test_schema_errors_do_not_hide_templates_conditions_and_references(
    problems: Callable[[str], list[str]],
) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: "Hi {nme}"}
        slots:
          visit_date: {type: date, not_on: monday, prompt: "When?"}
        start: a
        states:
          a:
            sya: hello
            collect: [visit_date]
            transitions:
              - {when: "filled('visit_date')", to: bb}
              - {fallback: true, to: a}
          b: {say: "Bye {visit_dat}", end: true, outcome: done}
        """
    ) == [
        "s.yaml:1:51: bot.greeting: unknown placeholder '{nme}'",
        "s.yaml:3:28: unknown key 'not_on' in slot 'visit_date'; valid keys: prompt, reprompt, invalid, "
        "confirm, default_from, required, input, digits, terminator, dtmf_timeout, turn_taking, type, "
        "not_in_past, not_in_future, max_days_ahead, calendar",
        "s.yaml:7:5: unknown key 'sya' in state 'a' (did you mean 'say'?); valid keys: say, collect, "
        "knowledge, llm, transitions, next, return, outcome, transfer, end, reprompt, no_input, max_retries, "
        "clear, set, copy, edit, action, voicemail, "
        "menu, send_dtmf, turn_taking, barge_in",
        "s.yaml:10:44: states.a.transitions[0].to: unknown state 'bb' (did you mean 'b'?)",
        "s.yaml:12:3: state 'b' is unreachable from start 'a'",
        "s.yaml:12:17: states.b.say: unknown placeholder '{visit_dat}' (did you mean '{visit_date}'?)",
    ]


def test_a_bad_slot_type_does_not_make_its_name_unknown(problems: Callable[[str], list[str]]) -> None:
    found = problems(
        BOT
        + "slots:\n  day: {type: dat, prompt: When}\nstart: a\nstates:\n"
        + "  a: {collect: [day], say: 'On {day}', next: b}\n  b: {end: true, outcome: x}\n"
    )
    assert len(found) == 1 and "slots.day.type: 'dat' is not one of" in found[0]


def test_comparisons_with_values_of_another_type_say_what_to_write(
    problems: Callable[[str], list[str]],
) -> None:
    assert problems(
        BOT
        + """slots:
  day: {type: date, prompt: When}
  hour: {type: time, prompt: What time}
  people: {type: number, prompt: How many}
  ok: {type: yes_no, prompt: Right}
start: a
states:
  a:
    collect: [day, hour, people, ok]
    transitions:
      - {when: "day == 'воскресенье'", to: b}
      - {when: "hour > 18", to: b}
      - {when: "people == 'two'", to: b}
      - {when: "ok == 'yes'", to: b}
      - {when: "day >= '2026-12-24' and hour >= '15:00' and people > 2 and ok == true", to: b}
      - {fallback: true, to: b}
  b: {end: true, outcome: x}
"""
    ) == [
        "s.yaml:12:24: states.a.transitions[0].when: 'day' is a date and is never equal to 'воскресенье'; "
        "compare it with a date written 'YYYY-MM-DD' (such as day >= '2026-12-24')",
        "s.yaml:13:24: states.a.transitions[1].when: 'hour' is a time of day and is never equal to 18; "
        "compare it with a time written 'HH:MM', 24-hour (such as hour >= '18:00')",
        "s.yaml:14:27: states.a.transitions[2].when: 'people' is a number and is never equal to 'two'; "
        "compare it with a number (such as people >= 2)",
        "s.yaml:15:23: states.a.transitions[3].when: 'ok' is yes/no and is never equal to 'yes'; "
        "compare it with true or false",
    ]


def test_slot_actions_name_known_slots_and_fit_their_types(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        BOT
        + """slots:
  hour: {type: time, prompt: What time}
  people: {type: number, prompt: How many}
start: a
states:
  a:
    collect: [hour, people]
    clear: [hours]
    set: {people: many, hour: "19:00"}
    copy: {people: hour}
    next: b
  b: {end: true, outcome: x}
"""
    ) == [
        "s.yaml:9:13: states.a.clear[0]: unknown slot 'hours' (did you mean 'hour'?)",
        "s.yaml:10:19: states.a.set.people: 'people' is a number and cannot be 'many'; "
        "compare it with a number (such as people >= 2)",
        "s.yaml:11:20: states.a.copy.people: cannot copy time slot 'hour' into number slot 'people'",
    ]
