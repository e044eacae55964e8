#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries if none are found (idempotent; sudo when not root).
# voicebot runs its own private cluster from them when DATABASE_URL is not set; the system service
# that the package may start is not used and is stopped again.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "==> installing PostgreSQL (apt)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
# The package may start its own cluster; voicebot does not need it.
as_root service postgresql stop >/dev/null 2>&1 || true
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
