"""The Grafana dashboard and the Prometheus alerts against voicebot/observability/metrics.py: every metric
they query is exported by voicebot (or is Prometheus' own), every exported metric is on the dashboard or
deliberately left out, and the rules and the compose Prometheus config pass ``promtool``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from voicebot.observability import call_centre_metrics, metrics, service_metrics

from .conftest import INFRA, ROOT

DASHBOARD = INFRA / "grafana" / "voicebot.json"
ALERTS = INFRA / "prometheus" / "alerts.yml"

PROMETHEUS_OWN = {"up", "process_cpu_seconds_total", "process_resident_memory_bytes"}
"""Series Prometheus or prometheus_client's default collectors produce, not metrics.py."""

LEFT_OUT: dict[str, str] = {}
"""Exported metric families deliberately not on the dashboard, with the reason (none today)."""

_FUNCTIONS = {
    "sum",
    "rate",
    "increase",
    "histogram_quantile",
    "max",
    "min",
    "count",
    "avg",
    "by",
    "without",
    "or",
    "and",
    "unless",
    "vector",
    "le",
    "on",
    "ignoring",
    "abs",
    "absent",
    "irate",
    "delta",
    "offset",
}


METRIC_MODULES = (metrics, call_centre_metrics, service_metrics)
"""Where metric objects are defined (metrics.py re-exports the other two's verb functions)."""


def _families() -> dict[str, set[str]]:
    """Family name -> the sample names Prometheus stores for it, from the metric objects of metrics.py."""
    families: dict[str, set[str]] = {}
    for value in [v for module in METRIC_MODULES for v in vars(module).values()]:
        if isinstance(value, MetricWrapperBase):
            name, kind = value._name, value._type
            if kind == "counter":
                families[name] = {f"{name}_total"}
            elif kind == "histogram":
                families[name] = {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            else:
                families[name] = {name}
    return families


def _referenced(expr: str) -> set[str]:
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\"[^\"]*\"", "", expr)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return {n for n in names if n not in _FUNCTIONS and not re.fullmatch(r"e\d*|\d+", n)} - {
        "stage",
        "status",
        "direction",
        "trigger",
        "kind",
        "outcome",
        "route",
        "instance",
        "job",
        "action",
        "mode",
        "result",
        "verdict",
        "preset",
        "stream",
        "reason",
        "queue",
    }


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def _alert_exprs() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


def test_dashboard_parses_and_has_the_operators_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "voicebot"
    titles = {p["title"] for p in dashboard["panels"]}
    for wanted in (
        "Calls in flight",
        "Calls ended by outcome status",
        "Turn latency p50 by stage",
        "Turn latency p95 by stage",
        "LLM latency",
        "Recorder backlog",
        "Records written / spilled / replayed",
        "Outbox queue depth and dead letters",
        "Attempts by settlement",
        "Worker load: calls per worker",
    ):
        assert wanted in titles
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_queried_metric_exists(source: str) -> None:
    exprs = _dashboard_exprs() if source == "dashboard" else _alert_exprs()
    known = set().union(*_families().values()) | PROMETHEUS_OWN
    used = set().union(*(_referenced(e) for e in exprs))
    assert used, "no metric found in the expressions"
    assert used - known == set()


def test_every_exported_metric_is_on_the_dashboard_or_left_out_deliberately() -> None:
    used = set().union(*(_referenced(e) for e in _dashboard_exprs()))
    missing = {name for name, samples in _families().items() if not samples & used and name not in LEFT_OUT}
    assert missing == set()


def test_every_metric_is_documented() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    undocumented = {name for name in _families() if name not in text}
    assert undocumented == set()


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool missing: run scripts/install-test-deps.sh (Debian package prometheus)")
    return path


def test_alert_rules_pass_promtool() -> None:
    result = subprocess.run([_promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(ALERTS.read_text().replace("> 900", "> > 900"))
    result = subprocess.run([_promtool(), "check", "rules", str(broken)], capture_output=True, text=True)
    assert result.returncode != 0


def test_every_alert_has_a_runbook_in_operations() -> None:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)
    }
    for group in rules["groups"]:
        for rule in group["rules"]:
            anchor = rule["annotations"]["runbook"].split("#", 1)[1]
            assert anchor in anchors, f"{rule['alert']}: no section #{anchor} in docs/operations.md"


def test_compose_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    config = (INFRA / "compose" / "prometheus.yml").read_text()
    shutil.copy(ALERTS, tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(config.replace("/etc/prometheus/alerts.yml", "alerts.yml"))
    result = subprocess.run(
        [_promtool(), "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
