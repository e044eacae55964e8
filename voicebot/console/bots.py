"""Bots: versions, a diff between two, the state graph, funnel and outcome mix; the editor and deploy.

The editor posts its text to ``/check`` as the user types (htmx, debounced); the answer lists the real
checker's problems (:func:`voicebot.scenario.load_text`) as ``scenario.yaml:line:col: message``. Deploy
runs the same validation as ``PUT /v1/bots/{id}/scenario`` and ``voicebot bot deploy``: a valid scenario
whose ``bot.id`` is the bot's; an invalid one is shown back with its problems and nothing deployed.
"""

from __future__ import annotations

import asyncio
import difflib
import uuid
from typing import Annotated

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from voicebot.console.web import PREFIX, ConsoleDep, CsrfChecked, Signed, render
from voicebot.errors import Problem, ScenarioError
from voicebot.scenario import LoadedScenario, load_text
from voicebot.scenario.graph import mermaid

__all__ = ["SCENARIO_PATH", "check_text", "register"]

SCENARIO_PATH = "scenario.yaml"
_MAX_SCENARIO = 1024 * 1024


async def _load(text: str) -> LoadedScenario:
    return await asyncio.to_thread(load_text, text, SCENARIO_PATH)


async def check_text(text: str) -> tuple[list[str], list[dict[str, object]], list[dict[str, object]]]:
    """(the graph's Mermaid source or nothing, errors, warnings) of a scenario text. Each problem carries
    the source line it points at (``source``) so the page can show it with a caret under the column."""
    lines = text.splitlines()
    try:
        loaded = await _load(text)
    except ScenarioError as exc:
        warnings = getattr(exc, "warnings", [])
        return [], [_problem(p, lines) for p in exc.problems], [_problem(p, lines) for p in warnings]
    return [mermaid(loaded.scenario)], [], [_problem(p, lines) for p in loaded.warnings]


def _problem(p: Problem, lines: list[str]) -> dict[str, object]:
    source = lines[p.line - 1] if 0 < p.line <= len(lines) else ""
    return {"line": p.line, "col": p.col, "message": p.message, "text": str(p), "source": source[:300]}


def register(app: FastAPI) -> None:
    @app.get(PREFIX + "/bots", include_in_schema=False)
    async def bot_list(request: Request, session: Signed, console: ConsoleDep) -> Response:
        bots = await console.services.company_bots.list(session.company_id)
        return render(request, "bots.html", bots=bots)

    @app.get(PREFIX + "/bots/{bot_id}", include_in_schema=False)
    async def bot_page(
        bot_id: uuid.UUID,
        request: Request,
        session: Signed,
        console: ConsoleDep,
        version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    ) -> Response:
        services, company = console.services, session.company_id
        bot = await services.company_bots.get(company, bot_id)
        versions = await console.queries.versions(company, bot_id)
        shown = version or bot.version
        graph = ""
        if shown is not None:
            source = await console.queries.version_source(company, bot_id, shown)
            try:
                graph = mermaid((await _load(source)).scenario)
            except ScenarioError:  # a version that no longer passes today's checker: no graph
                graph = ""
        funnel = await services.analytics.funnel(company, bot_id, version=version)
        mix = await console.queries.outcome_mix(company, bot_id)
        return render(
            request, "bot.html", bot=bot, versions=versions, shown=shown, graph=graph, funnel=funnel, mix=mix
        )

    @app.get(PREFIX + "/bots/{bot_id}/diff", include_in_schema=False)
    async def diff(
        bot_id: uuid.UUID,
        request: Request,
        session: Signed,
        console: ConsoleDep,
        a: Annotated[int, Query(ge=1, le=2_000_000_000)],
        b: Annotated[int, Query(ge=1, le=2_000_000_000)],
    ) -> Response:
        bot = await console.services.company_bots.get(session.company_id, bot_id)
        old = await console.queries.version_source(session.company_id, bot_id, a)
        new = await console.queries.version_source(session.company_id, bot_id, b)
        lines = list(
            difflib.unified_diff(
                old.splitlines(), new.splitlines(), f"version {a}", f"version {b}", lineterm="", n=3
            )
        )
        return render(request, "diff.html", bot=bot, a=a, b=b, lines=lines)

    @app.get(PREFIX + "/bots/{bot_id}/edit", include_in_schema=False)
    async def editor(bot_id: uuid.UUID, request: Request, session: Signed, console: ConsoleDep) -> Response:
        bot = await console.services.company_bots.get(session.company_id, bot_id)
        source = await console.services.company_bots.scenario_source(session.company_id, bot_id)
        graphs, errors, warnings = await check_text(source)
        return render(
            request,
            "editor.html",
            bot=bot,
            source=source,
            errors=errors,
            warnings=warnings,
            graphs=graphs,
            deployed=request.query_params.get("deployed"),
        )

    @app.post(PREFIX + "/bots/{bot_id}/check", include_in_schema=False)
    async def check(
        bot_id: uuid.UUID,
        request: Request,
        session: CsrfChecked,
        console: ConsoleDep,
        scenario: Annotated[str, Form(max_length=_MAX_SCENARIO)] = "",
    ) -> Response:
        """The checker's problems for the editor's text (an htmx fragment)."""
        await console.services.company_bots.get(session.company_id, bot_id)
        graphs, errors, warnings = await check_text(scenario)
        return render(request, "problems.html", errors=errors, warnings=warnings, graphs=graphs)

    @app.post(PREFIX + "/bots/{bot_id}/deploy", include_in_schema=False)
    async def deploy(
        bot_id: uuid.UUID,
        request: Request,
        session: CsrfChecked,
        console: ConsoleDep,
        scenario: Annotated[str, Form(max_length=_MAX_SCENARIO)] = "",
    ) -> Response:
        services, company = console.services, session.company_id
        bot = await services.company_bots.get(company, bot_id)
        graphs, errors, warnings = await check_text(scenario)
        if not errors:
            loaded = await _load(scenario)
            if loaded.scenario.bot.id != bot.slug:
                message = (
                    f"{SCENARIO_PATH}:1:1: the scenario's bot.id is {loaded.scenario.bot.id!r} but this "
                    f"bot is {bot.slug!r} (create a new bot for another bot.id)"
                )
                errors = [{"line": 1, "col": 1, "message": message, "text": message, "source": ""}]
            else:
                result = await services.bots.deploy(company, bot.phone_number, loaded, activate=False)
                return RedirectResponse(
                    f"{PREFIX}/bots/{bot_id}/edit?deployed={result.version}", status_code=303
                )
        return render(
            request,
            "editor.html",
            422,
            bot=bot,
            source=scenario,
            errors=errors,
            warnings=warnings,
            graphs=graphs,
            deployed=None,
        )
