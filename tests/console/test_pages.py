"""The console's pages over HTTP (httpx against the real app on a real Postgres): what a signed-in
company sees and can change. The browser tests (test_browser.py) cover the same flows in Chromium."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from pathlib import Path

from tests.api.conftest import Api
from tests.api.seed import add_call, scenario
from tests.console.conftest import Session, sign_in
from voicebot.console.web import SignInLimiter
from voicebot.scenario import load_file
from voicebot.storage import Bots

SCENARIOS = Path(__file__).parents[2] / "scenarios"


async def test_the_call_list_filters_by_bot_status_outcome_dates_and_phone_and_pages_by_keyset(
    api: Api,
) -> None:
    start = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
    for i in range(55):
        await add_call(api.pool, api.a.bot_id, started_at=start + dt.timedelta(minutes=i))
    await add_call(
        api.pool, api.a.bot_id, started_at=start - dt.timedelta(days=5), status="abandoned", outcome="lost"
    )
    await api.pool.execute(
        "UPDATE calls SET caller_number = '+17185550142' WHERE started_at = $1", start - dt.timedelta(days=5)
    )
    async for a in sign_in(api, api.a):
        first = await a.client.get("/console/calls")
        assert first.text.count('href="/console/calls/') == 50
        cursor = re.search(r'rel="next" href="[^"]*cursor=([^"&]+)"', first.text)
        assert cursor
        second = await a.client.get("/console/calls", params={"cursor": cursor.group(1).replace("%3D", "=")})
        ids_first = set(re.findall(r'href="/console/calls/([0-9a-f-]{36})"', first.text))
        ids_second = set(re.findall(r'href="/console/calls/([0-9a-f-]{36})"', second.text))
        assert len(ids_second) == 7 and not ids_first & ids_second  # 55 + 1 + the seeded call
        assert 'rel="next"' not in second.text
        lost = await a.client.get("/console/calls", params={"status": "abandoned", "outcome": "lost"})
        assert lost.text.count('href="/console/calls/') == 1 and "+17185550142" in lost.text
        phone = await a.client.get("/console/calls", params={"phone": "718 999"})
        assert "No calls match" in phone.text
        phone = await a.client.get("/console/calls", params={"phone": "(718) 5550142"})
        assert phone.text.count('href="/console/calls/') == 1
        april = await a.client.get("/console/calls", params={"from": "2026-04-01", "to": "2026-04-01"})
        assert april.text.count('href="/console/calls/') == 50  # a full page of that day
        march = await a.client.get("/console/calls", params={"from": "2026-03-01", "to": "2026-03-01"})
        assert march.text.count('href="/console/calls/') == 1
        bad = await a.client.get("/console/calls", params={"from": "yesterday"})
        assert bad.status_code == 422 and "2026-01-31" in bad.text
        other = await a.client.get("/console/calls", params={"bot": str(api.b.bot_id)})
        assert other.status_code == 404


async def test_the_call_page_shows_corrections_barge_ins_citations_and_latency(api: Api) -> None:
    call = api.a.call_id
    await api.pool.execute(
        """INSERT INTO turns (call_id, seq, role, text, state, interrupted, stt_ms, engine_ms, tts_ms, e2e_ms,
                              metadata, at)
           VALUES ($1, 10, 'caller', 'actually my name is Jon', 'ask', false, 140, NULL, NULL, NULL, '{}',
                   now()),
                  ($1, 11, 'bot', 'Our hours are', 'ask', true, NULL, 4, 210, 690, $2, now())""",
        call,
        {"source": ["knowledge"], "chunks": ["faq.md#hours"], "planned": "Our hours are 9 to 5."},
    )
    await api.pool.execute(
        """INSERT INTO extracted_slots (call_id, seq, name, value, confidence, method, turn_seq, at)
           VALUES ($1, 1, 'name', '"John"', 0.8, 'nlu', 10, now()),
                  ($1, 2, 'name', '"Jon"', 0.95, 'correction', 10, now())""",
        call,
    )
    async for a in sign_in(api, api.a):
        page = (await a.client.get(f"/console/calls/{call}")).text
    assert "Corrected <strong>name</strong>" in page and '(was <code>"John"</code>)' in page
    assert "correction · 0.95" in page
    assert "Barge-in" in page and "Our hours are 9 to 5." in page
    assert "faq.md#hours" in page
    assert 'class="seg l-stt"' in page and 'class="seg l-tts"' in page and "end-to-end 690 ms" in page
    assert "finished" in page  # the outcome
    assert "HTTP 500" in page and "Redeliver" in page  # the dead webhook event and its attempt


async def test_the_call_page_shows_the_actions_run_in_a_turn_with_secrets_masked(api: Api) -> None:
    call = api.a.call_id
    await api.pool.execute(
        """INSERT INTO turns (call_id, seq, role, text, state, interrupted, metadata, at)
           VALUES ($1, 20, 'caller', 'it is 12345', 'account', false, '{}', now())""",
        call,
    )
    await api.pool.execute(
        """INSERT INTO call_actions (call_id, seq, action, kind, request, status, http_status, error_kind,
                                     latency_ms, attempts, filler, next_state, turn_seq, at)
           VALUES ($1, 0, 'lookup_account', 'http', $2, 'error', 503, 'http_5xx', 812.5, 2, true,
                   'account_unavailable', 20, now())""",
        call,
        {
            "method": "GET",
            "url": "https://api.nimbus.example/v1/accounts/12345",
            "headers": {"authorization": "Bearer ***"},
        },
    )
    async for a in sign_in(api, api.a):
        page = (await a.client.get(f"/console/calls/{call}")).text
    assert "Action <strong>lookup_account</strong>" in page
    assert "HTTP 503 · http_5xx" in page and "2 attempts" in page and "filler said" in page
    assert "then account_unavailable" in page and "Bearer ***" in page


async def test_a_redelivery_from_the_call_page_requeues_the_event(api: Api) -> None:
    async for a in sign_in(api, api.a):
        r = await a.post(f"/console/calls/{api.a.call_id}/webhooks/{api.a.event_id}/redeliver")
        assert r.status_code == 303
        page = await a.client.get(r.headers["location"])
        assert "Queued for redelivery" in page.text
    status = await api.pool.fetchval("SELECT status FROM webhook_outbox WHERE event_id = $1", api.a.event_id)
    assert status == "pending"


async def test_the_live_page_polls_the_calls_in_progress(api: Api) -> None:
    async for a in sign_in(api, api.a):
        page = await a.client.get("/console/live")
        assert 'hx-get="/console/live/rows"' in page.text and 'hx-trigger="every 3s"' in page.text
        assert "No calls in progress" in page.text
        live = await add_call(api.pool, api.a.bot_id, started_at=dt.datetime.now(dt.UTC), status="active")
        rows = await a.client.get("/console/live/rows")
        assert str(live) in rows.text and "<html" not in rows.text


async def test_the_bot_page_shows_versions_a_diff_the_graph_the_funnel_and_the_outcome_mix(api: Api) -> None:
    async for a in sign_in(api, api.a):
        deployed = await a.post(
            f"/console/bots/{api.a.bot_id}/deploy", {"scenario": scenario().replace("Goodbye.", "Bye now.")}
        )
        assert deployed.status_code == 303 and deployed.headers["location"].endswith("deployed=2")
        page = (await a.client.get(f"/console/bots/{api.a.bot_id}")).text
        assert "v2" in page and "v1" in page and "current" in page
        assert '<pre class="mermaid"' in page and "stateDiagram-v2" in page
        assert re.search(r"<td>v1</td><td>finished</td><td>1</td>", page)  # the outcome mix
        assert "<td>ask</td><td>1</td>" in page  # the funnel: the seeded call reached ask
        diff = (await a.client.get(f"/console/bots/{api.a.bot_id}/diff", params={"a": 1, "b": 2})).text
        assert '<span class="del">-    say: &#34;Goodbye.&#34;</span>' in diff
        assert '<span class="add">+    say: &#34;Bye now.&#34;</span>' in diff
        missing = await a.client.get(f"/console/bots/{api.a.bot_id}/diff", params={"a": 1, "b": 9})
        assert missing.status_code == 404


async def test_deploy_refuses_an_invalid_scenario_or_another_bot_id_and_keeps_the_text(api: Api) -> None:
    async for a in sign_in(api, api.a):
        broken = scenario().replace("to: done\n      - fallback", "to: nowhere\n      - fallback")
        r = await a.post(f"/console/bots/{api.a.bot_id}/deploy", {"scenario": broken})
        assert r.status_code == 422 and "scenario.yaml:" in r.text and "nowhere" in r.text
        assert "to: nowhere" in r.text  # the text is kept in the editor
        other = await a.post(f"/console/bots/{api.a.bot_id}/deploy", {"scenario": scenario("someone")})
        assert other.status_code == 422 and "bot.id is &#39;someone&#39;" in other.text
        check = await a.post(f"/console/bots/{api.a.bot_id}/check", {"scenario": broken})
        assert re.search(r'data-line="\d+" data-col="\d+">scenario.yaml:\d+:\d+: ', check.text)
        assert re.search(r"\d+ \|         to: nowhere\n     \| +\^</pre>", check.text)  # the line, a caret
    versions = await api.pool.fetchval(
        "SELECT count(*) FROM scenario_versions WHERE bot_id = $1", api.a.bot_id
    )
    assert versions == 1


async def test_webhook_settings_rotation_dead_letters_and_redelivery(api: Api) -> None:
    async for a in sign_in(api, api.a):
        refused = await a.post("/console/webhooks/endpoint", {"url": "http://127.0.0.1:9/hooks"})
        assert refused.status_code == 422
        saved = await a.post("/console/webhooks/endpoint", {"url": "https://new.example.com/hooks"})
        assert saved.status_code == 303 and "new.example.com" not in saved.headers["location"]
        page = await a.client.get("/console/webhooks")
        assert 'value="https://new.example.com/hooks"' in page.text
        rotated = await a.post("/console/webhooks/secret")
        secret = re.search(r'<code id="secret">(whsec_[^<]+)</code>', rotated.text)
        assert rotated.status_code == 200 and secret
        again = await a.client.get("/console/webhooks")
        assert secret.group(1) not in again.text  # shown once
        assert "previous secret still signs" in again.text
        dead = await a.client.get("/console/webhooks", params={"status": "dead"})
        assert str(api.a.event_id) in dead.text
        delivered = await a.client.get("/console/webhooks", params={"status": "delivered"})
        assert str(api.a.event_id) not in delivered.text
        r = await a.post(f"/console/webhooks/events/{api.a.event_id}/redeliver")
        event = await a.client.get(r.headers["location"])
        assert "Queued for redelivery" in event.text and "pending" in event.text
        assert "https://hooks.example.com/a" in event.text  # the attempt log


async def _upload_parking(a: Session, bot_id: uuid.UUID) -> None:
    up = await a.client.post(
        f"/console/bots/{bot_id}/knowledge",
        data={"csrf": a.csrf},
        files={"file": ("parking.md", b"# Parking\n\nFree parking is behind the building on Elm Street.\n")},
    )
    assert up.status_code == 303
    for _ in range(300):
        page = (await a.client.get(f"/console/bots/{bot_id}/knowledge")).text
        if re.search(r"parking.md</td><td><span class=\"badge d-ready\">", page):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(page)


async def test_knowledge_search_and_remove(api: Api) -> None:
    async for a in sign_in(api, api.a):
        await _upload_parking(a, api.a.bot_id)
        found = await a.client.get(
            f"/console/bots/{api.a.bot_id}/knowledge", params={"q": "where can I park"}
        )
        assert "Elm Street" in found.text and "parking.md" in found.text
        doc_id = await api.pool.fetchval(
            "SELECT id FROM knowledge_docs WHERE bot_id = $1 AND filename = 'parking.md'", api.a.bot_id
        )
        gone = await a.post(f"/console/bots/{api.a.bot_id}/knowledge/{doc_id}/remove")
        assert gone.status_code == 303
        page = (await a.client.get(f"/console/bots/{api.a.bot_id}/knowledge")).text
        assert "parking.md" not in page


async def test_a_try_it_chat_belongs_to_the_company_that_started_it(api: Api) -> None:
    async for a in sign_in(api, api.a):
        started = await a.post(f"/console/bots/{api.a.bot_id}/try")
        chat_url = started.headers["location"]
        said = await a.client.post(
            chat_url + "/say", data={"text": "yes"}, headers={"X-CSRF-Token": a.csrf, "HX-Request": "true"}
        )
        assert said.status_code == 200 and "<html" not in said.text  # an htmx fragment
        assert 'id="chat-ended"' in said.text and "finished" in said.text
        async for b in sign_in(api, api.b):
            theirs = chat_url.replace(str(api.a.bot_id), str(api.b.bot_id))
            assert (await b.client.get(theirs)).status_code == 404
            assert (await b.client.get(chat_url)).status_code == 404


async def test_try_it_answers_from_the_bots_uploaded_documents(api: Api) -> None:
    clinic = await Bots(api.pool).deploy(
        api.a.company_id, "+14155550111", load_file(SCENARIOS / "clinic.yaml")
    )
    async for a in sign_in(api, api.a):
        await _upload_parking(a, clinic.bot_id)
        started = await a.post(f"/console/bots/{clinic.bot_id}/try")
        said = await a.post(started.headers["location"] + "/say", {"text": "is there parking"})
        page = await a.client.get(said.headers["location"])
    assert "Elm Street" in page.text, page.text


async def test_malformed_ids_are_404_pages_and_json_stays_for_the_api(api: Api) -> None:
    async for a in sign_in(api, api.a):
        r = await a.client.get("/console/calls/not-a-uuid")
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = await api.client.get("/v1/calls/not-a-uuid", headers=api.a.headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    r = await api.client.get(f"/v1/calls/{uuid.uuid4()}", headers=api.a.headers)
    assert r.status_code == 404 and "detail" in json.loads(r.text)


def test_the_sign_in_limit_forgets_failures_after_its_window() -> None:
    now = [0.0]
    limiter = SignInLimiter(attempts=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("1.2.3.4") == 0
        limiter.failed("1.2.3.4")
    assert limiter.retry_after("1.2.3.4") == 61
    assert limiter.retry_after("5.6.7.8") == 0  # per client
    now[0] = 30
    assert 0 < limiter.retry_after("1.2.3.4") <= 31
    now[0] = 60.5
    assert limiter.retry_after("1.2.3.4") == 0
