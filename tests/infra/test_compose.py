"""infra/compose validates against the Compose Specification's JSON Schema (vendored: compose-spec.json,
compose-spec/compose-spec schema/compose-spec.json at 170098b, Apache-2.0), before and after ${VAR}
interpolation with .env.example, and wires every role, the SIP path and the observability stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import INFRA, documented_settings

COMPOSE = INFRA / "compose"
SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text(encoding="utf-8"))
_INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def env_example() -> dict[str, str]:
    values = {}
    for line in (COMPOSE / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def compose_only() -> set[str]:
    """Variables of the .env.example section 'compose only' (read by compose.yaml, not by voicebot)."""
    text = (COMPOSE / ".env.example").read_text(encoding="utf-8")
    section = text.split("# ---- compose only", 1)[1].split("# ---- voicebot settings", 1)[0]
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", section, re.M))


def _raw() -> str:
    return (COMPOSE / "compose.yaml").read_text(encoding="utf-8")


def interpolate(text: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if op and op.endswith("-") and not value:
            return arg
        if op and op.endswith("?") and not value:
            raise AssertionError(f"{name} is required: {arg}")
        return value

    return _INTERPOLATION.sub(one, text)


def _model() -> dict[str, Any]:
    env = {
        **env_example(),
        "POSTGRES_PASSWORD": "x",
        "GRAFANA_ADMIN_PASSWORD": "x",
        "LIVEKIT_API_KEY": "k",
        "LIVEKIT_API_SECRET": "s",
    }
    model: dict[str, Any] = yaml.safe_load(interpolate(_raw(), env))
    return model


def test_compose_file_matches_the_compose_specification() -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    for document in (yaml.safe_load(_raw()), _model()):
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []


def test_the_schema_rejects_a_broken_compose_file() -> None:
    broken = _model()
    broken["services"]["worker"]["stop_grace"] = "1h"
    assert not jsonschema.Draft7Validator(SCHEMA).is_valid(broken)


def test_every_role_and_dependency_is_there() -> None:
    services = _model()["services"]
    assert {
        "livekit",
        "sip",
        "redis",
        "postgres",
        "qdrant",
        "migrate",
        "worker",
        "dispatcher",
        "api",
        "prometheus",
        "grafana",
    } <= set(services)
    assert services["migrate"]["command"] == ["db", "migrate"]
    assert services["worker"]["command"][:2] == ["worker", "start"]
    assert services["dispatcher"]["command"] == ["webhooks", "run"]
    assert services["api"]["command"][0] == "api"
    for role in ("worker", "dispatcher", "api"):
        assert services[role]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["worker"]["deploy"]["replicas"] == 2  # WORKER_REPLICAS of .env.example


def test_worker_stop_grace_outlasts_its_drain() -> None:
    worker = _model()["services"]["worker"]
    drain = int(worker["command"][worker["command"].index("--drain-timeout") + 1])
    assert int(worker["stop_grace_period"].rstrip("s")) > drain


def test_grafana_provisions_the_dashboard_and_prometheus_loads_the_alerts() -> None:
    services = _model()["services"]
    grafana_mounts = {v.split(":")[0]: v.split(":")[1] for v in services["grafana"]["volumes"]}
    assert (COMPOSE / "../grafana").resolve() == INFRA / "grafana"
    provider = yaml.safe_load((COMPOSE / "grafana/provisioning/dashboards/voicebot.yaml").read_text())
    assert grafana_mounts["../grafana"] == provider["providers"][0]["options"]["path"]
    assert (INFRA / "grafana" / "voicebot.json").is_file()
    prom_mounts = {v.split(":")[0]: v.split(":")[1] for v in services["prometheus"]["volumes"]}
    prom_config = yaml.safe_load((COMPOSE / "prometheus.yml").read_text())
    assert prom_mounts["../prometheus/alerts.yml"] in prom_config["rule_files"]
    jobs = {c["job_name"] for c in prom_config["scrape_configs"]}
    assert {"voicebot-worker", "voicebot-dispatcher", "voicebot-api"} <= jobs  # the alerts' up{job=...}


def test_sip_files_route_calls_to_the_voicebot_agent() -> None:
    from voicebot.telephony.control import AGENT_NAME

    rule = json.loads((COMPOSE / "livekit/dispatch-rule.json").read_text())["dispatch_rule"]
    assert [a["agentName"] for a in rule["roomConfig"]["agents"]] == [AGENT_NAME]
    trunk = json.loads((COMPOSE / "livekit/inbound-trunk.json").read_text())["trunk"]
    assert trunk["numbers"]
    sip_file = yaml.safe_load((COMPOSE / "livekit/sip.yaml").read_text())
    sip_env = yaml.safe_load(_model()["services"]["sip"]["environment"]["SIP_CONFIG_BODY"])
    assert set(sip_file) == set(sip_env)
    assert {k: v for k, v in sip_file.items() if not k.startswith("api_")} == {
        k: v for k, v in sip_env.items() if not k.startswith("api_")
    }
    livekit = yaml.safe_load((COMPOSE / "livekit/livekit.yaml").read_text())
    assert "keys" not in livekit and livekit["redis"]["address"] == sip_file["redis"]["address"]


def _voicebot_services() -> dict[str, Any]:
    model = yaml.safe_load(_raw())
    return {
        n: s for n, s in model["services"].items() if "voicebot" in str(s.get("image", "")) or s.get("build")
    }


def test_every_variable_of_infra_is_a_real_setting(real_settings: set[str]) -> None:
    referenced = set(_INTERPOLATION_NAMES.findall(_raw()))
    for service in _voicebot_services().values():
        referenced |= set(service["environment"])
    referenced |= set(env_example())
    unknown = referenced - real_settings - compose_only()
    assert unknown == set(), f"not a voicebot setting (docs/operations.md + voicebot/): {sorted(unknown)}"
    assert not any(name.startswith("VOICEBOT_") for name in compose_only())


def test_env_example_names_every_setting() -> None:
    text = (COMPOSE / ".env.example").read_text(encoding="utf-8")
    missing = {name for name in documented_settings() if not re.search(rf"\b{name}\b", text)}
    assert missing == set()


def test_no_secret_values_are_committed() -> None:
    env = env_example()
    for name in (
        "POSTGRES_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "DEEPGRAM_API_KEY",
        "CARTESIA_API_KEY",
        "OPENAI_API_KEY",
        "QDRANT_API_KEY",
    ):
        assert env[name] == "", f"{name} has a value in .env.example"
    sip = yaml.safe_load((COMPOSE / "livekit/sip.yaml").read_text())
    assert sip["api_key"].startswith("REPLACE_") and sip["api_secret"].startswith("REPLACE_")
    assert "${LIVEKIT_API_SECRET}" in _raw()


@pytest.mark.parametrize("required", ["POSTGRES_PASSWORD", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"])
def test_compose_refuses_to_start_without_a_required_secret(required: str) -> None:
    env = {
        **env_example(),
        "POSTGRES_PASSWORD": "x",
        "GRAFANA_ADMIN_PASSWORD": "x",
        "LIVEKIT_API_KEY": "k",
        "LIVEKIT_API_SECRET": "s",
        required: "",
    }
    with pytest.raises(AssertionError, match=required):
        interpolate(_raw(), env)


_INTERPOLATION_NAMES = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)")
