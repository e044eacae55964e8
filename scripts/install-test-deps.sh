#!/usr/bin/env bash
# Installs what the test fakes need from Debian: espeak-ng (real speech for the caller's audio and the fake
# Cartesia). Idempotent: does nothing when it is already there; apt-get update runs only when something is
# missing; sudo when not root. Without espeak-ng the speech tests skip with a reason instead of failing.
set -euo pipefail
if command -v espeak-ng >/dev/null 2>&1; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "==> installing espeak-ng (apt)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
command -v espeak-ng >/dev/null
