"""Sign-in with the company's API key, exchanged for a session cookie; sign-out.

The key travels once, in the body of a POST (never in a URL, never logged). The login form is
protected by a double-submit token: GET sets ``vb_login_csrf`` (HttpOnly, SameSite=Strict) and puts
the same value in the form; POST requires both to match. Failed attempts are limited per client
address (:class:`~voicebot.console.web.SignInLimiter`): beyond the limit the answer is 429 with
``Retry-After``, whatever the key.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import structlog
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from voicebot.console.web import COOKIE, PREFIX, ConsoleDep, CsrfChecked, render
from voicebot.storage.tenancy import set_company, system_scope

__all__ = ["SESSION_LIFETIME", "register"]

_log = structlog.get_logger("voicebot.console")
SESSION_LIFETIME = dt.timedelta(hours=12)
_LOGIN_CSRF = "vb_login_csrf"
_MAX_KEY_CHARS = 200


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status, login_csrf=token, error=error)
    response.set_cookie(
        _LOGIN_CSRF,
        token,
        max_age=1800,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def register(app: FastAPI) -> None:
    @app.get(PREFIX + "/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return _login_page(request)

    @app.post(PREFIX + "/login", include_in_schema=False)
    async def login(
        request: Request,
        console: ConsoleDep,
        api_key: str = Form(default="", max_length=_MAX_KEY_CHARS * 2),
        csrf: str = Form(default="", max_length=200),
    ) -> Response:
        client = _client(request)
        wait = console.limiter.retry_after(client)
        if wait:
            _log.warning("console_sign_in_limited", client=client)
            response = _login_page(request, 429, f"Too many failed sign-ins. Try again in {wait} s.")
            response.headers["Retry-After"] = str(wait)
            return response
        expected = request.cookies.get(_LOGIN_CSRF, "")
        if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
            return _login_page(request, 403, "The sign-in form expired. Please try again.")
        key = api_key.strip()
        company = None
        if 0 < len(key) <= _MAX_KEY_CHARS and key.isascii():
            with system_scope():  # the key says which company (row-level security, sql/0015)
                company = await console.services.companies.authenticate(key)
        if company is None:
            console.limiter.failed(client)
            _log.info("console_sign_in_failed", client=client)
            return _login_page(request, 401, "That API key is not valid.")
        set_company(company.id)
        new = await console.sessions.create(company.id, lifetime=SESSION_LIFETIME)
        _log.info("console_signed_in", company_id=str(company.id))
        response = RedirectResponse(PREFIX + "/calls", status_code=303)
        response.set_cookie(
            COOKIE,
            new.token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
        response.delete_cookie(_LOGIN_CSRF, path=PREFIX)
        return response

    @app.post(PREFIX + "/logout", include_in_schema=False)
    async def logout(request: Request, console: ConsoleDep, session: CsrfChecked) -> Response:
        await console.sessions.delete(request.cookies.get(COOKIE, ""))
        response = RedirectResponse(PREFIX + "/login", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response
