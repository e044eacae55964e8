"""The console in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by
selenium against the real API app served by uvicorn on loopback, on a real Postgres.

A call is made through the real text session path (answer_call: AgentSession, bridge, engine, recorder,
finalizer) so the call list and call page show a call of this test. One browser for the module;
screenshots of failures go to tests.console.conftest.ARTIFACTS. With VOICEBOT_CONSOLE_SCREENSHOTS=DIR,
the pages are also saved there (docs/img's screenshots are made so).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.seed import Tenant, tenant
from tests.conftest import _fresh_database
from tests.console.server import ConsoleServer
from tests.fakes import FakeLiveKitServer
from tests.telephony.lines import TextLine
from voicebot.knowledge import MiniLMEmbedder
from voicebot.outcomes.config import WebhookSettings
from voicebot.runtime import finalize_calls_with
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.scenario import load_file
from voicebot.storage import Bots, Journal, PostgresSink, Recorder
from voicebot.telephony.answer import CallServices, answer_call
from voicebot.telephony.session import text_session

pytestmark = pytest.mark.skipif(
    shutil.which("chromedriver") is None or shutil.which("chromium") is None,
    reason="needs Debian's chromium and chromium-driver (scripts/install-test-deps.sh)",
)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCENARIOS = Path(__file__).parents[2] / "scenarios"
CLINIC = "+14155550111"
CLINIC_LINES = [
    "I'd like to book an appointment",
    "John Smith",
    "March 3rd 1985",
    "I need a check-up",
    "next Tuesday at 10 am",
    "yes",
]
DRIVER: Any = None  # the module's browser (the conftest hook screenshots it on failure)
SHOTS = os.environ.get("VOICEBOT_CONSOLE_SCREENSHOTS")


@pytest.fixture(scope="module")
def world(
    pg_admin_url: str, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("console")
    with contextmanager(_fresh_database)(pg_admin_url, pg_template) as url:
        server = ConsoleServer(url, tmp, MiniLMEmbedder()).start()
        try:
            alpha: Tenant = server.run(tenant(server.pool, "Alpha", "+14155550100"))
            call_id = server.run(_clinic_call(server.pool, alpha.company_id, tmp))
            yield {"server": server, "a": alpha, "call_id": call_id}
        finally:
            server.stop()


async def _clinic_call(pool: Any, company_id: uuid.UUID, tmp: Path) -> uuid.UUID:
    """A clinic call through answer_call (the worker's path, text mode): recorded and finalized."""
    await Bots(pool).deploy(company_id, CLINIC, load_file(SCENARIOS / "clinic.yaml"))
    outcomes = build_outcome_services(pool, WebhookSettings())
    recorder = Recorder(sink=PostgresSink(pool), journal=Journal(tmp / "journal"))
    await recorder.start()
    try:
        services = CallServices(
            bots=Bots(pool),
            record=recorder.record,
            new_session=lambda _p, _l: text_session(),
            flush=recorder.flush,
            finalize=finalize_calls_with(outcomes.finalizer),
            no_input_timer=False,
        )
        async with FakeLiveKitServer() as fake, fake.api() as client:
            line = TextLine(client, dialed=CLINIC, room="call-console")
            task = asyncio.create_task(answer_call(line, services))
            for text in CLINIC_LINES:
                await line.say(text)
            outcome = await asyncio.wait_for(task, 20)
    finally:
        await recorder.aclose()
        await outcomes.aclose()
    assert outcome.call_id is not None
    return outcome.call_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    global DRIVER
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(shutil.which("chromedriver")), options=options)
    driver.implicitly_wait(0)
    DRIVER = driver
    try:
        yield driver
    finally:
        DRIVER = None
        driver.quit()


def _wait(driver: Any, timeout: float = 10) -> Any:
    # htmx swaps parts of the page while a wait reads them: a node replaced under the read is
    # "stale" (or, in Chromium, "does not belong to the document"): read it again on the next poll.
    return WebDriverWait(
        driver, timeout, ignored_exceptions=(StaleElementReferenceException, WebDriverException)
    )


def _shot(driver: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"console-{name}.png"))


def _text(driver: Any, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def test_sign_in_and_the_call_list_shows_the_call_made_in_the_test(
    world: dict[str, Any], browser: Any
) -> None:
    base = world["server"].url
    browser.get(base + "/console/calls")
    assert browser.current_url.endswith("/console/login")  # not signed in: sent to sign in
    _shot(browser, "sign-in")
    browser.find_element(By.ID, "api_key").send_keys("vbk_not_a_key")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser).until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "not valid" in _text(browser, "#login-error")
    browser.find_element(By.ID, "api_key").send_keys(world["a"].api_key)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    _wait(browser).until(EC.url_contains("/console/calls"))
    assert world["a"].api_key not in browser.current_url
    rows = browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr")
    assert len(rows) == 2  # the seeded call and the clinic call made above
    assert "clinic" in rows[0].text and "completed" in rows[0].text  # newest first
    _shot(browser, "calls")
    browser.find_element(By.ID, "f-bot").send_keys("Riverside")
    browser.find_element(By.CSS_SELECTOR, ".filters button").click()
    _wait(browser).until(EC.url_contains("bot="))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr")) == 1


def test_the_call_page_shows_the_timeline_and_a_redelivery_queues_the_webhook(
    world: dict[str, Any], browser: Any
) -> None:
    base = world["server"].url
    browser.get(f"{base}/console/calls/{world['call_id']}")
    turns = browser.find_elements(By.CSS_SELECTOR, "#timeline > li")
    callers = [
        t.find_element(By.CSS_SELECTOR, ".said").text for t in turns if "r-caller" in t.get_attribute("class")
    ]
    assert callers == CLINIC_LINES
    page = _text(browser, "#timeline")
    assert "patient_name" in page and "John Smith" in page  # a slot filled, with its value
    assert "→" in page  # transitions
    assert _text(browser, "#outcome")  # the outcome decided at the end of the call
    _shot(browser, "call")
    browser.find_element(By.CSS_SELECTOR, "#webhooks form button").click()
    _wait(browser).until(EC.presence_of_element_located((By.ID, "redelivered")))
    assert "Queued for redelivery" in _text(browser, "#redelivered")


def test_the_editor_shows_a_checker_error_at_its_line_and_deploys_a_fix(
    world: dict[str, Any], browser: Any
) -> None:
    base, a = world["server"].url, world["a"]
    browser.get(f"{base}/console/bots/{a.bot_id}/edit")
    area = browser.find_element(By.ID, "scenario")
    original = area.get_attribute("value")
    assert "No problems" in _text(browser, "#problem-count")
    # A top-level key the schema does not know, just before "start:".
    lines = original.split("\n")
    broken_at = lines.index("start: ask") + 1
    lines.insert(broken_at - 1, "colour: blue")
    browser.execute_script("arguments[0].value = arguments[1];", area, "\n".join(lines))
    area.send_keys(" ")  # a real keystroke: htmx's debounced check fires
    _wait(browser).until(EC.text_to_be_present_in_element((By.ID, "problem-list"), "scenario.yaml:"))
    problem = _text(browser, "#problem-list")
    assert f"scenario.yaml:{broken_at}:1:" in problem, problem
    _shot(browser, "editor-error")
    # Deploy is refused while the problem stands.
    browser.find_element(By.ID, "deploy").click()
    _wait(browser).until(EC.staleness_of(area))  # the answer page replaced the editor
    assert "scenario.yaml:" in _text(browser, "#problem-list")
    assert "deployed" not in browser.current_url
    # Fixed and changed: deploy makes version 2.
    fixed = original.replace('greeting: "Hello."', 'greeting: "Hello there."')
    area = browser.find_element(By.ID, "scenario")
    browser.execute_script("arguments[0].value = arguments[1];", area, fixed)
    browser.find_element(By.ID, "deploy").click()
    _wait(browser).until(EC.presence_of_element_located((By.ID, "deployed")))
    assert "Deployed version 2" in _text(browser, "#deployed")
    browser.get(f"{base}/console/bots/{a.bot_id}/diff?a=1&b=2")
    assert '+  greeting: "Hello there."' in _text(browser, "#diff")
    browser.get(f"{base}/console/bots/{a.bot_id}")
    _wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#graph svg")))  # Mermaid drew it
    # The clinic's graph has notes (global handlers, return states): Mermaid draws it without an error.
    browser.get(f"{base}/console/bots")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Riverside").click()
    _wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#graph svg")))
    drawn = _text(browser, "#graph")
    assert "Syntax error" not in drawn and "pick_time" in drawn and "global handlers" in drawn
    _shot(browser, "bot")


def test_a_knowledge_upload_becomes_ready_and_is_searchable(
    world: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    base, a = world["server"].url, world["a"]
    doc = tmp_path / "hours.md"
    doc.write_text(
        "# Opening hours\n\nThe clinic is open Monday to Friday from 8 am to 6 pm.\n", encoding="utf-8"
    )
    browser.get(f"{base}/console/bots/{a.bot_id}/knowledge")
    browser.find_element(By.ID, "file").send_keys(str(doc))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button").click()
    _wait(browser, 30).until(EC.text_to_be_present_in_element((By.ID, "docs"), "hours.md"))
    _wait(browser, 60).until(
        lambda d: (
            "ready" in d.find_element(By.ID, "docs").text and "hours.md" in d.find_element(By.ID, "docs").text
        )
    )
    search = browser.find_element(By.ID, "q")
    search.send_keys("when are you open on friday")
    search.submit()
    _wait(browser).until(EC.presence_of_element_located((By.ID, "passages")))
    assert "Monday to Friday" in _text(browser, "#passages")
    _shot(browser, "knowledge")


def test_the_try_it_chat_talks_to_the_bot_and_shows_state_and_slots(
    world: dict[str, Any], browser: Any
) -> None:
    base, a = world["server"].url, world["a"]
    browser.get(f"{base}/console/bots/{a.bot_id}/try")
    browser.find_element(By.ID, "start-chat").click()
    _wait(browser).until(EC.presence_of_element_located((By.ID, "conversation")))
    assert "Hello there." in _text(browser, "#conversation")  # the version deployed above
    assert _text(browser, "#chat-state") == "ask"
    box = browser.find_element(By.ID, "say-text")
    box.send_keys("yes")
    box.submit()
    _wait(browser).until(EC.presence_of_element_located((By.ID, "chat-ended")))
    assert "finished" in _text(browser, "#chat-ended")
    assert "Goodbye." in _text(browser, "#conversation")
    assert _text(browser, "#chat-state") == "done"
    _shot(browser, "try-it")


def test_on_a_phone_pages_fit_the_screen_and_work_by_keyboard(world: dict[str, Any], browser: Any) -> None:
    base = world["server"].url
    browser.set_window_size(390, 844)
    try:
        for path in (f"/console/calls/{world['call_id']}", "/console/calls", "/console/webhooks"):
            browser.get(base + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow} px wider than a phone's screen"
        _shot(browser, "phone-webhooks")
        browser.get(f"{base}/console/calls/{world['call_id']}")
        _shot(browser, "phone-call")
        # The first Tab reaches the skip link, which moves focus to the page's content.
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys("\ue004")  # Tab
        focused = browser.switch_to.active_element
        assert focused.text == "Skip to content"
        focused.send_keys("\ue007")  # Enter
        assert browser.switch_to.active_element.get_attribute("id") == "main"
    finally:
        browser.set_window_size(1280, 1000)
