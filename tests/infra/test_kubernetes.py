"""infra/kubernetes validates against the Kubernetes OpenAPI schemas offline (kubernetes-validate, strict:
unknown fields are errors), and holds what operating calls needs: drain longer than the longest call, a
PodDisruptionBudget and an HPA on the worker, probes on the real health endpoints, placeholders only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import INFRA

K8S = INFRA / "kubernetes"
VERSION = "1.30.0"


def _manifests() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path, doc))
    return docs


def _kind(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d for _, d in _manifests() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize("path, doc", _manifests(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_every_manifest_is_valid_kubernetes(path: Path, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, VERSION, strict=True)


def test_the_validator_rejects_a_broken_manifest() -> None:
    broken = _kind("Deployment", "voicebot-worker")
    broken = {**broken, "spec": {**broken["spec"], "replicaz": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


def test_kustomization_lists_exactly_the_manifests() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def _container(kind: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = _kind(kind, name)["spec"]
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    return pod, container


def test_worker_drains_longer_than_the_longest_call() -> None:
    pod, container = _container("Deployment", "voicebot-worker")
    args = container["args"]
    assert args[:2] == ["worker", "start"]
    drain = int(args[args.index("--drain-timeout") + 1])
    assert pod["terminationGracePeriodSeconds"] > drain >= 1800


def test_worker_has_a_disruption_budget_and_an_autoscaler() -> None:
    worker = _kind("Deployment", "voicebot-worker")
    labels = worker["spec"]["selector"]["matchLabels"]
    pdb = _kind("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == labels
    hpa = _kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "voicebot-worker",
    }
    assert any(
        m.get("pods", {}).get("metric", {}).get("name") == "voicebot_worker_jobs_active"
        for m in hpa["spec"]["metrics"]
    )


def test_roles_run_the_real_commands_with_probes_on_real_endpoints() -> None:
    _, worker = _container("Deployment", "voicebot-worker")
    assert worker["livenessProbe"]["httpGet"] == {"path": "/", "port": "health"}
    assert {"name": "health", "containerPort": 8081} in worker["ports"]
    _, api = _container("Deployment", "voicebot-api")
    assert api["args"][:1] == ["api"] and "0.0.0.0" in api["args"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    service = _kind("Service", "voicebot-api")
    assert (
        service["spec"]["selector"] == _kind("Deployment", "voicebot-api")["spec"]["selector"]["matchLabels"]
    )
    _, dispatcher = _container("Deployment", "voicebot-dispatcher")
    assert dispatcher["args"] == ["webhooks", "run"]
    _, pipeline = _container("Deployment", "voicebot-pipeline")
    assert pipeline["args"] == ["pipeline", "run"]
    _, migrate = _container("Job", "voicebot-migrate")
    assert migrate["args"] == ["db", "migrate"]


@pytest.mark.parametrize(
    "kind, name",
    [
        ("Deployment", "voicebot-worker"),
        ("Deployment", "voicebot-api"),
        ("Deployment", "voicebot-dispatcher"),
        ("Deployment", "voicebot-pipeline"),
        ("Job", "voicebot-migrate"),
    ],
)
def test_every_container_is_non_root_with_requests_and_a_memory_limit(kind: str, name: str) -> None:
    pod, container = _container(kind, name)
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    refs = {next(iter(e.values()))["name"] for e in container["envFrom"]}
    assert refs == {"voicebot-config", "voicebot-secrets"}


def test_secret_holds_placeholders_only() -> None:
    secret = _kind("Secret", "voicebot-secrets")
    for key, value in secret["stringData"].items():
        assert value == "" or "REPLACE_ME" in value, f"{key} looks like a real secret"


def test_config_and_secret_keys_are_real_settings(real_settings: set[str]) -> None:
    keys = set(_kind("ConfigMap", "voicebot-config")["data"]) | set(
        _kind("Secret", "voicebot-secrets")["stringData"]
    )
    assert keys - real_settings == set()
    assert {"DATABASE_URL", "LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"} <= keys
