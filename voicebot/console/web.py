"""What every console page shares: the templates, the signed-in company, CSRF and the sign-in limit.

- Templates are Jinja2 with autoescape on for every file: a transcript line or a scenario containing
  ``<script>`` renders as text. No template marks anything ``|safe``.
- The session cookie (``vb_console``) holds a random token; the row it names (``console_sessions``)
  says which company is signed in. It is HttpOnly, SameSite=Strict, path ``/console``, and Secure when
  the request came over https (directly or per ``X-Forwarded-Proto``).
- Every POST carries the session's CSRF token, in the ``csrf`` form field or the ``X-CSRF-Token``
  header (htmx sends the header, see static/console.js). A missing or wrong token is a 403.
- A page of another company's bot, call, document or event is a 404 worded like one that does not
  exist: every lookup goes through the company-scoped repositories of the admin API, and Postgres
  enforces the same with row-level security: after the session lookup (system scope) every statement
  of the request runs for the signed-in company only (voicebot.storage.tenancy).
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from voicebot.api.services import ApiServices
from voicebot.storage.repositories.console import ConsoleQueries, ConsoleSession, ConsoleSessions
from voicebot.storage.tenancy import set_company, system_scope

__all__ = [
    "COOKIE",
    "PREFIX",
    "Console",
    "ConsoleDep",
    "CsrfChecked",
    "NeedsSignIn",
    "SignInLimiter",
    "Signed",
    "console_of",
    "render",
]

PREFIX = "/console"
COOKIE = "vb_console"
_TEMPLATES = Path(__file__).parent / "templates"

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class NeedsSignIn(Exception):
    """No valid session: pages redirect to the sign-in page, fragments answer 401."""


class CsrfRejected(Exception):
    """A POST without the session's CSRF token."""


class SignInLimiter:
    """At most ``attempts`` failed sign-ins per client address per ``window`` seconds (in this process).

    A success does not reset the count: guessing keys one right in between does not buy more tries."""

    def __init__(
        self, *, attempts: int = 10, window: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may now."""
        now = self._clock()
        failures = self._failures.get(client)
        if failures is None:
            return 0
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return 0
        if len(failures) < self.attempts:
            return 0
        return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, client: str) -> None:
        if len(self._failures) > 100_000:  # bounded memory under a spray of addresses
            self._failures.clear()
        self._failures.setdefault(client, deque()).append(self._clock())


class Console:
    """The console's share of the services, kept on ``app.state.console``."""

    def __init__(self, services: ApiServices, sessions: ConsoleSessions, queries: ConsoleQueries) -> None:
        self.services = services
        self.sessions = sessions
        self.queries = queries
        self.limiter = SignInLimiter()
        self.tryit: Any = None  # voicebot.console.tryit.TryIt, set by mount()


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


ConsoleDep = Annotated[Console, Depends(console_of)]


async def signed_in(request: Request, console: ConsoleDep) -> ConsoleSession:
    token = request.cookies.get(COOKIE, "")
    session = None
    if 0 < len(token) <= 100 and token.isascii():
        with system_scope():  # the session says which company; until then the request has none
            session = await console.sessions.get(token)
    if session is None:
        raise NeedsSignIn()
    set_company(session.company_id)
    request.state.console_session = session
    return session


Signed = Annotated[ConsoleSession, Depends(signed_in)]


async def csrf_checked(request: Request, session: Signed) -> ConsoleSession:
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf")
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfRejected()
    return session


CsrfChecked = Annotated[ConsoleSession, Depends(csrf_checked)]


def _fmt_ms(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:.0f} ms"


env.filters["ms"] = _fmt_ms
env.filters["when"] = lambda at: "—" if at is None else at.strftime("%Y-%m-%d %H:%M:%S UTC")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with the signed-in session (if any) and the CSRF token in its context."""
    session: ConsoleSession | None = getattr(request.state, "console_session", None)
    html = env.get_template(template).render(
        request=request,
        session=session,
        csrf=session.csrf_token if session else "",
        prefix=PREFIX,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
