#!/usr/bin/env bash
# Installs what the tests need from Debian: espeak-ng (real speech for the caller's audio and the fake
# Cartesia) and prometheus (for `promtool check rules|config` on infra/prometheus and infra/compose).
# Idempotent: does nothing when they are already there; apt-get update runs only when something is
# missing; sudo when not root. Without espeak-ng the speech tests skip with a reason instead of failing;
# without promtool the promtool checks of tests/infra skip with a reason.
set -euo pipefail
missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# chromium + chromium-driver: tests/console drive the company console in headless Chromium (selenium).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "==> installing ${missing[*]} (apt)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v espeak-ng >/dev/null
command -v promtool >/dev/null
command -v chromedriver >/dev/null
