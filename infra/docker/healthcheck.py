"""The image's HEALTHCHECK: find the role from PID 1's command line and ask that role's health endpoint.

worker      ``voicebot worker start``  -> GET http://127.0.0.1:8081/ (livekit-agents' health server)
dispatcher  ``voicebot webhooks run``  -> GET http://127.0.0.1:$VOICEBOT_METRICS_PORT/metrics
pipeline    ``voicebot pipeline run``  -> the same
api         ``voicebot api [--port N]`` -> GET http://127.0.0.1:N/healthz (default 8080)
anything else (``db migrate``, a CLI command): healthy while it runs.
Exit 0 healthy, 1 unhealthy (Docker's contract). Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def health_url(argv: list[str], env: dict[str, str]) -> str | None:
    args = argv[argv.index("voicebot") + 1 :] if "voicebot" in argv else argv[1:]
    if args[:1] == ["worker"]:
        return "http://127.0.0.1:8081/"
    if args[:2] == ["webhooks", "run"] or (args[:2] == ["pipeline", "run"] and "--once" not in args):
        port = env.get("VOICEBOT_METRICS_PORT", "") or "0"
        return f"http://127.0.0.1:{port}/metrics" if port != "0" else None
    if args[:1] == ["api"]:
        port = "8080"
        for i, arg in enumerate(args):
            if arg == "--port" and i + 1 < len(args):
                port = args[i + 1]
            elif arg.startswith("--port="):
                port = arg.split("=", 1)[1]
        return f"http://127.0.0.1:{port}/healthz"
    return None


def main() -> int:
    argv = [a for a in Path("/proc/1/cmdline").read_bytes().decode().split("\0") if a]
    argv = [Path(a).name if a.endswith("/voicebot") else a for a in argv]
    url = health_url(argv, dict(os.environ))
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status < 400 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
