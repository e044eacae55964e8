"""The worker's exporter sums the per-call series of its job processes (LiveKit runs each call in a
process of its own, started by a forkserver): real child processes, a real exporter on loopback."""

from __future__ import annotations

import multiprocessing
import socket
import urllib.request
from collections.abc import Iterator
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.multiprocess import mark_process_dead
from prometheus_client.parser import text_string_to_metric_families

from voicebot.observability import metrics


def _call_process(end_call: bool) -> None:
    """One job process: a call with two transitions and a turn; it ends the call unless told not to."""
    from voicebot.observability import metrics as child_metrics

    child_metrics.call_started("inbound")
    child_metrics.transition("intent")
    child_metrics.transition("next")
    child_metrics.turn_latency("e2e", 0.2)
    child_metrics.error("stt_error")
    child_metrics.recorder_backlog(5)
    if end_call:
        child_metrics.recorder_backlog(2)  # the last sample an ended call leaves behind is not counted
        child_metrics.call_ended("completed")
        child_metrics.job_process_ended()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _stop_forkserver() -> None:
    """The forkserver keeps the environment it started with: start it afresh (as the worker does, after
    setting the directory), and leave none behind pointing at this test's directory."""
    forkserver._forkserver._stop()  # type: ignore[attr-defined]


@pytest.fixture
def multiproc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    stale = tmp_path / "metrics" / "counter_999999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left over from a previous run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # restored (unset) after the test
    _stop_forkserver()
    directory = metrics.use_multiprocess_dir(tmp_path / "metrics")
    assert not stale.exists()
    yield directory
    _stop_forkserver()


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_the_worker_exporter_sums_the_calls_of_its_job_processes(
    multiproc_dir: Path, start_method: str
) -> None:
    context: Any = multiprocessing.get_context(start_method)
    ended = [context.Process(target=_call_process, args=(True,)) for _ in range(3)]
    ongoing = context.Process(target=_call_process, args=(False,))
    for proc in [*ended, ongoing]:
        proc.start()
    for proc in [*ended, ongoing]:
        proc.join(60)
        assert proc.exitcode == 0
    metrics.worker_gauges(lambda: 1, lambda: False)
    port = _free_port()
    assert metrics.serve(port, addr="127.0.0.1", multiproc_dir=multiproc_dir)

    scraped = _scrape(port)
    assert scraped[("voicebot_calls_started_total", (("direction", "inbound"),))] == 4
    assert scraped[("voicebot_calls_ended_total", (("status", "completed"),))] == 3
    assert scraped[("voicebot_transitions_total", (("trigger", "intent"),))] == 4
    assert scraped[("voicebot_transitions_total", (("trigger", "next"),))] == 4
    assert scraped[("voicebot_errors_total", (("kind", "stt_error"),))] == 4
    assert scraped[("voicebot_turn_latency_seconds_count", (("stage", "e2e"),))] == 4
    # the three ended calls left the live gauges; the one still running (its process not marked dead) counts
    assert scraped[("voicebot_calls_active", ())] == 1
    assert scraped[("voicebot_recorder_backlog_records", ())] == 5
    assert scraped[("voicebot_worker_jobs_active", ())] == 1

    assert ongoing.pid is not None
    mark_process_dead(ongoing.pid, str(multiproc_dir))  # type: ignore[no-untyped-call]  # its process died without ending the call
    scraped = _scrape(port)
    assert scraped[("voicebot_calls_active", ())] == 0
    assert scraped[("voicebot_recorder_backlog_records", ())] == 0
    assert scraped[("voicebot_calls_started_total", (("direction", "inbound"),))] == 4
