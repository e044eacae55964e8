"""``/v1/bots/{id}/replay``: a report, a deploy refused on regressions (409) or warned, the kept result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.conftest import Api
from tests.replay.calls import Deployed, record_calls
from tests.storage.helpers import mini_scenario
from voicebot.scenario.loader import load_text

STUCK = mini_scenario().replace(
    '      - intent: "yes"\n        to: done',
    '      - intent: "yes"\n        to: again\n      - fallback: true\n        to: done\n  again:\n'
    '    say: "Really?"\n    transitions:\n      - intent: "yes"\n        to: done',
    1,
)


async def _recorded(api: Api, tmp_path: Path) -> list[Any]:
    version = await api.pool.fetchval("SELECT current_version_id FROM bots WHERE id = $1", api.a.bot_id)
    bot = Deployed(api.a.company_id, api.a.bot_id, version, load_text(mini_scenario(), "mini.yaml"))
    return await record_calls(api.pool, bot, [["yes"], ["yes"]], tmp_path / "journal", caller="+12125550123")


async def test_a_replay_reports_and_a_regressing_deploy_is_refused(api: Api, tmp_path: Path) -> None:
    ids = await _recorded(api, tmp_path)
    url = f"/v1/bots/{api.a.bot_id}/replay"
    same = await api.client.post(url, json={"scenario": mini_scenario()}, headers=api.a.headers)
    assert same.status_code == 200, same.text
    assert same.json()["replay"]["summary"]["unchanged"] == 2 and not same.json()["deployed"]

    stuck = await api.client.post(url, json={"scenario": STUCK}, headers=api.a.headers)
    report = stuck.json()["replay"]
    assert report["summary"]["regressed"] == 2
    assert {c["call_id"] for c in report["calls"]} == {str(i) for i in ids}
    assert report["calls"][0]["divergence"]["new_reply"] == "Really?"

    refused = await api.client.post(url, json={"scenario": STUCK, "deploy": True}, headers=api.a.headers)
    assert (
        refused.status_code == 409 and "deploy refused: 2 replayed calls now fail" in refused.json()["detail"]
    )
    assert (
        await api.pool.fetchval("SELECT count(*) FROM scenario_versions WHERE bot_id = $1", api.a.bot_id) == 1
    )

    forced = await api.client.post(
        url, json={"scenario": STUCK, "deploy": True, "warn_only": True}, headers=api.a.headers
    )
    assert forced.status_code == 200 and forced.json()["version"] == 2
    kept = await api.client.get(f"/v1/bots/{api.a.bot_id}/replays", headers=api.a.headers)
    assert [(r["version"], r["regressed"], r["forced"]) for r in kept.json()] == [(2, 2, True)]


async def test_another_companys_bot_cannot_be_replayed(api: Api) -> None:
    response = await api.client.post(
        f"/v1/bots/{api.b.bot_id}/replay", json={"scenario": mini_scenario()}, headers=api.a.headers
    )
    assert response.status_code == 404
