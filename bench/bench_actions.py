"""Action benchmark: what a declared HTTP action costs beyond the remote call's own time.

Run: ``python bench/bench_actions.py [--requests N]`` (results are recorded in docs/performance.md).
Same run, same local aiohttp server on 127.0.0.1 (answers ``GET /v1/accounts/{n}`` with a small JSON
account, like the support example's sample endpoint), same process and event loop:

* baseline: a bare ``aiohttp`` GET on one shared session (read the body, ``json.loads`` it);
* action: the whole live-call path of one run of the support bot's ``lookup_account``: the engine's
  RunAction (rendered), ``CallActions.perform`` (ActionCall, registry, filler timer, metrics, the log
  line) and ``HttpActionRunner`` (secret fill from the company store, Standard Webhooks signing, the URL
  guard on the URL and at connect time, the body cap, JSON parse), then the engine taking the branch
  (response mapping into slots).

Overhead = median(action) - median(baseline); goal < 2 ms. Requests alternate between the two paths so
machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp
import structlog
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicebot.actions import ActionRegistry  # noqa: E402
from voicebot.actions.http import HttpActionRunner  # noqa: E402
from voicebot.dialogue import CallContext, Engine, RunAction, Utterance, compile_scenario  # noqa: E402
from voicebot.outcomes import HostPolicy, new_secret  # noqa: E402
from voicebot.scenario import load_text  # noqa: E402
from voicebot.telephony.actions import CallActions  # noqa: E402

ACCOUNT = {"number": "12345", "status": "active", "owner": {"name": "Ann Lee"}, "billing": {"balance": 42.5}}
SIGNING = new_secret()


async def _account(request: web.Request) -> web.Response:
    return web.json_response(ACCOUNT)


async def _secrets(company_id: uuid.UUID | None, names: Sequence[str]) -> Mapping[str, str]:
    return {"nimbus_api_token": "tok-bench"}


async def _signing(company_id: uuid.UUID | None) -> Sequence[str]:
    return [SIGNING]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(requests: int) -> dict[str, float]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    app = web.Application()
    app.router.add_get("/v1/accounts/{number}", _account)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    origin = f"http://127.0.0.1:{port}"

    source = (ROOT / "scenarios" / "support.yaml").read_text().replace("https://api.nimbus.example", origin)
    engine = Engine(compile_scenario(load_text(source, "support.yaml").scenario))
    http = HttpActionRunner(policy=HostPolicy.parse("127.0.0.0/8"), secrets=_secrets, signing=_signing)
    actions = CallActions(
        ActionRegistry({"http": http}), call_id=uuid.uuid4(), company_id=uuid.uuid4(), bot_id=None
    )
    bare = aiohttp.ClientSession()
    url = f"{origin}/v1/accounts/12345"

    async def baseline() -> float:
        started = time.perf_counter()
        async with bare.get(url) as resp:
            json.loads(await resp.read())
        return time.perf_counter() - started

    async def action() -> float:
        call, _ = engine.start(CallContext(call_id="bench"))
        engine.handle(call, Utterance("check my account"))
        started = time.perf_counter()
        out = engine.handle(call, Utterance("12345"))
        run = next(a for a in out if isinstance(a, RunAction))
        done = await actions.perform(run, call.context)
        engine.handle(call, done)
        elapsed = time.perf_counter() - started
        assert done.status == "ok" and call.slots.get("account_owner") == "Ann Lee", done
        return elapsed

    for _ in range(50):  # warm-up: connections, caches
        await baseline()
        await action()
    base: list[float] = []
    full: list[float] = []
    for _ in range(requests):
        base.append(await baseline())
        full.append(await action())
    await bare.close()
    await http.aclose()
    await runner.cleanup()
    ms = 1000.0
    result = {
        "requests": requests,
        "baseline_p50_ms": statistics.median(base) * ms,
        "baseline_p95_ms": _pct(base, 0.95) * ms,
        "action_p50_ms": statistics.median(full) * ms,
        "action_p95_ms": _pct(full, 0.95) * ms,
    }
    result["overhead_p50_ms"] = result["action_p50_ms"] - result["baseline_p50_ms"]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    numbers = asyncio.run(main(args.requests))
    for key, value in numbers.items():
        print(f"{key:18} {value:.3f}" if isinstance(value, float) else f"{key:18} {value}")
