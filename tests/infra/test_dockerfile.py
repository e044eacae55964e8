"""The Dockerfile, parsed (no container engine here): multi-stage, a non-root final stage without
compilers, the migrations where the installed package looks for them, STOPSIGNAL and a HEALTHCHECK whose
script maps each role's command line to that role's real health endpoint."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest

from .conftest import INFRA, ROOT

COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|make|cc)\b")


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    out = []
    for line in lines:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_multi_stage_with_a_final_stage_free_of_compilers() -> None:
    stages = _stages()
    assert len(stages) >= 2
    build, final = stages[0], stages[-1]
    assert any(COMPILERS.search(arg) for op, arg in build if op == "RUN")  # the build stage has them...
    for op, arg in final:
        if op in ("RUN", "COPY"):
            assert not COMPILERS.search(arg), f"compiler in the final stage: {op} {arg}"
    assert any(op == "COPY" and "--from=" in arg for op, arg in final)


def test_final_stage_runs_as_a_non_root_user() -> None:
    users = [arg for op, arg in _stages()[-1] if op == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_graceful_stop_health_check_and_one_entrypoint_for_every_role() -> None:
    final = dict(_stages()[-1])
    assert final["STOPSIGNAL"] == "SIGTERM"
    assert "voicebot-healthcheck" in final["HEALTHCHECK"]
    assert final["ENTRYPOINT"] == '["voicebot"]'
    assert "VOICEBOT_DATA_DIR=/var/lib/voicebot" in final["ENV"]


def test_migrations_are_copied_where_the_installed_package_reads_them() -> None:
    from voicebot.storage import migrations

    # <purelib>/voicebot/storage/migrations.py -> parents[2] is <purelib>
    assert migrations.Path(migrations.__file__).resolve().parents[2] / "sql" == migrations.MIGRATIONS_DIR
    runs = " ".join(arg for op, arg in _stages()[0] if op == "RUN")
    assert (
        'cp -r sql "$(python -c \'import sysconfig; print(sysconfig.get_paths()["purelib"])\')/sql"' in runs
    )
    assert any(op == "COPY" and arg.startswith("sql ") for op, arg in _stages()[0])


def test_dockerignore_keeps_the_healthcheck_and_drops_secrets() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignore and "!infra/docker/healthcheck.py" in ignore


def _healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", INFRA / "docker" / "healthcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "argv, env, url",
    [
        (["python", "voicebot", "worker", "start", "--drain-timeout", "3600"], {}, "http://127.0.0.1:8081/"),
        (
            ["python", "voicebot", "webhooks", "run"],
            {"VOICEBOT_METRICS_PORT": "9100"},
            "http://127.0.0.1:9100/metrics",
        ),
        (["python", "voicebot", "webhooks", "run"], {}, None),
        (
            ["python", "voicebot", "api", "--host", "0.0.0.0", "--port", "9000"],
            {},
            "http://127.0.0.1:9000/healthz",
        ),
        (["python", "voicebot", "api", "--port=8443"], {}, "http://127.0.0.1:8443/healthz"),
        (["python", "voicebot", "api"], {}, "http://127.0.0.1:8080/healthz"),
        (["python", "voicebot", "db", "migrate"], {}, None),
    ],
)
def test_healthcheck_asks_each_roles_endpoint(argv: list[str], env: dict[str, str], url: str | None) -> None:
    assert _healthcheck().health_url(argv, env) == url


def test_the_health_endpoints_exist_in_the_code() -> None:
    from voicebot.api.health import PUBLIC_PATHS

    assert {"/healthz", "/readyz", "/metrics"} <= PUBLIC_PATHS
    from livekit.agents import WorkerOptions

    port = WorkerOptions.__dataclass_fields__["port"].default
    assert getattr(port, "prod_default", port) == 8081  # the worker's health server in production mode
